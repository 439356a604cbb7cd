"""The SQL of reconciliation: what the journal posted that a gateway report or a bank
statement should show, and recording an import (its lines, its findings as
exceptions), once per file."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import psycopg

from services.adapters import metadata
from services.domain.bounds import ID_MAX_CHARS, printable
from services.reconciliation.matching import Reported, Result


@contextlib.contextmanager
def importing(conn: psycopg.Connection, path: Path) -> Iterator[tuple[bytes, str, bool]]:
    """One transaction per import, one import at a time: yields (bytes, sha256, already imported)."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('recon'))")
        yield data, sha, already_imported(conn, sha)


def already_imported(conn: psycopg.Connection, sha: str) -> bool:
    return conn.execute("SELECT 1 FROM recon_imports WHERE file_sha256 = %s", (sha,)).fetchone() is not None


def matched_before(conn: psycopg.Connection, line_types: list[str]) -> set[tuple[int, str]]:
    return {(r[0], r[1]) for r in conn.execute(
        "SELECT journal_seq, reference FROM recon_lines WHERE status = 'matched' AND journal_seq IS NOT NULL"
        " AND line_type = ANY(%s)", (line_types,))}


def record(conn: psycopg.Connection, kind: str, sha: str, name: str, lines: list[Reported], result: Result,
           currency: str) -> None:
    conn.execute("INSERT INTO recon_imports (file_sha256, kind, file_name, line_count, matched, exceptions)"
                 " VALUES (%s, %s, %s, %s, %s, %s)",
                 (sha, kind, name, len(lines), len(result.matched), len(result.findings)))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO recon_lines (file_sha256, line_no, reference, line_type, amount_minor, status, reason_code,"
            " journal_seq) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(sha, r.line_no, r.key[0], r.key[1], next(iter(r.amounts.values())), *result.line_status[r.line_no])
             for r in lines])
        cur.executemany(
            "INSERT INTO exceptions (reason_code, detail, source, order_id, amount_minor, currency)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [(f.reason, printable(f.detail + (f" (line {f.line_no})" if f.line_no else "")), f"{kind}-report:{sha[:16]}",
              printable(f.reference, ID_MAX_CHARS) if kind == "gateway" else None, f.amount_minor, f.currency or currency)
             for f in result.findings])


def bank_movements(conn: psycopg.Connection, currency: str, lo, hi) -> list[tuple]:
    """(seq, kind, event_id, metadata, account, currency, amount) of every settled payout
    and gateway deposit in [lo, hi), metadata typed."""
    rows = conn.execute(
        "SELECT t.seq, t.kind, t.event_id, t.metadata, p.account, p.currency, p.amount_minor"
        " FROM journal_transactions t JOIN journal_postings p USING (seq)"
        " WHERE t.kind IN ('payout_confirmation', 'gateway_deposit') AND p.currency = %s"
        " AND t.occurred_at >= %s AND t.occurred_at < %s ORDER BY t.seq", (currency, lo, hi)).fetchall()
    return [(seq, kind, eid, metadata.decode(md), *rest) for seq, kind, eid, md, *rest in rows]


def gateway_movements(conn: psycopg.Connection, gateway: str, currency: str, lo, hi) -> list[tuple]:
    """(seq, kind, order_id, dispute outcome, account, currency, amount) of the captures,
    refunds and dispute resolutions of the gateway's orders in [lo, hi)."""
    return conn.execute(
        "SELECT t.seq, t.kind, t.order_id, t.metadata->>'outcome', p.account, p.currency, p.amount_minor"
        " FROM journal_transactions t JOIN journal_postings p USING (seq)"
        " WHERE t.order_id IN (SELECT order_id FROM journal_transactions WHERE kind = 'capture'"
        "                      AND metadata->>'gateway' = %s)"
        " AND t.kind IN ('capture', 'refund', 'refund_after_release', 'dispute_resolved')"
        " AND t.occurred_at >= %s AND t.occurred_at < %s AND p.currency = %s ORDER BY t.seq",
        (gateway, lo, hi, currency)).fetchall()


def account_currencies(conn: psycopg.Connection, account: str) -> list[str]:
    """The currencies an account holds money in, per the read models."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT currency FROM account_balances WHERE account = %s ORDER BY 1", (account,))]


def first_capture_currency(conn: psycopg.Connection, gateway: str) -> str | None:
    row = conn.execute("SELECT currency FROM journal_postings WHERE seq = (SELECT min(seq) FROM"
                       " journal_transactions WHERE kind = 'capture' AND metadata->>'gateway' = %s) LIMIT 1",
                       (gateway,)).fetchone()
    return row[0] if row else None


def settled_payout(conn: psycopg.Connection, bank_reference: str) -> tuple[str, str, int, str] | None:
    """(batch_id, seller_id, amount, currency) of the payout line settled with this bank reference."""
    return conn.execute(
        "SELECT t.batch_id, s.key, (s.value->>0)::bigint, (SELECT currency FROM journal_postings WHERE seq = t.seq LIMIT 1)"
        " FROM journal_transactions t, jsonb_each((t.metadata->>'settled')::jsonb) s"
        " WHERE t.kind = 'payout_confirmation' AND s.value->>1 = %s LIMIT 1", (bank_reference,)).fetchone()
