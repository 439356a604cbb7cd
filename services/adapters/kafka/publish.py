"""Publishing records to Kafka: Avro single-object encoded, keyed so that an order's
events stay in one partition, every delivery acknowledged (or a TransientError)."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.domain.errors import TransientError

log = structlog.get_logger()


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
