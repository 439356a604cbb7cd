//! The projection's capture lane: the captures of a batch of ledger.journal messages
//! folded into the read models' deltas in compiled code.
//!
//! The folds in projections/*.py are the reference. This folds only capture records
//! whose every field it reads plainly (no attributed metadata, no payable posting); for
//! the rest it answers their indexes, and the worker decodes and folds them the Python
//! way, then merges both folds (each read model's `merge`). Tests compare the merged
//! deltas with the reference's over whole marketplace days.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::wire::Input;

const MAGIC: [u8; 2] = [0xc3, 0x01];
const ATTRIBUTED: [&str; 3] = ["withholding", "withholding_clawback", "hold"];

struct Capture<'a> {
    order_id: &'a str,
    due: Option<&'a str>,
    postings: Vec<(&'a str, &'a str, i64)>,
}

/// The message's seq, and its capture when it is one this lane folds.
fn read(b: &[u8]) -> Option<(i64, Option<Capture<'_>>)> {
    let mut r = Input::new(b, 0);
    r.string()?; // event_id
    r.long()?; // occurred_at
    let seq = r.long()?;
    Some((seq, capture_after_seq(&mut r)?))
}

/// The rest of the record after its seq: the capture this lane folds, if it is one.
fn capture_after_seq<'a>(r: &mut Input<'a>) -> Option<Option<Capture<'a>>> {
    r.string()?; // transaction_id
    let kind = r.string()?;
    let order_id = r.optional_string()?;
    r.optional_string()?; // batch_id
    r.optional_string()?; // reverses_transaction_id
    r.long()?; // recorded_at
    let mut due = None;
    let mut attributed = false;
    let mut n = r.count()?;
    while n > 0 {
        for _ in 0..n {
            let key = r.string()?;
            let value = r.string()?;
            if key == "release_due_at" {
                due = Some(value);
            }
            attributed |= ATTRIBUTED.contains(&key);
        }
        n = r.count()?;
    }
    let mut postings = Vec::new();
    let mut n = r.count()?;
    while n > 0 {
        for _ in 0..n {
            let account = r.string()?;
            let currency = r.string()?;
            postings.push((account, currency, r.long()?));
        }
        n = r.count()?;
    }
    if r.i != r.b.len() {
        return None;
    }
    let payable = postings.iter().any(|p| p.0.starts_with("seller:"));
    match order_id {
        Some(order_id) if kind == "capture" && !attributed && !payable && !postings.is_empty() => {
            Some(Some(Capture {
                order_id,
                due: due.filter(|d| !d.is_empty()),
                postings,
            }))
        }
        _ => Some(None),
    }
}

/// accounts.escrow_of: (order id, part index in order_escrow's ADDED: seller 1,
/// shipping 2, platform 3, and the seller) of an order's escrow account.
fn escrow_of(account: &str) -> Option<(&str, usize, Option<&str>)> {
    let parts: Vec<&str> = account.split(':').collect();
    if parts.len() < 4 || parts[0] != "order" || parts[2] != "escrow" {
        return None;
    }
    match (parts[3], parts.len()) {
        ("seller", 5) => Some((parts[1], 1, Some(parts[4]))),
        ("shipping", 4) => Some((parts[1], 2, None)),
        ("platform", 4) => Some((parts[1], 3, None)),
        _ => None,
    }
}

/// seller_balances' added columns (projections/seller_balances.py, COLUMNS) and the seq.
const SELLER_WIDTH: usize = 8;

struct OrderRow {
    currency: String,
    d: [i64; 7],
    due: Option<String>,
    seq: i64,
}

#[derive(Default)]
struct Folds {
    sellers: HashMap<(String, String), [i64; SELLER_WIDTH]>,
    orders: HashMap<String, OrderRow>,
    accounts: HashMap<(String, String), [i64; 4]>,
}

