"""Client configurations. Offsets live in PostgreSQL, so Kafka never auto-commits."""

from __future__ import annotations

import logging

import structlog
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from services.adapters.kafka.topics import RECORD_MAX_BYTES
from services.domain.errors import TransientError
from services.entrypoints.settings import Settings

REACH_TIMEOUT_S = 5.0  # how long a command waits for the broker before saying it cannot reach it


class _ToStructlog(logging.Handler):
    """librdkafka's own log lines (connection attempts, retries) go to the structured log
    at debug level, not raw onto the terminal: the workers log what they do about an
    unreachable broker themselves (kafka_consumer_error, worker_reconnecting)."""

    def emit(self, record: logging.LogRecord) -> None:
        structlog.get_logger().debug("librdkafka", message=record.getMessage(), rdkafka_level=record.levelname)


def client_logger() -> logging.Logger:
    logger = logging.getLogger("splitbook.librdkafka")
    if not logger.handlers:
        logger.addHandler(_ToStructlog())
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    return logger


def client_config(bootstrap: str) -> dict:
    """What every client of ours sets: the brokers, and where librdkafka's logs go."""
    return {"bootstrap.servers": bootstrap, "logger": client_logger()}


def ensure_reachable(bootstrap: str, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """One metadata request; TransientError naming the broker if none answers in time."""
    try:
        AdminClient(client_config(bootstrap)).list_topics(timeout=timeout_s)
    except KafkaException as e:
        raise TransientError(f"cannot reach Kafka at {bootstrap} (no answer in {timeout_s:.0f} s)") from e


def consumer_config(settings: Settings, group: str) -> dict:
    return {
        **client_config(settings.kafka_bootstrap_servers),
        "group.id": settings.group(group),
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "range",  # eager: on_assign calls assign()
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        # An idle partition's fetch answers after this long (librdkafka's default is 500 ms):
        # new messages still come at once, and a worker learns sooner that it has read to
        # the end (--idle-exit-s; runloop.at_ends).
        "fetch.wait.max.ms": 100,
        # Prefetch memory: the queue's bound, which a fetch in flight may overshoot by up to
        # its own size, so fetches stay small too; this bounds the consumer's memory over
        # any backlog (docs/performance.md).
        "queued.max.messages.kbytes": settings.queued_max_kbytes,
        "max.partition.fetch.bytes": 1024 * 1024,
        "fetch.max.bytes": 4 * 1024 * 1024,
    }


def producer_config(settings: Settings) -> dict:
    return {
        **client_config(settings.kafka_bootstrap_servers),
        "enable.idempotence": True,  # acks=all, no reordering or duplicates on retry
        # Kafka's Java clients' partitioner: the same key lands in the same partition
        # whether a storefront in Java or one of our producers wrote it (docs/producers.md).
        "partitioner": "murmur2_random",
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "compression.type": "lz4",
        "message.max.bytes": RECORD_MAX_BYTES + 1024 * 1024,  # what ledger.journal / ledger.rejected take
    }
