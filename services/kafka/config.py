"""Client configurations. Offsets live in PostgreSQL, so Kafka never auto-commits."""

from __future__ import annotations

from services.kafka.topics import RECORD_MAX_BYTES
from services.settings import Settings


def consumer_config(settings: Settings, group: str) -> dict:
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "group.id": settings.group(group),
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "range",  # eager: on_assign calls assign()
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        # Prefetch memory: the queue's bound, which a fetch in flight may overshoot by up to
        # its own size, so fetches stay small too (a 5,000-message batch is under 1 MB).
        # 4 MB / 1 MB / 4 MB kept the posting consumer at ~180 MB RSS over any backlog, as
        # fast as 16 MB / 4 MB / 16 MB, which let it reach ~300 MB (README, Performance).
        "queued.max.messages.kbytes": settings.queued_max_kbytes,
        "max.partition.fetch.bytes": 1024 * 1024,
        "fetch.max.bytes": 4 * 1024 * 1024,
    }


def producer_config(settings: Settings) -> dict:
    return {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "enable.idempotence": True,  # acks=all, no reordering or duplicates on retry
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "compression.type": "lz4",
        "message.max.bytes": RECORD_MAX_BYTES + 1024 * 1024,  # what ledger.journal / ledger.rejected take
    }