impl Folds {
    fn add(&mut self, seq: i64, c: &Capture) -> Option<()> {
        let hold = format!("order:{}:dispute:hold", c.order_id);
        let row = self
            .orders
            .entry(c.order_id.to_owned())
            .or_insert_with(|| OrderRow {
                currency: c.postings[0].1.to_owned(),
                d: [0; 7],
                due: None,
                seq: 0,
            });
        row.seq = seq;
        row.due = c.due.map(str::to_owned);
        for &(account, currency, amount) in &c.postings {
            let escrow = escrow_of(account);
            // seller_balances: a seller's escrow (a payable is never folded here)
            if let Some((_, _, Some(seller))) = escrow {
                let s = self
                    .sellers
                    .entry((seller.to_owned(), currency.to_owned()))
                    .or_insert([0; SELLER_WIDTH]);
                s[0] = s[0].checked_sub(amount)?;
                s[SELLER_WIDTH - 1] = seq;
            }
            // order_escrow
            if amount > 0 {
                row.d[0] = row.d[0].checked_add(amount)?;
            }
            match escrow {
                Some((order, part, _)) if order == c.order_id => {
                    row.d[part] = row.d[part].checked_sub(amount)?
                }
                Some(_) => {}
                None if account == hold => row.d[6] = row.d[6].checked_sub(amount)?,
                None => {}
            }
            // account_balances
            let own = matches!(escrow, Some((order, _, _)) if order == c.order_id);
            let a = self
                .accounts
                .entry((account.to_owned(), currency.to_owned()))
                .or_insert([0, 0, 0, own as i64]);
            if amount > 0 {
                a[0] = a[0].checked_add(amount)?;
            } else {
                a[1] = a[1].checked_sub(amount)?;
            }
            a[2] = seq;
        }
        Some(())
    }
}

/// The batch's messages: (seqs, indexes of those left to the reference, and the deltas
/// of the captures folded here: seller_balances, order_escrow, account_balances in the
/// shapes their folds make), or None when the reference must fold the whole batch.
#[pyfunction]
pub fn fold_captures<'py>(
    py: Python<'py>,
    values: Vec<Bound<'py, PyBytes>>,
    fingerprint: &[u8],
    after_seq: i64,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    // read and folded without the interpreter's lock (the worker's writer thread runs meanwhile)
    let raw: Vec<Vec<u8>> = values.iter().map(|v| v.as_bytes().to_vec()).collect();
    let folded = py.allow_threads(|| {
        let mut seqs = Vec::with_capacity(raw.len());
        let mut rest = Vec::new();
        let mut folds = Folds::default();
        for (i, b) in raw.iter().enumerate() {
            if b.len() < 10 || b[..2] != MAGIC || &b[2..10] != fingerprint {
                return None;
            }
            let (seq, capture) = read(&b[10..])?;
            seqs.push(seq);
            match capture {
                Some(c) if seq > after_seq => folds.add(seq, &c)?,
                Some(_) => {}
                None => rest.push(i),
            }
        }
        Some((seqs, rest, folds))
    });
    let Some((seqs, rest, folds)) = folded else {
        return Ok(None);
    };
    let fromisoformat = py
        .import_bound("datetime")?
        .getattr("datetime")?
        .getattr("fromisoformat")?;
    let sellers = PyDict::new_bound(py);
    for ((seller, currency), row) in folds.sellers {
        sellers.set_item((seller, currency), PyList::new_bound(py, row))?;
    }
    let orders = PyDict::new_bound(py);
    for (order_id, row) in folds.orders {
        let r = PyDict::new_bound(py);
        r.set_item("currency", row.currency)?;
        r.set_item("d", PyList::new_bound(py, row.d))?;
        match row.due {
            Some(due) => r.set_item("release_due_at", fromisoformat.call1((due,))?)?,
            None => r.set_item("release_due_at", py.None())?,
        }
        r.set_item("seq", row.seq)?;
        r.set_item("new", true)?;
        orders.set_item(order_id, r)?;
    }
    let accounts = PyDict::new_bound(py);
    for ((account, currency), row) in folds.accounts {
        accounts.set_item((account, currency), PyList::new_bound(py, row))?;
    }
    Ok(Some(PyTuple::new_bound(
        py,
        [
            PyList::new_bound(py, seqs).into_any(),
            PyList::new_bound(py, rest).into_any(),
            sellers.into_any(),
            orders.into_any(),
            accounts.into_any(),
        ],
    )))
}
