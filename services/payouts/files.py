"""Bank files written from the posted batch: a CSV for people and, for the bank, an ISO
20022 pain.001 (payouts.pain001: .001.001.09 or .03, validated against the official XSD)
or, for the currencies settings give to it, a FEBRABAN CNAB 240 remessa
(payouts.cnab240). A batch whose bank file cannot be made is held, with an exception
naming the seller and the field, and nothing is written. Files are written atomically
(temp file, fsync, rename) with their SHA-256 recorded; the same batch always yields the
same bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

import psycopg

from services.adapters.postgres import backoffice, journal, profiles
from services.domain.errors import PermanentError
from services.domain.rules.profiles import in_force
from services.payouts import cnab240, pain001
from services.payouts.batch import Batch, Debtor, FileRefused, Line, decimal, end_to_end_id

__all__ = ["Batch", "Debtor", "FileRefused", "Line", "decimal", "end_to_end_id", "load_batch", "to_csv", "bank_file",
           "bank_file_path", "sent_file", "write_files"]


def load_batch(conn: psycopg.Connection, batch_id: str) -> Batch:
    txns = [t for t in journal.batch_transactions(conn, [batch_id]).get(batch_id, []) if t.kind == "payout_batch"]
    if not txns:
        raise PermanentError(f"no payout batch {batch_id} in the journal")
    t = txns[0]
    lines = t.metadata["lines"]
    book = profiles.load(conn, sorted(lines))
    out = []
    for seller, amount in sorted(lines.items()):
        p = in_force(book.get(seller, []), t.occurred_at)
        out.append(Line(seller, int(amount)) if p is None else
                   Line(seller, int(amount), p.bank_account_ref or "", p.legal_name, p.tax_document, p.bank_account))
    return Batch(batch_id, t.metadata["batch_date"], t.postings[0].currency,
                 t.occurred_at.strftime("%Y-%m-%dT%H:%M:%S"), tuple(out))


def to_csv(b: Batch) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["batch_id", "batch_date", "seller_id", "payee", "bank_account", "currency", "amount", "end_to_end_id"])
    for ln in b.lines:
        w.writerow([b.batch_id, b.batch_date, ln.seller_id, ln.legal_name or "", ln.account_label, b.currency,
                    decimal(ln.amount_minor, b.currency), end_to_end_id(b.batch_id, ln.seller_id)])
    w.writerow(["TOTAL", b.batch_date, f"{len(b.lines)} lines", "", "", b.currency, decimal(b.control_sum_minor, b.currency), ""])
    return buf.getvalue().encode()


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


SUFFIX = {"pain.001.001.09": ".pain001.xml", "pain.001.001.03": ".pain001.xml", "cnab240": ".cnab240.rem"}


def bank_file(b: Batch, debtor: Debtor) -> tuple[str, bytes]:
    """(format, bytes) of the batch's file for the bank; FileRefused when it cannot be made."""
    fmt = debtor.format_for(b.currency)
    return fmt, (cnab240.write(b, debtor) if fmt == "cnab240" else pain001.render(b, debtor))


def bank_file_path(out_dir: Path, batch_id: str, fmt: str) -> Path:
    return out_dir / f"{batch_id}{SUFFIX[fmt]}"


def sent_file(out_dir: Path, batch_id: str) -> Path | None:
    """The bank file written for the batch, if any (none when the batch is held)."""
    return next((p for p in (out_dir / f"{batch_id}{suffix}" for suffix in sorted(set(SUFFIX.values())))
                 if p.exists()), None)


def write_files(conn: psycopg.Connection, batch_id: str, out_dir: Path, debtor: Debtor = Debtor()) -> dict[str, Path]:
    """Write (or re-write identically) both files of a batch and record their hashes;
    FileRefused, writing nothing, when the bank's file cannot be made or would not validate."""
    b = load_batch(conn, batch_id)
    bank_fmt, bank_data = bank_file(b, debtor)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for fmt, data, path in (("csv", to_csv(b), out_dir / f"{batch_id}.csv"),
                            (bank_fmt, bank_data, bank_file_path(out_dir, batch_id, bank_fmt))):
        digest = hashlib.sha256(data).hexdigest()
        recorded = backoffice.payout_file_sha256(conn, batch_id, fmt)
        if recorded and recorded != digest:
            raise PermanentError(f"{fmt} file of {batch_id} was recorded with another hash; refusing to overwrite")
        _atomic_write(path, data)
        backoffice.record_payout_file(conn, batch_id, fmt, str(path), digest, len(data), len(b.lines),
                                      b.control_sum_minor)
        written[fmt] = path
    return written
