"""The SQL of the back-office services that read the ledger to decide what to ask of it:
the release scheduler, the payout scheduler and its bank files, and the pipeline's
progress."""

from __future__ import annotations

from datetime import datetime

import psycopg


def due_orders(conn: psycopg.Connection, as_of: datetime, limit: int) -> list[str]:
    """Orders whose escrow window has passed, holding something, with nothing disputed."""
    rows = conn.execute(
        "SELECT order_id FROM order_escrow WHERE release_due_at <= %s AND disputed = 0"
        " AND status IN ('in_escrow', 'partially_refunded')"
        " AND escrow_seller + escrow_shipping + escrow_platform > 0 ORDER BY release_due_at, order_id LIMIT %s",
        (as_of, limit),
    )
    return [r[0] for r in rows]


def currencies_with_payables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT currency FROM journal_postings WHERE account LIKE 'seller:%%' AND account LIKE 'seller:%%:payable'"
        " GROUP BY currency, account HAVING sum(amount_minor) < 0")
    return sorted({r[0] for r in rows})


def created_batches(conn: psycopg.Connection, batch_ids: list[str]) -> list[str]:
    """Those of batch_ids the ledger created."""
    return [r[0] for r in conn.execute(
        "SELECT batch_id FROM journal_transactions WHERE kind = 'payout_batch' AND batch_id = ANY(%s) ORDER BY batch_id",
        (batch_ids,))]


def payout_file_sha256(conn: psycopg.Connection, batch_id: str, fmt: str) -> str | None:
    row = conn.execute("SELECT sha256 FROM payout_files WHERE batch_id = %s AND format = %s",
                       (batch_id, fmt)).fetchone()
    return row[0] if row else None


def record_payout_file(conn: psycopg.Connection, batch_id: str, fmt: str, path: str, sha256: str, size: int,
                       line_count: int, control_sum_minor: int) -> None:
    conn.execute(
        "INSERT INTO payout_files (batch_id, format, path, sha256, bytes, line_count, control_sum_minor)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (batch_id, format) DO NOTHING",
        (batch_id, fmt, path, sha256, size, line_count, control_sum_minor),
    )


def hold_batch(conn: psycopg.Connection, batch_id: str, detail: str) -> bool:
    """A PAYOUT_FILE_REFUSED exception for the batch, unless one is open already; True when recorded."""
    return conn.execute(
        "INSERT INTO exceptions (reason_code, detail, source, batch_id)"
        " SELECT 'PAYOUT_FILE_REFUSED', %s, 'payout-files', %s WHERE NOT EXISTS (SELECT 1 FROM exceptions"
        "  WHERE reason_code = 'PAYOUT_FILE_REFUSED' AND batch_id = %s AND status IN ('open', 'assigned'))"
        " RETURNING exception_id", (detail, batch_id, batch_id)).fetchone() is not None


def positions(conn: psycopg.Connection) -> tuple[int, int, int]:
    """(the journal's last seq, the relay's, the read models')."""
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM journal_transactions").fetchone()[0]
    relayed = conn.execute("SELECT coalesce(max(last_seq), 0) FROM relay_positions WHERE stream = 'journal'").fetchone()[0]
    projected = conn.execute("SELECT coalesce(max(last_seq), 0) FROM projection_positions").fetchone()[0]
    return last, relayed, projected


def batches_sent_as(conn: psycopg.Connection, fmt: str) -> list[str]:
    """Batches whose bank file went out in fmt and which the bank has not fully answered."""
    return [r[0] for r in conn.execute(
        "SELECT f.batch_id FROM payout_files f JOIN payout_batches b USING (batch_id)"
        " WHERE f.format = %s AND b.confirmed_count < b.line_count ORDER BY f.batch_id", (fmt,))]

