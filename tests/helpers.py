"""Shared test helpers: build events, publish them, run the workers in-process until idle."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import psycopg
from confluent_kafka import Consumer, Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.config import producer_config
from services.adapters.kafka.publish import publish
from services.entrypoints import bootstrap
from services.entrypoints.settings import Settings
from services.runtime.runloop import Stop
from services.simulators.storefront import worked_example

REGISTRY = SchemaRegistry.from_dir()


def producer(settings: Settings) -> Producer:
    """A producer as the project's own are configured (the Java clients' partitioner)."""
    return Producer(producer_config(settings))
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


def capture(order_id: str = "O_8821", **changes) -> dict:
    rec = copy.deepcopy(worked_example(T0))
    rec["order_id"] = order_id
    rec["event_id"] = f"evt_capture_{order_id}"
    rec.update(changes)
    return rec


def publish_orders(settings: Settings, records: list[dict], version: int | None = None) -> None:
    publish(producer(settings), settings.topic(topics.ORDERS),
            REGISTRY, records, version=version)


def publish_records(settings: Settings, topic: str, name: str, records: list[dict]) -> None:
    publish(producer(settings), settings.topic(topic), REGISTRY,
            records, name=name)


def refund(order_id: str, refund_id: str, lines: list[tuple[str, int, int]], shipping: int = 0, at=T0) -> dict:
    return {"event_id": f"evt_refund_{refund_id}", "occurred_at": at, "refund_id": refund_id, "order_id": order_id,
            "lines": [{"seller_id": s, "amount": a, "platform_fee": f} for s, a, f in lines],
            "shipping": shipping, "reason_code": "RETURNED", "currency": None}


def dispute_opened(order_id: str, dispute_id: str, amount: int, at=T0) -> dict:
    return {"event_id": f"evt_dispute_{dispute_id}", "occurred_at": at, "dispute_id": dispute_id,
            "order_id": order_id, "amount": amount, "reason": "fraud", "currency": None}


def dispute_resolved(order_id: str, dispute_id: str, outcome: str, fee: int | None = None, at=T0) -> dict:
    return {"event_id": f"evt_resolved_{dispute_id}", "occurred_at": at, "dispute_id": dispute_id,
            "order_id": order_id, "outcome": outcome, "chargeback_fee": fee}


def profile(seller_id: str, bp: int, at=T0, minimum: int = 0, hold: bool = False, n: int = 1,
            account: str | None = None) -> dict:
    return {"event_id": f"evt_profile_{seller_id}_{n}", "occurred_at": at, "seller_id": seller_id,
            "withholding_rate_bp": bp, "payout_minimum": minimum, "payout_hold": hold,
            "bank_account_ref": f"BANK-{seller_id}" if account is None else account}


def publish_raw(settings: Settings, values: list[bytes], topic: str = topics.ORDERS) -> None:
    p = producer(settings)
    for v in values:
        p.produce(settings.topic(topic), v, key=b"one-key")
    assert p.flush(30) == 0


def run_posting(settings: Settings, idle_s: float = 0.2):
    return bootstrap.posting_consumer(settings).run(Stop(), idle_exit_s=idle_s)


def run_relay(settings: Settings):
    return bootstrap.relay(settings).run(Stop(), idle_exit_s=0.3)


def run_projector(settings: Settings, idle_s: float = 0.2):
    return bootstrap.projection_worker(settings).run(Stop(), idle_exit_s=idle_s)


def run_pipeline(settings: Settings) -> None:
    run_posting(settings)
    run_relay(settings)
    run_projector(settings)


def consume_all(settings: Settings, topic: str, timeout_s: float = 10.0) -> list:
    c = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": f"probe-{topic}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([settings.topic(topic)])
    out = []
    import time

    deadline = time.monotonic() + timeout_s
    idle_since = None
    while time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is None:
            if out and idle_since and time.monotonic() - idle_since > 1.0:
                break
            idle_since = idle_since or time.monotonic()
            continue
        idle_since = time.monotonic()
        if not m.error():
            out.append(m)
    c.close()
    return out


def postings_of(conn: psycopg.Connection, event_id: str) -> list[tuple[str, str, int]]:
    return conn.execute(
        "SELECT p.account, p.currency, p.amount_minor FROM journal_postings p"
        " JOIN journal_transactions t USING (seq) WHERE t.event_id = %s ORDER BY p.account",
        (event_id,),
    ).fetchall()


def table_rows(conn: psycopg.Connection, table: str, order: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()  # test-only, fixed names


def day_messages(day, orders: int, sellers: int, seed: int) -> list[tuple[str, str, dict]]:
    """A marketplace day and what follows it (refunds, disputes opened and resolved), as
    (logical topic, record name, record), in that order."""
    from services.simulators.storefront import after_sales, marketplace_day

    captures = marketplace_day(day, orders, sellers, seed=seed)
    later = after_sales(captures, seed=seed, release_at=datetime(2026, 12, 30, tzinfo=timezone.utc))
    return ([(topics.ORDERS, "OrderCaptured", r) for r in captures]
            + [(topics.REFUNDS, "RefundIssued", r) for r in later.refunds_in_escrow]
            + [(topics.DISPUTES, "DisputeOpened", r) for r in later.disputes_opened]
            + [(topics.DISPUTES, "DisputeResolved", r) for r in later.disputes_resolved])


def posted_day(day, orders: int, sellers: int, seed: int) -> list:
    """day_messages through the reference's rules in one batch: the transactions, in journal order."""
    from services.domain.rules.capture import Policy
    from services.posting.batch import Context, Inbound, apply_rules, decode

    registry = SchemaRegistry.from_dir()
    decoded = [decode(Inbound(t, 0, i, registry.encode(name, r)), registry, lambda x: x)
               for i, (t, name, r) in enumerate(day_messages(day, orders, sellers, seed))]
    out = apply_rules(decoded, Context(Policy(), {}, {}, {}))
    assert not out.rejected and not out.parked
    return [s.transaction for s in out.staged]
