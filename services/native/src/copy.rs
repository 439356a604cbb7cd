//! Rows as PostgreSQL's COPY text, for the read models' writes: what psycopg's
//! Copy.write_row sends, for the values the read models hold (text, integers of 64
//! bits, None, datetimes). Any other value: None, and psycopg formats the rows itself.

use pyo3::prelude::*;
use pyo3::types::{
    PyBytes, PyDateAccess, PyDateTime, PyLong, PyString, PyTimeAccess, PyTuple, PyTzInfoAccess,
};

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

/// A datetime as its isoformat(): written here when naive or in UTC, else by Python.
fn datetime(out: &mut Vec<u8>, dt: &Bound<'_, PyDateTime>) -> PyResult<()> {
    let zone = match dt.get_tzinfo_bound() {
        None => "",
        Some(tz) if tz.is(&pyo3::types::timezone_utc_bound(dt.py())) => "+00:00",
        Some(_) => {
            let iso = dt.call_method0("isoformat")?;
            text(out, iso.downcast::<PyString>()?.to_str()?);
            return Ok(());
        }
    };
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.get_year(),
        dt.get_month(),
        dt.get_day(),
        dt.get_hour(),
        dt.get_minute(),
        dt.get_second()
    );
    if dt.get_microsecond() != 0 {
        s.push_str(&format!(".{:06}", dt.get_microsecond()));
    }
    s.push_str(zone);
    out.extend_from_slice(s.as_bytes());
    Ok(())
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
            } else if let Ok(dt) = v.downcast::<PyDateTime>() {
                datetime(&mut out, dt)?;
            } else {
                return Ok(None);
            }
        }
        out.push(b'\n');
    }
    Ok(Some(PyBytes::new_bound(py, &out)))
}
