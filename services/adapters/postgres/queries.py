"""What the HTTP API and the console read: the read models (with the journal sequence
they reflect) and the journal itself, as plain rows of dicts."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.rows import dict_row

from services.adapters.postgres import backoffice


def _all(conn: psycopg.Connection, sql: str, params: tuple = ()) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def seller_balances(conn: psycopg.Connection, seller_id: str) -> list[dict]:
    return _all(conn, "SELECT currency, escrow, on_hold, payable, reserve, in_flight, paid_out, withheld, as_of_seq"
                      " FROM seller_balances WHERE seller_id = %s ORDER BY currency", (seller_id,))


def order_escrow(conn: psycopg.Connection, order_id: str) -> dict | None:
    rows = _all(conn, "SELECT order_id, currency, captured, escrow_seller, escrow_shipping, escrow_platform, released,"
                      " refunded, disputed, status, release_due_at, as_of_seq FROM order_escrow WHERE order_id = %s",
                (order_id,))
    return rows[0] if rows else None


_TRANSACTIONS = (
    "SELECT t.seq, t.transaction_id::text, t.kind, t.event_id, t.order_id, t.batch_id, t.occurred_at, t.recorded_at,"
    " t.metadata, coalesce((SELECT json_agg(json_build_object('account', p.account, 'currency', p.currency,"
    " 'amount_minor', p.amount_minor) ORDER BY p.amount_minor DESC, p.account)"
    " FROM journal_postings p WHERE p.seq = t.seq), '[]') AS postings FROM journal_transactions t")


def order_transactions(conn: psycopg.Connection, order_id: str) -> list[dict]:
    return _all(conn, _TRANSACTIONS + " WHERE t.order_id = %s ORDER BY t.seq", (order_id,))


def journal_page(conn: psycopg.Connection, after_seq: int, limit: int) -> list[dict]:
    return _all(conn, _TRANSACTIONS + " WHERE t.seq > %s ORDER BY t.seq LIMIT %s", (after_seq, limit))


def last_seq_at(conn: psycopg.Connection, at: datetime) -> int:
    """The last journal sequence recorded at or before `at`."""
    row = conn.execute("SELECT max(seq) FROM journal_transactions WHERE recorded_at <= %s", (at,)).fetchone()
    return int(row[0] or 0)


def account_balances(conn: psycopg.Connection, as_of_seq: int, prefix: str | None, limit: int) -> list[dict]:
    """Balances (debits positive) of every account as of a journal sequence, from the journal."""
    return _all(conn, "SELECT account, currency, sum(amount_minor)::bigint AS balance_minor, count(*) AS postings"
                      " FROM journal_postings WHERE seq <= %s AND account LIKE %s"
                      " GROUP BY account, currency ORDER BY account, currency LIMIT %s",
                (as_of_seq, (prefix or "").replace("%", r"\%").replace("_", r"\_") + "%", limit))


def payout_batches(conn: psycopg.Connection, limit: int) -> list[dict]:
    return _all(conn, "SELECT batch_id, batch_date, currency, line_count, total, confirmed_count, settled, failed,"
                      " status FROM payout_batches ORDER BY batch_date DESC, batch_id LIMIT %s", (limit,))


def payout_batch(conn: psycopg.Connection, batch_id: str) -> tuple[dict | None, list[dict]]:
    batch = _all(conn, "SELECT batch_id, batch_date, currency, line_count, total, confirmed_count, settled, failed,"
                       " status FROM payout_batches WHERE batch_id = %s", (batch_id,))
    lines = _all(conn, "SELECT * FROM payout_lines WHERE batch_id = %s ORDER BY seller_id", (batch_id,))
    return (batch[0] if batch else None), lines


def exceptions(conn: psycopg.Connection, status: str | None, reason: str | None, after_id: int,
               limit: int) -> list[dict]:
    return _all(conn, "SELECT exception_id, created_at, status, reason_code, coalesce(source_topic, source) AS source,"
                      " event_id, order_id, seller_id, batch_id, currency, amount_minor, assignee, left(detail, 300) AS detail,"
                      " resolution_note FROM exceptions WHERE exception_id > %s"
                      " AND (%s::text IS NULL OR status = %s) AND (%s::text IS NULL OR reason_code = %s)"
                      " ORDER BY exception_id LIMIT %s", (after_id, status, status, reason, reason, limit))


def adjustments(conn: psycopg.Connection, status: str | None) -> list[dict]:
    return _all(conn, "SELECT a.adjustment_id, a.created_at, a.proposer, a.reason_code, a.reason, a.currency,"
                      " a.postings, a.amount_minor, a.required_approvals, a.status, a.exception_id, a.refused_by, a.refusal_note,"
                      " coalesce(array_agg(p.approver ORDER BY p.approved_at) FILTER (WHERE p.approver IS NOT NULL),"
                      " '{}') AS approvers FROM adjustments a LEFT JOIN adjustment_approvals p USING (adjustment_id)"
                      " WHERE (%s::text IS NULL OR a.status = %s) GROUP BY a.adjustment_id ORDER BY a.created_at",
                (status, status))


def dashboard(conn: psycopg.Connection) -> dict:
    """What the console's first page shows: money held per currency, today's activity, the queue."""
    money = _all(conn, "SELECT currency, sum(escrow) AS escrow, sum(on_hold) AS on_hold, sum(payable) AS payable,"
                       " sum(reserve) AS reserve, sum(in_flight) AS in_flight, sum(paid_out) AS paid_out FROM seller_balances"
                       " GROUP BY currency ORDER BY currency")
    today = conn.execute("SELECT count(*) FROM journal_transactions WHERE recorded_at >= date_trunc('day', now())"
                         ).fetchone()[0]
    open_, today_, oldest = _queue(conn)
    pending = conn.execute("SELECT count(*) FROM adjustments WHERE status = 'pending'").fetchone()[0]
    return {"money": money, "posted_today": today, "open_exceptions": open_, "exceptions_today": today_,
            "oldest_open_exception_s": oldest, "pending_adjustments": pending, "as_of_seq": backoffice.positions(conn)[2]}


def _queue(conn: psycopg.Connection) -> tuple[int, int, float | None]:
    """Exceptions open (or assigned), recorded today, and the age of the oldest open one in seconds."""
    open_, today, oldest = conn.execute(
        "SELECT count(*) FILTER (WHERE status IN ('open', 'assigned')),"
        " count(*) FILTER (WHERE created_at >= date_trunc('day', now())),"
        " extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('open', 'assigned')))"
        " FROM exceptions").fetchone()
    return open_, today, None if oldest is None else float(oldest)


def pipeline_state(conn: psycopg.Connection) -> dict:
    """What /metrics reports from the database, read at scrape time."""
    last, relayed, projected = backoffice.positions(conn)
    ages = {}
    for name, seq in (("relay", relayed), ("projection", projected)):
        row = conn.execute("SELECT extract(epoch FROM now() - recorded_at) FROM journal_transactions WHERE seq = %s",
                           (seq + 1,)).fetchone() if seq < last else None
        ages[name] = float(row[0]) if row and row[0] is not None else 0.0
    parked = conn.execute("SELECT count(*) FROM parked_events").fetchone()[0]
    by_reason = dict(conn.execute("SELECT reason_code, count(*) FROM exceptions GROUP BY reason_code").fetchall())
    open_, _, oldest = _queue(conn)
    kinds = dict(conn.execute("SELECT kind, count(*) FROM journal_transactions GROUP BY kind").fetchall())
    return {"last_seq": last, "relayed_seq": relayed, "projected_seq": projected, "relay_lag_s": ages["relay"],
            "projection_lag_s": ages["projection"], "parked": parked, "exceptions_by_reason": by_reason,
            "open_exceptions": open_, "oldest_open_exception_s": oldest or 0.0, "posted_by_kind": kinds}
