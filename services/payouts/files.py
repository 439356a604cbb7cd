"""Bank files written from the posted batch: a CSV for people and an ISO 20022
pain.001.001.03 credit transfer for the bank. The pain.001 is validated against the
official XSD (shipped by the sepaxml package) before anything is written: a batch whose
file would not validate is held, with an exception naming the seller and the field.
Written atomically (temp file, fsync, rename) with their SHA-256 recorded; the same batch
always yields the same bytes."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg
import xmlschema

from services.adapters import iso20022
from services.adapters.iso20022 import parse_untrusted
from services.adapters.postgres import backoffice, journal, profiles
from services.domain.errors import PermanentError
from services.domain.money import exponent

PAIN_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
END_TO_END_ID_MAX = 35  # Max35Text
ACCOUNT_ID_MAX = 34  # Othr/Id: Max34Text


@dataclass(frozen=True)
class Debtor:
    """Who pays out (settings: SPLITBOOK_PAYOUT_DEBTOR_NAME, _ACCOUNT, _BIC)."""

    name: str = "Splitbook Marketplace Ltda"
    account: str = "BR00SPLITBOOK0PAYOUTS0000001"
    bic: str = "SPLTBRSPXXX"

    @classmethod
    def from_settings(cls, settings) -> Debtor:
        return cls(settings.payout_debtor_name, settings.payout_debtor_account, settings.payout_debtor_bic)


class FileRefused(PermanentError):
    """The batch's bank file would not validate: nothing is written, the batch is held."""


def end_to_end_id(batch_id: str, seller_id: str) -> str:
    """{batch}-{seller}, or {batch}-{a digest of the seller} where that would pass 35
    characters: unique per line, the same for the same line, always within the schema."""
    plain = f"{batch_id}-{seller_id}"
    if len(plain) <= END_TO_END_ID_MAX:
        return plain
    room = END_TO_END_ID_MAX - len(batch_id) - 1
    return f"{batch_id}-{hashlib.sha256(seller_id.encode()).hexdigest()[:room]}"


@dataclass(frozen=True)
class Line:
    seller_id: str
    amount_minor: int
    bank_account_ref: str


@dataclass(frozen=True)
class Batch:
    batch_id: str
    batch_date: str
    currency: str
    created_at: str
    lines: tuple[Line, ...]

    @property
    def control_sum_minor(self) -> int:
        return sum(ln.amount_minor for ln in self.lines)


def load_batch(conn: psycopg.Connection, batch_id: str) -> Batch:
    txns = [t for t in journal.batch_transactions(conn, [batch_id]).get(batch_id, []) if t.kind == "payout_batch"]
    if not txns:
        raise PermanentError(f"no payout batch {batch_id} in the journal")
    t = txns[0]
    lines = t.metadata["lines"]
    book = profiles.load(conn, sorted(lines))
    out = []
    for seller, amount in sorted(lines.items()):
        in_force = [p for p in book.get(seller, []) if p.occurred_at <= t.occurred_at]
        out.append(Line(seller, int(amount), in_force[-1].bank_account_ref if in_force else ""))
    return Batch(batch_id, t.metadata["batch_date"], t.postings[0].currency,
                 t.occurred_at.strftime("%Y-%m-%dT%H:%M:%S"), tuple(out))


def decimal(amount_minor: int, currency: str) -> str:
    exp = exponent(currency)
    whole, frac = divmod(amount_minor, 10**exp)
    return f"{whole}.{frac:0{exp}d}" if exp else str(whole)


def to_csv(b: Batch) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["batch_id", "batch_date", "seller_id", "bank_account_ref", "currency", "amount", "end_to_end_id"])
    for ln in b.lines:
        w.writerow([b.batch_id, b.batch_date, ln.seller_id, ln.bank_account_ref, b.currency,
                    decimal(ln.amount_minor, b.currency), end_to_end_id(b.batch_id, ln.seller_id)])
    w.writerow(["TOTAL", b.batch_date, f"{len(b.lines)} lines", "", b.currency, decimal(b.control_sum_minor, b.currency), ""])
    return buf.getvalue().encode()


