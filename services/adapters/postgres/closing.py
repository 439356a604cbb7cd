"""The SQL of the day's close: totals of what the journal *recorded* before or within a
UTC day (so a closed day stays closed)."""

from __future__ import annotations

from datetime import date, datetime

import psycopg


def balances_before(conn: psycopg.Connection, when: datetime, like: str) -> dict[str, int]:
    """currency -> natural (liability) balance of accounts LIKE `like`, recorded before `when`."""
    rows = conn.execute(
        "SELECT p.currency, -sum(p.amount_minor) FROM journal_postings p JOIN journal_transactions t USING (seq)"
        " WHERE p.account LIKE %s AND t.recorded_at < %s GROUP BY 1", (like, when))
    return {c: int(v) for c, v in rows}


def account_totals_before(conn: psycopg.Connection, when: datetime) -> list[tuple[str, str, int, int]]:
    """(account, currency, debits, credits) of everything recorded before `when`."""
    return [(a, c, int(d), int(k)) for a, c, d, k in conn.execute(
        "SELECT p.account, p.currency, coalesce(sum(p.amount_minor) FILTER (WHERE p.amount_minor > 0), 0),"
        " coalesce(-sum(p.amount_minor) FILTER (WHERE p.amount_minor < 0), 0) FROM journal_postings p"
        " JOIN journal_transactions t USING (seq) WHERE t.recorded_at < %s GROUP BY 1, 2", (when,))]


def moves(conn: psycopg.Connection, lo: datetime, hi: datetime, like: str) -> dict[tuple[str, str], int]:
    """(kind, currency) -> what transactions of that kind recorded in [lo, hi) added to the
    (liability) accounts LIKE `like`."""
    return {(k, c): int(v) for k, c, v in conn.execute(
        "SELECT t.kind, p.currency, -sum(p.amount_minor) FROM journal_postings p JOIN journal_transactions t USING (seq)"
        " WHERE p.account LIKE %s AND t.recorded_at >= %s AND t.recorded_at < %s GROUP BY 1, 2",
        (like, lo, hi))}


def payables_before(conn: psycopg.Connection, when: datetime) -> dict[str, tuple[int, int]]:
    """currency -> (what is owed to sellers, what sellers owe: negative payables)."""
    return {c: (int(pos), int(neg)) for c, pos, neg in conn.execute(
        "SELECT currency, coalesce(sum(b) FILTER (WHERE b > 0), 0), coalesce(sum(b) FILTER (WHERE b < 0), 0) FROM ("
        " SELECT p.account, p.currency, -sum(p.amount_minor) AS b FROM journal_postings p JOIN journal_transactions t"
        " USING (seq) WHERE p.account LIKE 'seller:%%' AND p.account LIKE 'seller:%%:payable' AND t.recorded_at < %s"
        " GROUP BY 1, 2) s GROUP BY 1", (when,))}


def capture_fees(conn: psycopg.Connection, lo: datetime, hi: datetime) -> list[tuple[str, str, int, int, int]]:
    """(gateway, currency, captures, gross, gateway fee) of captures recorded in [lo, hi)."""
    return [(g, c, int(n), int(gross or 0), int(fee)) for g, c, n, gross, fee in conn.execute(
        "SELECT t.metadata->>'gateway', p.currency, count(DISTINCT t.seq),"
        " sum(p.amount_minor) FILTER (WHERE p.amount_minor > 0),"
        " coalesce(sum(p.amount_minor) FILTER (WHERE p.account LIKE 'ops:expense:mdr:%%'), 0)"
        " FROM journal_transactions t JOIN journal_postings p USING (seq) WHERE t.kind = 'capture'"
        " AND t.recorded_at >= %s AND t.recorded_at < %s GROUP BY 1, 2 ORDER BY 1", (lo, hi))]


def late_activity(conn: psycopg.Connection, lo: datetime, hi: datetime) -> list[tuple]:
    """(kind, currency, transactions, debits, earliest occurred_at) recorded in [lo, hi)
    that occurred before lo."""
    return conn.execute(
        "SELECT t.kind, p.currency, count(DISTINCT t.seq), sum(p.amount_minor) FILTER (WHERE p.amount_minor > 0),"
        " min(t.occurred_at) FROM journal_transactions t JOIN journal_postings p USING (seq)"
        " WHERE t.recorded_at >= %s AND t.recorded_at < %s AND t.occurred_at < %s GROUP BY 1, 2 ORDER BY 1, 2",
        (lo, hi, lo)).fetchall()


def open_exceptions(conn: psycopg.Connection) -> list[tuple[str, int]]:
    return [(r, int(n)) for r, n in conn.execute(
        "SELECT reason_code, count(*) FROM exceptions WHERE status IN ('open', 'assigned') GROUP BY 1 ORDER BY 1")]


def day_postings(conn: psycopg.Connection, lo: datetime, hi: datetime) -> list[tuple[int, str, str, int]]:
    """(seq, account, currency, amount) of every posting recorded in [lo, hi), in seq order."""
    return [(s, a, c, int(m)) for s, a, c, m in conn.execute(
        "SELECT p.seq, p.account, p.currency, p.amount_minor FROM journal_postings p"
        " JOIN journal_transactions t USING (seq) WHERE t.recorded_at >= %s AND t.recorded_at < %s"
        " ORDER BY p.seq, p.account", (lo, hi))]


def record_gl_export(conn: psycopg.Connection, day: date, mapping_sha256: str, csv_sha256: str, json_sha256: str,
                     lines: int, first_seq: int | None, last_seq: int | None) -> None:
    conn.execute("INSERT INTO gl_exports (day, mapping_sha256, csv_sha256, json_sha256, lines, first_seq, last_seq)"
                 " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (day, mapping_sha256, csv_sha256, json_sha256, lines, first_seq, last_seq))


def gl_exports_of(conn: psycopg.Connection, day: date) -> list[tuple[str, str, str, datetime]]:
    """(mapping_sha256, csv_sha256, json_sha256, exported_at) of the day's earlier exports, oldest first."""
    return conn.execute("SELECT mapping_sha256, csv_sha256, json_sha256, exported_at FROM gl_exports"
                        " WHERE day = %s ORDER BY export_id", (day,)).fetchall()
