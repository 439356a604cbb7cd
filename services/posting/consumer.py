"""The posting consumer's loop: consume a batch, post it in ONE database transaction
together with the consumed offsets, and move on. Offsets live in PostgreSQL; on
assignment the consumer seeks to them, so a crash never loses or doubles a posting."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from services import faults
from services.domain.errors import TransientError
from services.domain.rules import Policy
from services.runloop import Stop, with_retries
from services.store import db, exceptions, journal, offsets
from services.wire.avro import SchemaRegistry

from .batch import Decoded, Inbound, Outcome, apply_rules, decode

log = structlog.get_logger()
CONSUMER_NAME = "posting"


@dataclass
class Totals:
    batches: int = 0
    consumed: int = 0
    posted: int = 0
    postings: int = 0
    rejected: int = 0
    duplicates: int = 0
    redelivered: int = 0


class PostingConsumer:
    def __init__(self, consumer: Consumer, conn: psycopg.Connection, registry: SchemaRegistry,
                 policy: Policy, topics: list[str], topic_of, batch_max: int, batch_timeout_s: float):
        self.consumer = consumer
        self.conn = conn
        self.registry = registry
        self.policy = policy
        self.topics = topics
        self.topic_of = topic_of
        self.batch_max = batch_max
        self.batch_timeout_s = batch_timeout_s
        self.totals = Totals()
        self.assigned_at: float | None = None  # idle time counts only once partitions are assigned

    # -- assignment: seek to the offsets stored with the postings ---------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        stored = offsets.load(self.conn, CONSUMER_NAME)
        for tp in partitions:
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
        consumer.assign(partitions)
        self.assigned_at = time.monotonic()
        log.info("partitions_assigned", partitions=[f"{tp.topic}[{tp.partition}]@{tp.offset}" for tp in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Batches are committed synchronously inside the loop, so nothing is in flight here.
        consumer.unassign()
        log.info("partitions_revoked", partitions=[f"{tp.topic}[{tp.partition}]" for tp in partitions])

    # -- one batch ---------------------------------------------------------------------
    def post_batch(self, batch: list[Inbound]) -> Outcome:
        """Decode outside the transaction; rules, dedupe, journal, exceptions and offsets inside it."""
        decoded = [decode(m, self.registry, self.topic_of) for m in batch]

        def write() -> Outcome:
            with db.translated(), self.conn.transaction():
                journal.lock_writer(self.conn)
                stored = offsets.load(self.conn, CONSUMER_NAME, for_update=True)
                # Fence: what the journal already reflects (a redelivery after a crash) is skipped.
                fresh = [d for m, d in zip(batch, decoded) if m.offset >= stored.get((m.topic, m.partition), 0)]
                outcome_redelivered = len(decoded) - len(fresh)
                ids = [d.event_id for d in fresh if isinstance(d, Decoded)]
                outcome = apply_rules(fresh, journal.posted_digests(self.conn, ids), self.policy)
                outcome.redelivered = outcome_redelivered
                journal.append(self.conn, outcome.staged, journal.last_seq(self.conn) + 1)
                exceptions.record(self.conn, outcome.rejected)
                next_offsets: dict[tuple[str, int], int] = {}
                for m in batch:
                    key = (m.topic, m.partition)
                    next_offsets[key] = max(next_offsets.get(key, 0), m.offset + 1)
                offsets.store(self.conn, CONSUMER_NAME, next_offsets)
                if outcome.staged or outcome.rejected:
                    self.conn.execute("NOTIFY journal_appended")
            return outcome

        return with_retries(write, what="post_batch")

    def run(self, stop: Stop, idle_exit_s: float | None = None) -> Totals:
        self.consumer.subscribe(self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke)
        last_activity = time.monotonic()
        try:
            while not stop.requested:
                msgs = self.consumer.consume(num_messages=self.batch_max, timeout=self.batch_timeout_s)
                if not msgs:
                    idle_from = max(last_activity, self.assigned_at or float("inf"))
                    if idle_exit_s is not None and time.monotonic() - idle_from > idle_exit_s:
                        break
                    continue
                last_activity = time.monotonic()
                batch = []
                for m in msgs:
                    if m.error():
                        if m.error().retriable():
                            raise TransientError(f"Kafka: {m.error()}")
                        raise KafkaException(m.error())
                    batch.append(Inbound(m.topic(), m.partition(), m.offset(), m.value()))
                started = time.perf_counter()
                outcome = self.post_batch(batch)
                faults.crash_point("posting_after_db_commit")
                self._commit_to_kafka(batch)
                self._account(batch, outcome, time.perf_counter() - started)
        finally:
            self.consumer.close()
        log.info("posting_consumer_stopped", **vars(self.totals))
        return self.totals

    def _commit_to_kafka(self, batch: list[Inbound]) -> None:
        """Informational only (lag dashboards): the truth is the offsets in PostgreSQL."""
        last: dict[tuple[str, int], int] = {}
        for m in batch:
            last[(m.topic, m.partition)] = m.offset + 1
        self.consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in last.items()], asynchronous=True)

    def _account(self, batch: list[Inbound], outcome: Outcome, elapsed_s: float) -> None:
        t = self.totals
        t.batches += 1
        t.consumed += len(batch)
        t.posted += len(outcome.staged)
        t.postings += sum(len(s.transaction.postings) for s in outcome.staged)
        t.rejected += len(outcome.rejected)
        t.duplicates += outcome.duplicates
        t.redelivered += outcome.redelivered
        for r in outcome.rejected:
            log.warning("event_rejected", reason=r.reason_code, detail=r.detail, event_id=r.event_id,
                        order_id=r.order_id, topic=r.source_topic, partition=r.source_partition,
                        offset=r.source_offset)
        log.info("batch_posted", messages=len(batch), posted=len(outcome.staged),
                 rejected=len(outcome.rejected), duplicates=outcome.duplicates,
                 elapsed_ms=round(elapsed_s * 1000, 1), total_posted=t.posted)
