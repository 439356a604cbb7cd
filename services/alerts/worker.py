"""Evaluates the alert rules every interval and raises each new breach once, as an
exception with the rule's reason code (and a count on /metrics); it never writes the
journal. One evaluation is one PostgreSQL transaction, under an advisory lock so that two
workers never raise the same breach twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import psycopg
import structlog

from services.adapters.postgres import alerts as store
from services.adapters.postgres import db
from services.domain.alerts import Breach, Thresholds, changes, evaluate
from services.runtime import metrics
from services.runtime.runloop import Stop

log = structlog.get_logger()


def run_once(conn: psycopg.Connection, thresholds: Thresholds, as_of: datetime) -> list[tuple[int, Breach]]:
    """One evaluation as of as_of: (exception id, breach) of each breach raised now."""
    with db.translated(), conn.transaction():
        store.lock(conn)
        breaches = evaluate(store.figures(conn, thresholds, as_of), thresholds)
        new, cleared = changes(breaches, store.breaching(conn))
        ids = store.record(conn, new, cleared, as_of)
    for eid, b in zip(ids, new):
        log.warning("alert_raised", rule=b.rule.value, subject=b.subject, exception_id=eid, detail=b.detail,
                    seller_id=b.seller_id, order_id=b.order_id)
        metrics.ALERTS.labels(b.rule.value).inc()
    for rule in {b.rule for b in breaches}:
        metrics.ALERTS_BREACHING.labels(rule.value).set(sum(1 for b in breaches if b.rule == rule))
    log.info("alerts_evaluated", as_of=as_of.isoformat(), breaching=len(breaches), raised=len(new),
             cleared=len(cleared))
    return list(zip(ids, new))


def run_forever(conn: psycopg.Connection, thresholds: Thresholds, clock: Callable[[], datetime], interval_s: float,
                stop: Stop) -> None:
    while not stop.requested:
        run_once(conn, thresholds, clock())
        deadline = time.monotonic() + interval_s
        while not stop.requested and time.monotonic() < deadline:
            time.sleep(min(0.5, interval_s))
