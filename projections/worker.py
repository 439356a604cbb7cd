"""The projection worker: consumes ledger.journal in seq order and applies each batch
to every read model in ONE transaction together with its position (last seq and the
Kafka offset). Seq it already has (a relay re-publish) are skipped; a gap stops it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from projections import account_balances, order_escrow, payouts, seller_balances
from services.adapters.avro import SchemaRegistry
from services.adapters.journal_record import JournalRecord
from services.adapters.postgres import db, read_models
from services.domain.errors import PermanentError, Rejected
from services.runtime import faults, metrics
from services.runtime.runloop import IdleClock, Stop, checked, with_retries

log = structlog.get_logger()
READ_MODELS = (seller_balances, order_escrow, account_balances, payouts)


def apply(conn: psycopg.Connection, records: Sequence[JournalRecord]) -> None:
    """Fold a contiguous run of journal records into every read model (caller holds the transaction)."""
    for model in READ_MODELS:
        model.write(conn, model.fold(records))


@dataclass
class Totals:
    batches: int = 0
    applied: int = 0
    skipped: int = 0


class ProjectionWorker:
    def __init__(self, consumer: Consumer, conn: psycopg.Connection, registry: SchemaRegistry,
                 journal_topic: str, batch_max: int, batch_timeout_s: float):
        self.consumer = consumer
        self.conn = conn
        self.registry = registry
        self.topic = journal_topic
        self.batch_max = batch_max
        self.batch_timeout_s = batch_timeout_s
        self.totals = Totals()
        self.idle = IdleClock(None)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        _, next_offset = read_models.load_position(self.conn)
        for tp in partitions:
            tp.offset = next_offset if next_offset is not None else OFFSET_BEGINNING
        consumer.assign(partitions)
        self.idle.assigned()
        log.info("partitions_assigned", partitions=[f"{tp.topic}[{tp.partition}]@{tp.offset}" for tp in partitions])

    def apply_batch(self, records: list[JournalRecord], partition: int, next_offset: int) -> int:
        """records: a batch in ledger.journal order; the batch ends before next_offset of
        partition. Returns how many were applied."""

        def write() -> int:
            with db.translated(), self.conn.transaction():
                last_seq, _ = read_models.load_position(self.conn, for_update=True)
                fresh = [r for r in records if r["seq"] > last_seq]
                expected = last_seq + 1
                for r in fresh:
                    if r["seq"] != expected:
                        raise PermanentError(f"journal gap: expected seq {expected}, got {r['seq']}")
                    expected += 1
                apply(self.conn, fresh)
                read_models.store_position(self.conn, expected - 1, self.topic, partition, next_offset)
            self.totals.skipped += len(records) - len(fresh)
            return len(fresh)

        return with_retries(write, what="project_batch")

    def run(self, stop: Stop, idle_exit_s: float | None = None) -> Totals:
        self.idle = IdleClock(idle_exit_s)
        self.consumer.subscribe([self.topic], on_assign=self._on_assign)
        decode = self.registry.decode
        try:
            while not stop.requested:
                msgs = checked(self.consumer.consume(num_messages=self.batch_max, timeout=self.batch_timeout_s))
                if not msgs:
                    if self.idle.expired():
                        break
                    continue
                self.idle.busy()
                started = time.perf_counter()
                records = []
                for m in msgs:
                    try:
                        records.append(decode(m.value())[1])
                    except Rejected as r:
                        raise PermanentError(f"undecodable journal message at offset {m.offset()}: {r}") from r
                applied = self.apply_batch(records, msgs[-1].partition(), msgs[-1].offset() + 1)
                faults.crash_point("projector_after_db_commit")
                last_seq = records[-1]["seq"]
                self.totals.batches += 1
                self.totals.applied += applied
                metrics.PROJECTED.inc(applied)
                metrics.PROJECTION_SEQ.set(last_seq)
                log.info("journal_projected", applied=applied, last_seq=last_seq, total_applied=self.totals.applied,
                         elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
        finally:
            self.consumer.close()
        log.info("projection_worker_stopped", **vars(self.totals))
        return self.totals