def to_pain001(b: Batch, debtor: Debtor = Debtor()) -> bytes:
    el = iso20022.builder(PAIN_NS)
    root, cti = iso20022.document(PAIN_NS, el, "CstmrCdtTrfInitn")
    hdr = el(cti, "GrpHdr")
    el(hdr, "MsgId", b.batch_id)
    el(hdr, "CreDtTm", b.created_at)
    el(hdr, "NbOfTxs", str(len(b.lines)))
    el(hdr, "CtrlSum", decimal(b.control_sum_minor, b.currency))
    el(el(hdr, "InitgPty"), "Nm", debtor.name)
    pmt = el(cti, "PmtInf")
    el(pmt, "PmtInfId", b.batch_id)
    el(pmt, "PmtMtd", "TRF")
    el(pmt, "NbOfTxs", str(len(b.lines)))
    el(pmt, "CtrlSum", decimal(b.control_sum_minor, b.currency))
    el(pmt, "ReqdExctnDt", b.batch_date)
    el(el(pmt, "Dbtr"), "Nm", debtor.name)
    el(el(el(el(pmt, "DbtrAcct"), "Id"), "Othr"), "Id", debtor.account)
    el(el(el(pmt, "DbtrAgt"), "FinInstnId"), "BIC", debtor.bic)
    for ln in b.lines:
        tx = el(pmt, "CdtTrfTxInf")
        el(el(tx, "PmtId"), "EndToEndId", end_to_end_id(b.batch_id, ln.seller_id))
        el(el(tx, "Amt"), "InstdAmt", decimal(ln.amount_minor, b.currency), Ccy=b.currency)
        el(el(tx, "Cdtr"), "Nm", ln.seller_id)
        el(el(el(el(tx, "CdtrAcct"), "Id"), "Othr"), "Id", ln.bank_account_ref)
        el(el(tx, "RmtInf"), "Ustrd", f"Splitbook payout {b.batch_id}")
    return iso20022.serialize(root)


def check_lines(b: Batch) -> None:
    """What the schema would refuse, said per seller and field before the schema is asked."""
    for ln in b.lines:
        if not 1 <= len(ln.bank_account_ref) <= ACCOUNT_ID_MAX:
            raise FileRefused(f"{b.batch_id}: seller {ln.seller_id}'s bank account reference (CdtrAcct/Id/Othr/Id)"
                              f" must be 1 to {ACCOUNT_ID_MAX} characters, is {len(ln.bank_account_ref)}")


@functools.cache
def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(resources.files("sepaxml") / "schemas" / "pain.001.001.03.xsd"))


def validate_pain001(data: bytes) -> None:
    """Against the official pain.001.001.03 XSD; FileRefused naming the first error."""
    error = next(_schema().iter_errors(data.decode()), None)
    if error is not None:
        raise FileRefused(f"the pain.001 would not validate: {error.reason} at {error.path}")


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_files(conn: psycopg.Connection, batch_id: str, out_dir: Path, debtor: Debtor = Debtor()) -> dict[str, Path]:
    """Write (or re-write identically) both files of a batch and record their hashes;
    FileRefused, writing nothing, when the pain.001 would not validate."""
    b = load_batch(conn, batch_id)
    check_lines(b)
    pain = to_pain001(b, debtor)
    validate_pain001(pain)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for fmt, data, suffix in (("csv", to_csv(b), ".csv"), ("pain.001", pain, ".pain001.xml")):
        path = out_dir / f"{batch_id}{suffix}"
        digest = hashlib.sha256(data).hexdigest()
        recorded = backoffice.payout_file_sha256(conn, batch_id, fmt)
        if recorded and recorded != digest:
            raise PermanentError(f"{fmt} file of {batch_id} was recorded with another hash; refusing to overwrite")
        _atomic_write(path, data)
        backoffice.record_payout_file(conn, batch_id, fmt, str(path), digest, len(data), len(b.lines),
                                      b.control_sum_minor)
        written[fmt] = path
    return written


def parse_pain001(data: bytes) -> Batch:
    """Read back a pain.001 file (the bank adapter's side)."""
    ns = {"p": PAIN_NS}
    root = parse_untrusted(data)
    hdr = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", ns)
    pmt = root.find("p:CstmrCdtTrfInitn/p:PmtInf", ns)
    lines = []
    currency = None
    for tx in pmt.findall("p:CdtTrfTxInf", ns):
        amt = tx.find("p:Amt/p:InstdAmt", ns)
        currency = amt.get("Ccy")
        exp = exponent(currency)
        whole, _, frac = amt.text.partition(".")
        minor = int(whole) * 10**exp + (int(frac.ljust(exp, "0")) if exp else 0)
        lines.append(Line(tx.find("p:Cdtr/p:Nm", ns).text, minor, tx.find("p:CdtrAcct/p:Id/p:Othr/p:Id", ns).text))
    batch = Batch(hdr.find("p:MsgId", ns).text, pmt.find("p:ReqdExctnDt", ns).text, currency or "",
                  hdr.find("p:CreDtTm", ns).text, tuple(lines))
    if int(hdr.find("p:NbOfTxs", ns).text) != len(lines):
        raise PermanentError(f"pain.001 {batch.batch_id}: NbOfTxs does not match its transactions")
    return batch
