"""Publishes storefront events to Kafka, as a storefront would (key = order_id)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from confluent_kafka import Producer

from services.domain.errors import TransientError
from services.adapters.avro import SchemaRegistry

log = structlog.get_logger()


@dataclass
class Published:
    events: int = 0
    duplicates: int = 0
    conflicts: int = 0
    poison: int = 0


def message_key(rec: dict) -> bytes:
    """order_id where there is one (an order's events stay in one partition)."""
    return (rec.get("order_id") or rec.get("batch_id") or rec.get("seller_id") or rec["event_id"]).encode()


def publish(producer: Producer, topic: str, registry: SchemaRegistry, records: Iterable[dict],
            name: str = "OrderCaptured", version: int | None = None, progress_every: int = 10_000) -> int:
    failures: list[str] = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(str(err))

    n = 0
    for rec in records:
        while True:
            try:
                producer.produce(topic, registry.encode(name, rec, version), key=message_key(rec),
                                 on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.1)
        n += 1
        if n % progress_every == 0:
            producer.poll(0)
            log.info("publish_progress", topic=topic, published=n)
    remaining = producer.flush(60)
    if remaining or failures:
        raise TransientError(f"{remaining} messages unacknowledged, {len(failures)} failed: {failures[:3]}")
    return n


def messy_deliveries(producer: Producer, topic: str, registry: SchemaRegistry, day: list[dict]) -> Published:
    """What real storefronts do now and then: redeliver an event, reuse an event id with
    other content, send something that is not an event, or an order that does not add up."""
    out = Published()
    dupes = day[:: max(1, len(day) // 25)][:25]
    out.duplicates = publish(producer, topic, registry, dupes)
    conflict = copy.deepcopy(day[1])
    conflict["amount"] += 100
    conflict["shipping"] += 100
    out.conflicts = publish(producer, topic, registry, [conflict])
    broken_total = copy.deepcopy(day[2])
    broken_total["order_id"] += "_B"
    broken_total["event_id"] = f"evt_capture_{broken_total['order_id']}"
    broken_total["amount"] += 1
    unknown_ccy = copy.deepcopy(day[3])
    unknown_ccy["order_id"] += "_C"
    unknown_ccy["event_id"] = f"evt_capture_{unknown_ccy['order_id']}"
    unknown_ccy["currency"] = "XYZ"
    for ln in unknown_ccy["lines"]:
        ln["currency"] = None
    out.poison = publish(producer, topic, registry, [broken_total, unknown_ccy])
    producer.produce(topic, b'{"order_id": "O_json", "amount": 100}', key=b"O_json")
    producer.produce(topic, b"\xc3\x01" + b"\x00" * 8 + b"garbage", key=b"O_garbage")
    producer.flush(30)
    out.poison += 2
    return out
