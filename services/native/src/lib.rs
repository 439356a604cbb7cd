//! The capture lane: an OrderCaptured message's bytes -> the journal rows the Python
//! path would write for it, compiled.
//!
//! The Python path (services/adapters/avro.py, services/domain/rules/capture.py,
//! services/adapters/postgres/chain.py) is the reference, and the tests compare the two
//! byte for byte. The lane takes only what is plainly valid: a message of the schema it
//! knows, every field within bounds, every id of the plain id alphabet, amounts that
//! add up. For anything else `parse` answers None and the reference decides: the
//! rejection, its reason and its detail come from the Python path, never from here.

mod avro;
mod copy;
mod projection;
mod wire;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::wire::{civil, Input};

const AMOUNT_MAX: i64 = 1_000_000_000_000; // bounds.AMOUNT_MAX_MINOR
const LINES_MAX: usize = 1_000; // bounds.LINES_MAX
const ID_MAX: usize = 128; // bounds.ID_MAX_CHARS
const OCCURRED_MIN_MS: i64 = 946_684_800_000; // 2000-01-01T00:00:00Z
const OCCURRED_MAX_MS: i64 = 4_102_444_800_000; // 2100-01-01T00:00:00Z
const MAGIC: [u8; 2] = [0xc3, 0x01];

struct Line<'a> {
    seller_id: &'a str,
    item_id: &'a str,
    amount: i64,
    platform_fee: i64,
    currency: Option<&'a str>,
    category: Option<&'a str>, // v3
}

struct Capture<'a> {
    event_id: &'a str,
    occurred_ms: i64,
    order_id: &'a str,
    gateway: &'a str,
    currency: &'a str,
    amount: i64,
    gateway_fee: i64,
    shipping: i64,
    lines: Vec<Line<'a>>,
    channel: Option<&'a str>,
    region: Option<&'a str>, // v3
}

impl Capture<'_> {
    /// OrderCaptured.has_dimensions: a region, or a line's category.
    fn has_dimensions(&self) -> bool {
        self.region.is_some() || self.lines.iter().any(|ln| ln.category.is_some())
    }
}

/// OrderCaptured v2 (schemas/marketplace/OrderCaptured.v2.avsc), after the header; with
/// v3, v3's layout (a category after each line's currency, a region after the channel).
fn read_capture(b: &[u8], v3: bool) -> Option<Capture<'_>> {
    let mut r = Input::new(b, 0);
    let event_id = r.string()?;
    let occurred_ms = r.long()?;
    let order_id = r.string()?;
    let gateway = r.string()?;
    let currency = r.string()?;
    let amount = r.long()?;
    let gateway_fee = r.long()?;
    let shipping = r.long()?;
    let mut lines = Vec::new();
    loop {
        let count = r.long()?;
        if count == 0 {
            break;
        }
        if count < 0 || lines.len() + count as usize > LINES_MAX {
            return None; // a sized block, or too many lines: the reference
        }
        for _ in 0..count {
            let seller_id = r.string()?;
            let item_id = r.string()?;
            let amount = r.long()?;
            let platform_fee = r.long()?;
            let currency = r.optional_string()?;
            let category = if v3 { r.optional_string()? } else { None };
            lines.push(Line {
                seller_id,
                item_id,
                amount,
                platform_fee,
                currency,
                category,
            });
        }
    }
    let channel = r.optional_string()?; // recorded in the metadata (a reporting dimension)
    let region = if v3 { r.optional_string()? } else { None };
    if !r.at_end() {
        return None;
    }
    Some(Capture {
        event_id,
        occurred_ms,
        order_id,
        gateway,
        currency,
        amount,
        gateway_fee,
        shipping,
        lines,
        channel,
        region,
    })
}

/// accounts.is_valid_id: [A-Za-z0-9_.-]{1,128}.
fn plain_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= ID_MAX
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-')
}

/// Printable ASCII without quote or backslash: the text is its own repr, JSON and COPY
/// field (what else is printable goes to the reference).
fn plain_text(s: &str) -> bool {
    s.len() <= ID_MAX
        && s.bytes()
            .all(|c| (0x20..0x7f).contains(&c) && c != b'\'' && c != b'\\')
}

