"""How far the pipeline has got: posted vs published, relayed and projected vs posted."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
import structlog
from confluent_kafka import Consumer, KafkaException, TopicPartition

from services.adapters.kafka.config import REACH_TIMEOUT_S, client_config
from services.adapters.postgres import backoffice, offsets
from services.domain.errors import TransientError
from services.entrypoints.settings import Settings
from services.posting.consumer import CONSUMER_NAME
from services.posting.registry import input_topics

log = structlog.get_logger()


@dataclass(frozen=True)
class Lag:
    unposted: int  # messages on input topics not yet reflected in the journal's offsets
    unrelayed: int  # journal seq not yet on ledger.journal
    unprojected: int  # journal seq not yet in the read models

    @property
    def caught_up(self) -> bool:
        return self.unposted == 0 and self.unrelayed == 0 and self.unprojected == 0


def high_watermarks(settings: Settings, topic_names: list[str],
                    timeout_s: float = REACH_TIMEOUT_S) -> dict[tuple[str, int], int]:
    c = Consumer({**client_config(settings.kafka_bootstrap_servers), "group.id": "splitbook-lag-probe"})
    try:
        out = {}
        try:
            md = c.list_topics(timeout=timeout_s)
        except KafkaException as e:
            raise TransientError(f"cannot reach Kafka at {settings.kafka_bootstrap_servers}"
                                 f" (no answer in {timeout_s:.0f} s)") from e
        for t in topic_names:
            if t not in md.topics:
                raise TransientError(f"topic {t} does not exist on {settings.kafka_bootstrap_servers}:"
                                     " run `splitbook migrate`")
            for p in md.topics[t].partitions:
                _, high = c.get_watermark_offsets(TopicPartition(t, p), timeout=timeout_s)
                out[(t, p)] = high
        return out
    except KafkaException as e:
        raise TransientError(f"reading Kafka watermarks from {settings.kafka_bootstrap_servers}: {e}") from e
    finally:
        c.close()


def lag(settings: Settings, conn: psycopg.Connection, timeout_s: float = REACH_TIMEOUT_S) -> Lag:
    highs = high_watermarks(settings, [settings.topic(t) for t in input_topics()], timeout_s)
    stored = offsets.load(conn, CONSUMER_NAME)
    unposted = sum(max(0, high - stored.get(tp, 0)) for tp, high in highs.items())
    last, relayed, projected = backoffice.positions(conn)
    return Lag(unposted, last - relayed, last - projected)


def wait_caught_up(settings: Settings, conn: psycopg.Connection, timeout_s: float) -> Lag:
    deadline = time.monotonic() + timeout_s
    last_report = 0.0
    while True:
        current = lag(settings, conn, max(0.5, min(REACH_TIMEOUT_S, deadline - time.monotonic())))
        if current.caught_up:
            return current
        now = time.monotonic()
        if now > deadline:
            raise TransientError(f"pipeline not caught up after {timeout_s:.0f} s: {current}")
        if now - last_report > 2:
            log.info("waiting_for_pipeline", unposted=current.unposted, unrelayed=current.unrelayed,
                     unprojected=current.unprojected)
            last_report = now
        time.sleep(0.25)
