//! Rows as PostgreSQL's COPY text, for the read models' writes: what psycopg's
//! Copy.write_row sends, for the values the read models hold (text, integers of 64
//! bits, None, datetimes). Any other value: None, and psycopg formats the rows itself.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyLong, PyString, PyTuple};

fn text(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// The rows (tuples) as COPY text, or None when a value is not one this formats.
#[pyfunction]
pub fn copy_text<'py>(
    py: Python<'py>,
    rows: Vec<Bound<'py, PyTuple>>,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let mut out: Vec<u8> = Vec::with_capacity(rows.len() * 64);
    for row in &rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            if v.is_none() {
                out.extend_from_slice(b"\\N");
            } else if v.is_exact_instance_of::<PyString>() {
                text(&mut out, v.downcast::<PyString>()?.to_str()?);
            } else if v.is_exact_instance_of::<PyLong>() {
                match v.extract::<i64>() {
                    Ok(n) => out.extend_from_slice(n.to_string().as_bytes()),
                    Err(_) => return Ok(None),
                }
            } else if v.is_instance_of::<PyDateTime>() {
                let iso = v.call_method0("isoformat")?;
                text(&mut out, iso.downcast::<PyString>()?.to_str()?);
            } else {
                return Ok(None);
            }
        }
        out.push(b'\n');
    }
    Ok(Some(PyBytes::new_bound(py, &out)))
}