fn within(x: i64) -> bool {
    (-AMOUNT_MAX..=AMOUNT_MAX).contains(&x)
}

struct Instant {
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
    us: i64,
}

fn instant(micros: i64) -> Instant {
    let (days, rest) = (
        micros.div_euclid(86_400_000_000),
        micros.rem_euclid(86_400_000_000),
    );
    let (y, mo, d) = civil(days);
    let secs = rest / 1_000_000;
    Instant {
        y,
        mo,
        d,
        h: secs / 3600,
        mi: secs / 60 % 60,
        s: secs % 60,
        us: rest % 1_000_000,
    }
}

/// datetime.isoformat() of a UTC datetime; with always_micros, isoformat(timespec='microseconds').
fn isoformat(out: &mut String, micros: i64, always_micros: bool) {
    let t = instant(micros);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.y, t.mo, t.d, t.h, t.mi, t.s
    );
    if always_micros || t.us != 0 {
        let _ = write!(out, ".{:06}", t.us);
    }
    out.push_str("+00:00");
}

/// repr(datetime) of a UTC datetime, as fastavro decodes timestamp-millis.
fn datetime_repr(out: &mut String, micros: i64) {
    let t = instant(micros);
    let _ = write!(
        out,
        "datetime.datetime({}, {}, {}, {}, {}",
        t.y, t.mo, t.d, t.h, t.mi
    );
    if t.us != 0 {
        let _ = write!(out, ", {}, {}", t.s, t.us);
    } else if t.s != 0 {
        let _ = write!(out, ", {}", t.s);
    }
    out.push_str(", tzinfo=datetime.timezone.utc)");
}

/// repr(OrderCaptured): what the registry's identity for captures hashes.
fn identity(c: &Capture) -> String {
    let mut s = String::with_capacity(256 + 120 * c.lines.len());
    let _ = write!(s, "OrderCaptured(event_id='{}', occurred_at=", c.event_id);
    datetime_repr(&mut s, c.occurred_ms * 1000);
    let _ = write!(
        s,
        ", order_id='{}', gateway='{}', currency='{}', amount={}, gateway_fee={}, shipping={}, lines=(",
        c.order_id, c.gateway, c.currency, c.amount, c.gateway_fee, c.shipping
    );
    for (i, ln) in c.lines.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(
            s,
            "CaptureLine(seller_id='{}', item_id='{}', amount={}, platform_fee={}, currency=",
            ln.seller_id, ln.item_id, ln.amount, ln.platform_fee
        );
        match ln.currency {
            Some(cur) => {
                let _ = write!(s, "'{}')", cur);
            }
            None => s.push_str("None)"),
        }
    }
    s.push_str(if c.lines.len() == 1 { ",))" } else { "))" });
    if c.has_dimensions() {
        // OrderCaptured.identity: " dimensions=" + repr((channel, region, categories))
        let quoted = |v: Option<&str>| v.map_or_else(|| "None".to_owned(), |x| format!("'{x}'"));
        let _ = write!(
            s,
            " dimensions=({}, {}, (",
            quoted(c.channel),
            quoted(c.region)
        );
        for (i, ln) in c.lines.iter().enumerate() {
            let _ = write!(
                s,
                "{}{}",
                if i > 0 { ", " } else { "" },
                quoted(ln.category)
            );
        }
        s.push_str(if c.lines.len() == 1 { ",))" } else { "))" });
    }
    s
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// journal.transaction_id_for: uuid5(namespace, event_id), as text.
fn transaction_id(namespace: &[u8; 16], event_id: &str) -> String {
    let mut h = Sha1::new();
    h.update(namespace);
    h.update(event_id.as_bytes());
    let mut b: [u8; 16] = h.finalize()[..16].try_into().unwrap();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

/// The lane for OrderCaptured v2's writer schema (and v3's, when given) and one policy.
#[pyclass(frozen, module = "splitbook_native")]
struct CaptureLane {
    fingerprint: Vec<u8>,
    fingerprint_v3: Option<Vec<u8>>,
    currencies: HashSet<String>,
    namespace: [u8; 16],
    window_micros: i64,
}

#[pymethods]
impl CaptureLane {
    /// fingerprint: the 8 bytes of the writer schema taken; currencies: the ISO 4217
    /// codes money.is_currency knows; namespace: the transaction ids' uuid5 namespace
    /// (16 bytes); escrow_window_micros: Policy.escrow_window; fingerprint_v3: v3's.
    #[new]
    #[pyo3(signature = (fingerprint, currencies, namespace, escrow_window_micros, fingerprint_v3=None))]
    fn new(
        fingerprint: Vec<u8>,
        currencies: HashSet<String>,
        namespace: Vec<u8>,
        escrow_window_micros: i64,
        fingerprint_v3: Option<Vec<u8>>,
    ) -> PyResult<Self> {
        let namespace: [u8; 16] = namespace
            .try_into()
            .map_err(|_| pyo3::exceptions::PyValueError::new_err("namespace must be 16 bytes"))?;
        if fingerprint.len() != 8 || fingerprint_v3.as_ref().is_some_and(|f| f.len() != 8) {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "fingerprint must be 8 bytes",
            ));
        }
        Ok(CaptureLane {
            fingerprint,
            fingerprint_v3,
            currencies,
            namespace,
            window_micros: escrow_window_micros,
        })
    }

    /// The message's capture, staged as the Python path would stage it; None when the
    /// lane does not take it (the reference then decodes and judges the message).
    fn parse(&self, value: &Bound<'_, PyAny>) -> Option<NativeCapture> {
        let bytes = value.downcast::<PyBytes>().ok()?;
        let s = self.take(bytes.as_bytes())?;
        Some(NativeCapture {
            s,
            value: bytes.clone().unbind(),
        })
    }

    /// parse for each of the values, the interpreter's lock released while they are
    /// read and staged (another thread runs Python meanwhile).
    fn parse_many(
        &self,
        py: Python<'_>,
        values: Vec<Bound<'_, PyAny>>,
    ) -> Vec<Option<NativeCapture>> {
        let raw: Vec<Option<Vec<u8>>> = values
            .iter()
            .map(|v| v.downcast::<PyBytes>().ok().map(|b| b.as_bytes().to_vec()))
            .collect();
        let staged: Vec<Option<Staged>> = py.allow_threads(|| {
            raw.iter()
                .map(|d| d.as_deref().and_then(|d| self.take(d)))
                .collect()
        });
        staged
            .into_iter()
            .zip(values.iter())
            .map(|(s, v)| {
                let bytes = v.downcast::<PyBytes>().ok()?;
                Some(NativeCapture {
                    s: s?,
                    value: bytes.clone().unbind(),
                })
            })
            .collect()
    }
}

