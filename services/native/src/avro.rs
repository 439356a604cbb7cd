//! Avro binary reading and writing per schema, compiled: the program a schema makes
//! (services/adapters/avro_codec._Compiler.program) interpreted here.
//!
//! The Python functions avro_codec compiles are the reference. Here, any input the
//! reference might treat otherwise is an error (ValueError), never a guess: the caller
//! (services/adapters/avro.py) then asks the reference, which answers or raises in its
//! own words. So an error here costs time, never a different answer.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDateAccess, PyDateTime, PyDelta, PyDeltaAccess, PyDict, PyList,
    PyLong, PyString, PyTimeAccess, PyTuple, PyTzInfoAccess,
};

use crate::wire::{civil, days_from_civil, Input};

enum Node {
    Null,
    Boolean,
    Int,
    Long,
    Str,
    Bytes,
    Millis,
    Enum(Vec<Py<PyString>>),
    Record(Vec<Field>),
    Array(Box<Node>),
    Map(Box<Node>),
    Union(Vec<Node>),
}

struct Field {
    name: Py<PyString>,
    node: Node,
    default: Option<PyObject>, // the schema's default, written when the record has no such key
}

fn build(program: &Bound<'_, PyAny>) -> PyResult<Node> {
    let t = program.downcast::<PyTuple>()?;
    let kind: String = t.get_item(0)?.extract()?;
    Ok(match kind.as_str() {
        "null" => Node::Null,
        "boolean" => Node::Boolean,
        "int" => Node::Int,
        "long" => Node::Long,
        "string" => Node::Str,
        "bytes" => Node::Bytes,
        "timestamp-millis" => Node::Millis,
        "enum" => Node::Enum(t.get_item(1)?.extract()?),
        "record" => {
            let mut fields = Vec::new();
            for f in t.get_item(1)?.iter()? {
                let f = f?;
                let f = f.downcast::<PyTuple>()?;
                let has_default: bool = f.get_item(2)?.extract()?;
                fields.push(Field {
                    name: f.get_item(0)?.downcast_into::<PyString>()?.unbind(),
                    node: build(&f.get_item(1)?)?,
                    default: if has_default {
                        Some(f.get_item(3)?.unbind())
                    } else {
                        None
                    },
                });
            }
            Node::Record(fields)
        }
        "array" => Node::Array(Box::new(build(&t.get_item(1)?)?)),
        "map" => Node::Map(Box::new(build(&t.get_item(1)?)?)),
        "union" => {
            let mut branches = Vec::new();
            for b in t.get_item(1)?.iter()? {
                branches.push(build(&b?)?);
            }
            Node::Union(branches)
        }
        other => return Err(PyValueError::new_err(format!("no such node: {other}"))),
    })
}

// -- reading -------------------------------------------------------------------------

fn datetime_of<'py>(py: Python<'py>, millis: i64) -> Option<Bound<'py, PyAny>> {
    // datetime's range, years 1 to 9999, is well inside i64 milliseconds
    if !(-62_135_596_800_000..=253_402_300_799_999).contains(&millis) {
        return None;
    }
    let (days, ms) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (y, mo, d) = civil(days);
    let secs = ms / 1000;
    let utc = pyo3::types::timezone_utc_bound(py);
    PyDateTime::new_bound(
        py,
        y as i32,
        mo as u8,
        d as u8,
        (secs / 3600) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
        ((ms % 1000) * 1000) as u32,
        Some(&utc),
    )
    .map(|x| x.into_any())
    .ok()
}

