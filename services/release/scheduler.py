"""Publishes ReleaseEscrow commands to ledger.commands; it never writes the journal.

Candidates come from the order_escrow read model (window passed, nothing disputed,
something held). The posting consumer re-checks all of it against the journal, so a
read model that lags can only make a command arrive early (RELEASE_BEFORE_WINDOW) or
twice (a no-op: the command id is release:<order_id>)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import psycopg
import structlog
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.adapters.postgres import backoffice
from services.entrypoints.settings import Settings
from services.runtime import metrics
from services.runtime.runloop import Stop

log = structlog.get_logger()


def due_orders(conn: psycopg.Connection, as_of: datetime, limit: int = 100_000) -> list[str]:
    return backoffice.due_orders(conn, as_of, limit)


def release_command(order_id: str, as_of: datetime) -> dict:
    return {"event_id": f"release:{order_id}", "occurred_at": as_of, "order_id": order_id}


def run_once(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry,
             as_of: datetime) -> int:
    orders = due_orders(conn, as_of)
    if orders:
        publish(producer, settings.topic(topics.COMMANDS), registry,
                (release_command(o, as_of) for o in orders), name="ReleaseEscrow")
    log.info("release_commands_published", count=len(orders), as_of=as_of.isoformat())
    metrics.RELEASES.inc(len(orders))
    return len(orders)


def run_forever(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry,
                clock: Callable[[], datetime], interval_s: float, stop: Stop) -> None:
    """Every interval: escrow past its window, then reserves past their period (reserves.py)."""
    from services.release import reserves

    while not stop.requested:
        run_once(settings, conn, producer, registry, clock())
        reserves.run_once(settings, conn, producer, registry, clock())
        deadline = time.monotonic() + interval_s
        while not stop.requested and time.monotonic() < deadline:
            time.sleep(min(0.5, interval_s))