impl CaptureLane {
    fn take(&self, data: &[u8]) -> Option<Staged> {
        if data.len() < 10 || data[..2] != MAGIC {
            return None;
        }
        let v3 = match &data[2..10] {
            f if f == &self.fingerprint[..] => false,
            f if self.fingerprint_v3.as_deref() == Some(f) => true,
            _ => return None,
        };
        let c = read_capture(&data[10..], v3)?;
        if !self.plainly_valid(&c) {
            return None;
        }
        Some(self.stage(&c))
    }

    /// bounds.capture_plainly_within and capture._plainly_valid, narrowed to plain text.
    fn plainly_valid(&self, c: &Capture) -> bool {
        if c.event_id.is_empty()
            || !plain_text(c.event_id)
            || !plain_id(c.order_id)
            || !plain_id(c.gateway)
            || !c.channel.map_or(true, plain_id)
            || !c.region.map_or(true, plain_id)
        {
            return false;
        }
        if !self.currencies.contains(c.currency)
            || !(OCCURRED_MIN_MS..OCCURRED_MAX_MS).contains(&c.occurred_ms)
        {
            return false;
        }
        if !(within(c.amount) && within(c.gateway_fee) && within(c.shipping)) {
            return false;
        }
        if c.lines.is_empty()
            || c.amount <= 0
            || c.gateway_fee < 0
            || c.gateway_fee > c.amount
            || c.shipping < 0
        {
            return false;
        }
        let mut total: i64 = 0;
        for ln in &c.lines {
            if !plain_id(ln.seller_id)
                || !plain_text(ln.item_id)
                || !ln.category.map_or(true, plain_id)
                || !within(ln.amount)
                || !within(ln.platform_fee)
            {
                return false;
            }
            if ln.platform_fee < 0
                || ln.platform_fee > ln.amount
                || ln.currency.is_some_and(|cur| cur != c.currency)
            {
                return false;
            }
            total += ln.amount; // at most 1,000 lines of 10**12: no overflow
        }
        c.amount == total + c.shipping
    }

