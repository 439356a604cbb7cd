"""The alerts worker's SQL: the figures its rules read (services/domain/alerts.py), the
breaches raised and still breaching, and raising and clearing them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import psycopg

from services.domain.alerts import (Breach, Figures, Lag, OpenException, ParkedOrder, Payable, ReconImport,
                                    SellerActivity, Thresholds)


def figures(conn: psycopg.Connection, t: Thresholds, as_of: datetime) -> Figures:
    lo = as_of - timedelta(days=t.rate_window_days)
    activity = tuple(SellerActivity(s, c, int(n), int(cap), int(ref), int(dis)) for s, c, n, cap, ref, dis in conn.execute(
        # a seller's share: their escrow account (order:O:escrow:seller:S) or payable (seller:S:payable)
        "SELECT CASE WHEN p.account LIKE 'order:%%' THEN split_part(p.account, ':', 5)"
        "  ELSE split_part(p.account, ':', 2) END AS seller, p.currency,"
        " count(DISTINCT t.order_id) FILTER (WHERE t.kind = 'capture'),"
        " coalesce(-sum(p.amount_minor) FILTER (WHERE t.kind = 'capture'), 0),"
        " coalesce(sum(p.amount_minor) FILTER (WHERE t.kind IN ('refund', 'refund_after_release')), 0),"
        " coalesce(sum(p.amount_minor) FILTER (WHERE t.kind = 'dispute_opened'), 0)"
        " FROM journal_transactions t JOIN journal_postings p USING (seq)"
        " WHERE t.occurred_at >= %s AND t.occurred_at < %s"
        " AND t.kind IN ('capture', 'refund', 'refund_after_release', 'dispute_opened')"
        " AND (p.account LIKE 'order:%%:escrow:seller:%%' OR (p.account LIKE 'seller:%%' AND p.account LIKE '%%:payable'))"
        " GROUP BY 1, 2 ORDER BY 1, 2", (lo, as_of)))
    payables = tuple(Payable(s, c, int(v)) for s, c, v in conn.execute(
        "SELECT seller_id, currency, payable FROM seller_balances WHERE payable < %s ORDER BY 1, 2",
        (-t.negative_payable_minor,)))
    recon = tuple(ReconImport(src, name, cur, int(n), int(amount)) for src, name, cur, n, amount in conn.execute(
        "SELECT e.source, i.file_name, e.currency, count(*), sum(abs(coalesce(e.amount_minor, 0)))"
        " FROM exceptions e JOIN recon_imports i ON e.source = i.kind || '-report:' || left(i.file_sha256, 16)"
        " WHERE e.reason_code LIKE 'RECON\\_%%' AND e.status IN ('open', 'assigned')"
        " GROUP BY 1, 2, 3 ORDER BY 1, 3"))
    exceptions = tuple(OpenException(*row) for row in conn.execute(
        "SELECT exception_id, reason_code, created_at, seller_id, order_id, batch_id FROM exceptions"
        " WHERE status IN ('open', 'assigned') AND created_at < %s AND reason_code NOT LIKE 'ALERT\\_%%'"
        " ORDER BY exception_id", (as_of - timedelta(hours=t.exception_age_hours),)))
    parked = tuple(ParkedOrder(o, int(n), oldest) for o, n, oldest in conn.execute(
        "SELECT order_id, count(*), min(parked_at) FROM parked_events GROUP BY order_id"
        " HAVING min(parked_at) < %s ORDER BY 1", (as_of - timedelta(minutes=t.parked_age_minutes),)))
    behind, oldest = conn.execute(
        "SELECT count(*), min(t.recorded_at) FROM journal_transactions t"
        " WHERE t.seq > (SELECT coalesce(min(last_seq), 0) FROM projection_positions)").fetchone()
    return Figures(as_of, activity, payables, recon, exceptions, parked, Lag(int(behind), oldest))


_LOCK = 0x5B_A1E7  # the alerts worker's transaction-level advisory lock


def lock(conn: psycopg.Connection) -> None:
    """One evaluation at a time, whatever the number of workers (until its transaction ends)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))


def breaching(conn: psycopg.Connection) -> set[str]:
    return {k for (k,) in conn.execute("SELECT alert_key FROM alert_state")}


def record(conn: psycopg.Connection, raised: Iterable[Breach], cleared: Iterable[str], as_of: datetime) -> list[int]:
    """Raise each breach as an exception and note it as breaching; forget the cleared
    ones (their exceptions stay in the queue). Returns the new exceptions' ids."""
    ids = []
    for b in raised:
        (eid,) = conn.execute(
            "INSERT INTO exceptions (reason_code, detail, source, seller_id, order_id, batch_id, amount_minor, currency)"
            " VALUES (%s, %s, 'alerts', %s, %s, %s, %s, %s) RETURNING exception_id",
            (b.rule.value, b.detail, b.seller_id, b.order_id, b.batch_id, b.amount_minor, b.currency)).fetchone()
        conn.execute("INSERT INTO alert_state (alert_key, rule, subject, exception_id, since) VALUES (%s, %s, %s, %s, %s)",
                     (b.key, b.rule.value, b.subject, eid, as_of))
        ids.append(eid)
    keys = list(cleared)
    if keys:
        conn.execute("DELETE FROM alert_state WHERE alert_key = ANY(%s)", (keys,))
    return ids