fn read<'py>(py: Python<'py>, node: &Node, r: &mut Input) -> Option<Bound<'py, PyAny>> {
    Some(match node {
        Node::Null => py.None().into_bound(py),
        Node::Boolean => {
            let c = *r.b.get(r.i)?;
            r.i += 1;
            if c > 1 {
                return None;
            }
            PyBool::new_bound(py, c == 1).to_owned().into_any()
        }
        Node::Int | Node::Long => r.long()?.into_py(py).into_bound(py),
        Node::Str => PyString::new_bound(py, r.string()?).into_any(),
        Node::Bytes => PyBytes::new_bound(py, r.raw()?).into_any(),
        Node::Millis => datetime_of(py, r.long()?)?,
        Node::Enum(symbols) => {
            let k = r.long()?;
            if k < 0 || k as usize >= symbols.len() {
                return None;
            }
            symbols[k as usize].bind(py).clone().into_any()
        }
        Node::Record(fields) => {
            let d = PyDict::new_bound(py);
            for f in fields {
                let v = read(py, &f.node, r)?;
                d.set_item(f.name.bind(py), v).ok()?;
            }
            d.into_any()
        }
        Node::Array(items) => {
            let list = PyList::empty_bound(py);
            let mut n = r.count()?;
            while n > 0 {
                for _ in 0..n {
                    list.append(read(py, items, r)?).ok()?;
                }
                n = r.count()?;
            }
            list.into_any()
        }
        Node::Map(values) => {
            let d = PyDict::new_bound(py);
            let mut n = r.count()?;
            while n > 0 {
                for _ in 0..n {
                    let key = r.string()?;
                    let v = read(py, values, r)?;
                    d.set_item(key, v).ok()?;
                }
                n = r.count()?;
            }
            d.into_any()
        }
        Node::Union(branches) => {
            let k = r.long()?;
            if k < 0 || k as usize >= branches.len() {
                return None;
            }
            read(py, &branches[k as usize], r)?
        }
    })
}

// -- writing -------------------------------------------------------------------------