    /// capture.handle_order_captured, and the chain's head line (less its seq) and
    /// posting lines (less theirs).
    fn stage(&self, c: &Capture) -> Staged {
        // per seller, in order of first appearance: share (line - platform fee) and fees
        let mut sellers: Vec<(&str, i64, i64)> = Vec::with_capacity(c.lines.len());
        let mut platform_total = 0i64;
        for ln in &c.lines {
            match sellers.iter_mut().find(|s| s.0 == ln.seller_id) {
                Some(s) => {
                    s.1 += ln.amount - ln.platform_fee;
                    s.2 += ln.platform_fee;
                }
                None => sellers.push((ln.seller_id, ln.amount - ln.platform_fee, ln.platform_fee)),
            }
            platform_total += ln.platform_fee;
        }
        let cur = c.currency;
        let mut postings: Vec<String> = Vec::with_capacity(sellers.len() + 4);
        let mut posting =
            |account: String, amount: i64| postings.push(format!("\t{account}\t{cur}\t{amount}\n"));
        if c.amount - c.gateway_fee != 0 {
            posting(format!("ops:pool:{}", c.gateway), c.amount - c.gateway_fee);
        }
        if c.gateway_fee != 0 {
            posting(format!("ops:expense:mdr:{}", c.gateway), c.gateway_fee);
        }
        for (seller, share, _) in &sellers {
            if *share != 0 {
                posting(
                    format!("order:{}:escrow:seller:{}", c.order_id, seller),
                    -share,
                );
            }
        }
        if c.shipping != 0 {
            posting(format!("order:{}:escrow:shipping", c.order_id), -c.shipping);
        }
        if platform_total != 0 {
            posting(
                format!("order:{}:escrow:platform", c.order_id),
                -platform_total,
            );
        }
        let mut sorted: Vec<usize> = (0..postings.len()).collect();
        sorted.sort_by(|&a, &b| postings[a].cmp(&postings[b]));

        let ident = identity(c);
        let digest: [u8; 32] = Sha256::digest(ident.as_bytes()).into();

        // metadata {"channel" (when there is one), "gateway", "platform_fees" (JSON text of the
        // fees, sorted), "release_due_at"},
        // JSON with sorted keys and COPY-escaped: each backslash of the inner quotes doubled
        let mut fees: Vec<(&str, i64)> = sellers
            .iter()
            .filter(|s| s.2 != 0)
            .map(|s| (s.0, s.2))
            .collect();
        fees.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut head = String::with_capacity(320 + 40 * fees.len());
        let occurred = c.occurred_ms * 1000;
        let _ = write!(
            head,
            "\t{}\tcapture\t{}\t\\\\x{}\t{}\t\\N\t\\N\t",
            transaction_id(&self.namespace, c.event_id),
            c.event_id,
            hex(&digest),
            c.order_id
        );
        isoformat(&mut head, occurred, true);
        head.push_str("\t{");
        if let Some(channel) = c.channel {
            let _ = write!(head, "\"channel\":\"{}\",", channel);
        }
        let _ = write!(head, "\"gateway\":\"{}\",\"platform_fees\":\"{{", c.gateway);
        for (i, (seller, fee)) in fees.iter().enumerate() {
            let _ = write!(
                head,
                "{}\\\\\"{}\\\\\":{}",
                if i > 0 { "," } else { "" },
                seller,
                fee
            );
        }
        head.push_str("}\",");
        if let Some(region) = c.region.filter(|_| c.has_dimensions()) {
            let _ = write!(head, "\"region\":\"{}\",", region);
        }
        head.push_str("\"release_due_at\":\"");
        isoformat(&mut head, occurred + self.window_micros, false);
        head.push('"');
        if c.has_dimensions() {
            // capture.sales_of: seller -> category ('' for none) -> [gross, fee], JSON text
            let mut sales: BTreeMap<&str, BTreeMap<&str, (i64, i64)>> = BTreeMap::new();
            for ln in &c.lines {
                let cell = sales
                    .entry(ln.seller_id)
                    .or_default()
                    .entry(ln.category.unwrap_or(""))
                    .or_default();
                cell.0 += ln.amount;
                cell.1 += ln.platform_fee;
            }
            head.push_str(",\"sales\":\"{");
            for (i, (seller, cells)) in sales.iter().enumerate() {
                let _ = write!(
                    head,
                    "{}\\\\\"{}\\\\\":{{",
                    if i > 0 { "," } else { "" },
                    seller
                );
                for (j, (category, (gross, fee))) in cells.iter().enumerate() {
                    let _ = write!(
                        head,
                        "{}\\\\\"{}\\\\\":[{},{}]",
                        if j > 0 { "," } else { "" },
                        category,
                        gross,
                        fee
                    );
                }
                head.push('}');
            }
            head.push_str("}\"");
        }
        head.push('}');

        Staged {
            event_id: c.event_id.to_owned(),
            order_id: c.order_id.to_owned(),
            digest,
            identity: ident,
            head,
            postings,
            sorted,
        }
    }
}

struct Staged {
    event_id: String,
    order_id: String,
    digest: [u8; 32],
    identity: String, // repr(OrderCaptured) of the event, whose SHA-256 is the digest
    head: String,
    postings: Vec<String>,
    sorted: Vec<usize>,
}

/// A capture staged by the lane: what the consumer needs of it (ids, digest, the
/// message for the reference) and its journal rows, numbered and chained by `link`.
#[pyclass(frozen, module = "splitbook_native")]
struct NativeCapture {
    s: Staged,
    value: Py<PyBytes>,
}

#[pymethods]
impl NativeCapture {
    #[getter]
    fn event_id(&self) -> &str {
        &self.s.event_id
    }

    #[getter]
    fn order_id(&self) -> &str {
        &self.s.order_id
    }

    /// repr(OrderCaptured) of the event, whose SHA-256 is the digest
    #[getter]
    fn identity(&self) -> &str {
        &self.s.identity
    }

    #[getter]
    fn value(&self, py: Python<'_>) -> Py<PyBytes> {
        self.value.clone_ref(py)
    }

    #[getter]
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new_bound(py, &self.s.digest)
    }

    #[getter]
    fn postings_count(&self) -> usize {
        self.s.postings.len()
    }

    #[getter]
    fn batch_id(&self) -> Option<String> {
        None
    }

    /// (transaction row, posting rows, chain hash) at seq after `previous`: the COPY
    /// text journal.format_rows writes, and chain.link_lines's hash.
    fn link<'py>(&self, py: Python<'py>, previous: &[u8], seq: i64) -> Bound<'py, PyTuple> {
        let seq = seq.to_string();
        let mut h = Sha256::new();
        h.update(previous);
        h.update(seq.as_bytes());
        h.update(self.s.head.as_bytes());
        h.update(b"\n");
        for &i in &self.s.sorted {
            h.update(seq.as_bytes());
            h.update(self.s.postings[i].as_bytes());
        }
        let chain: [u8; 32] = h.finalize().into();
        let mut row = String::with_capacity(seq.len() + self.s.head.len() + 72);
        row.push_str(&seq);
        row.push_str(&self.s.head);
        row.push_str("\t\\\\x");
        row.push_str(&hex(&chain));
        row.push('\n');
        let mut lines =
            String::with_capacity(self.s.postings.iter().map(|p| p.len() + seq.len()).sum());
        for p in &self.s.postings {
            lines.push_str(&seq);
            lines.push_str(p);
        }
        PyTuple::new_bound(
            py,
            [
                row.into_py(py),
                lines.into_py(py),
                PyBytes::new_bound(py, &chain).into_any().unbind(),
            ],
        )
    }
}

#[pymodule]
fn splitbook_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CaptureLane>()?;
    m.add_class::<NativeCapture>()?;
    m.add_class::<avro::AvroCodec>()?;
    m.add_function(wrap_pyfunction!(projection::fold_captures, m)?)?;
    m.add_function(wrap_pyfunction!(copy::copy_text, m)?)?;
    Ok(())
}