fn put_long(out: &mut Vec<u8>, n: i64) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z > 0x7f {
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

fn long_of(v: &Bound<'_, PyAny>) -> Option<i64> {
    if !v.is_instance_of::<PyLong>() {
        return None;
    }
    v.extract::<i64>().ok()
}

/// What _millis gives for a datetime: naive (taken as UTC) or aware (less its UTC offset).
fn millis_of(v: &Bound<'_, PyAny>) -> Option<i64> {
    if v.is_instance_of::<PyLong>() {
        return v.extract::<i64>().ok();
    }
    let dt = v.downcast::<PyDateTime>().ok()?;
    let mut offset: i64 = 0; // microseconds east of UTC
    if let Some(tz) = dt.get_tzinfo_bound() {
        if !tz.is(&pyo3::types::timezone_utc_bound(v.py())) {
            // another zone (PostgreSQL's Etc/UTC, a fixed offset): its offset at that time
            let delta = v.call_method0("utcoffset").ok()?;
            let delta = delta.downcast::<PyDelta>().ok()?;
            offset = (delta.get_days() as i64 * 86_400 + delta.get_seconds() as i64) * 1_000_000
                + delta.get_microseconds() as i64;
        }
    }
    let days = days_from_civil(
        dt.get_year() as i64,
        dt.get_month() as i64,
        dt.get_day() as i64,
    );
    let micros = ((days * 24 + dt.get_hour() as i64) * 60 + dt.get_minute() as i64) * 60_000_000
        + dt.get_second() as i64 * 1_000_000
        + dt.get_microsecond() as i64
        - offset;
    Some(micros.div_euclid(1000))
}

/// avro_codec._UNION_TESTS: whether v's Python type names this branch.
fn takes(node: &Node, v: &Bound<'_, PyAny>) -> bool {
    match node {
        Node::Null => v.is_none(),
        Node::Boolean => v.is_exact_instance_of::<PyBool>(),
        Node::Int | Node::Long => v.is_exact_instance_of::<PyLong>(),
        Node::Str => v.is_exact_instance_of::<PyString>(),
        Node::Bytes => v.is_instance_of::<PyBytes>() || v.is_instance_of::<PyByteArray>(),
        Node::Millis => v.is_instance_of::<PyDateTime>(),
        Node::Array(_) => v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>(),
        Node::Map(_) | Node::Record(_) => v.is_instance_of::<PyDict>(),
        Node::Enum(_) | Node::Union(_) => false, // not in a union the reference writes
    }
}

fn write(node: &Node, v: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> Option<()> {
    match node {
        Node::Null => {
            if !v.is_none() {
                return None;
            }
        }
        Node::Boolean => out.push(if v.is_truthy().ok()? { 1 } else { 0 }),
        Node::Int => {
            let n = long_of(v)?;
            if i32::try_from(n).is_err() {
                return None;
            }
            put_long(out, n);
        }
        Node::Long => put_long(out, long_of(v)?),
        Node::Str => {
            let s = v.downcast::<PyString>().ok()?;
            put_bytes(out, s.to_str().ok()?.as_bytes());
        }
        Node::Bytes => {
            if let Ok(b) = v.downcast::<PyBytes>() {
                put_bytes(out, b.as_bytes());
            } else {
                let b = v.downcast::<PyByteArray>().ok()?;
                put_bytes(out, &b.to_vec());
            }
        }
        Node::Millis => put_long(out, millis_of(v)?),
        Node::Enum(symbols) => {
            let s = v.downcast::<PyString>().ok()?;
            let s = s.to_str().ok()?;
            let k = symbols
                .iter()
                .position(|x| x.bind(v.py()).to_str().map(|x| x == s).unwrap_or(false));
            put_long(out, k? as i64);
        }
        Node::Record(fields) => {
            if !v.is_exact_instance_of::<PyDict>() {
                return None;
            }
            let d = v.downcast::<PyDict>().ok()?;
            for f in fields {
                match d.get_item(f.name.bind(v.py())).ok()? {
                    Some(x) => write(&f.node, &x, out)?,
                    None => match &f.default {
                        Some(default) => write(&f.node, default.bind(v.py()), out)?,
                        None => return None,
                    },
                }
            }
        }
        Node::Array(items) => {
            let n = v.len().ok()?;
            if let Ok(list) = v.downcast::<PyList>() {
                if n > 0 {
                    put_long(out, n as i64);
                    for x in list.iter() {
                        write(items, &x, out)?;
                    }
                }
            } else if let Ok(tuple) = v.downcast::<PyTuple>() {
                if n > 0 {
                    put_long(out, n as i64);
                    for x in tuple.iter() {
                        write(items, &x, out)?;
                    }
                }
            } else {
                return None;
            }
            out.push(0);
        }
        Node::Map(values) => {
            if !v.is_exact_instance_of::<PyDict>() {
                return None;
            }
            let d = v.downcast::<PyDict>().ok()?;
            if !d.is_empty() {
                put_long(out, d.len() as i64);
                for (k, x) in d.iter() {
                    write(&Node::Str, &k, out)?;
                    write(values, &x, out)?;
                }
            }
            out.push(0);
        }
        Node::Union(branches) => {
            let k = branches.iter().position(|b| takes(b, v))?;
            put_long(out, k as i64);
            write(&branches[k], v, out)?;
        }
    }
    Some(())
}

/// One schema's reader and writer.
#[pyclass(frozen, module = "splitbook_native")]
pub struct AvroCodec {
    root: Node,
}

#[pymethods]
impl AvroCodec {
    /// program: what avro_codec.native_program makes of the schema.
    #[new]
    fn new(program: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(AvroCodec {
            root: build(program)?,
        })
    }

    /// (data, offset) -> (record, offset after it); ValueError where the reference must answer.
    fn read<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        offset: usize,
    ) -> PyResult<(Bound<'py, PyAny>, usize)> {
        let mut r = Input::new(data, offset);
        if offset > data.len() {
            return Err(PyValueError::new_err("offset past the end"));
        }
        match read(py, &self.root, &mut r) {
            Some(v) => Ok((v, r.i)),
            None => Err(PyValueError::new_err("the reference reads this")),
        }
    }

    /// record -> its encoding after `prefix`; ValueError where the reference must answer.
    fn write<'py>(
        &self,
        py: Python<'py>,
        record: &Bound<'py, PyAny>,
        prefix: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(prefix);
        match write(&self.root, record, &mut out) {
            Some(()) => Ok(PyBytes::new_bound(py, &out)),
            None => Err(PyValueError::new_err("the reference writes this")),
        }
    }
}
