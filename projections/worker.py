"""The projection worker: consumes ledger.journal in seq order and applies each batch
to every read model in ONE transaction together with its position (last seq and the
Kafka offset). Seq it already has (a relay re-publish) are skipped; a gap stops it.

A backlog's batches are decoded and folded in a helper process (FoldAhead) while the
batch before is written here: the next batch is folded on the position the batch in
flight will leave. The write checks that position under its lock; if the read models
stand anywhere else (another worker, a rebuild moved them), the batch is folded again
there from its records. So what is written is always the fold of exactly the records
after the stored position. Small batches (live traffic) are folded here, at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import psycopg
import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from projections import account_balances, order_escrow, payouts, seller_balances
from services.adapters.avro import SchemaRegistry
from services.adapters.journal_record import JournalRecord
from services.adapters.postgres import db, read_models
from services.domain.errors import PermanentError, Rejected
from services.runtime import faults, helper, metrics
from services.runtime.runloop import IdleClock, Stop, checked, with_retries

log = structlog.get_logger()
READ_MODELS = (seller_balances, order_escrow, account_balances, payouts)
FOLD_AHEAD_MIN = 1000  # messages: below this, folding here costs less than the round trip to the helper


def apply(conn: psycopg.Connection, records: Sequence[JournalRecord]) -> None:
    """Fold a contiguous run of journal records into every read model (caller holds the transaction)."""
    for model in READ_MODELS:
        model.write(conn, model.fold(records))


@dataclass
class Totals:
    batches: int = 0
    applied: int = 0
    skipped: int = 0


@dataclass
class Folded:
    """A batch folded on the position after_seq: what one transaction writes."""

    values: list[bytes]  # the messages, to fold again where the read models stand elsewhere
    after_seq: int
    last_seq: int  # of the fresh records (after_seq when none)
    end_seq: int  # of the batch's last record
    count: int
    deltas: list  # each read model's fold, in READ_MODELS order
    partition: int
    next_offset: int
    started: float


def decode_all(registry: SchemaRegistry, values: Sequence[bytes], first_offset: int = 0) -> list[JournalRecord]:
    records = []
    for i, value in enumerate(values):
        try:
            records.append(registry.decode(value)[1])
        except Rejected as r:
            raise PermanentError(f"undecodable journal message at offset {first_offset + i}: {r}") from r
    return records


def fold_values(registry: SchemaRegistry, values: Sequence[bytes], after_seq: int,
                first_offset: int = 0) -> tuple[int, int, list]:
    """The messages decoded and folded on after_seq: (last fresh seq, last seq, deltas)."""
    records = decode_all(registry, values, first_offset)
    fresh = fresh_after(records, after_seq)
    return ((fresh[-1]["seq"] if fresh else after_seq), records[-1]["seq"],
            [model.fold(fresh) for model in READ_MODELS])


def _fold_in_helper(values: list[bytes], after_seq: int, first_offset: int) -> tuple[int, int, list]:
    return fold_values(helper.registry(), values, after_seq, first_offset)


def fresh_after(records: Sequence[JournalRecord], after_seq: int) -> list[JournalRecord]:
    """The records after after_seq, which must follow it without a gap."""
    fresh = [r for r in records if r["seq"] > after_seq]
    expected = after_seq + 1
    for r in fresh:
        if r["seq"] != expected:
            raise PermanentError(f"journal gap: expected seq {expected}, got {r['seq']}")
        expected += 1
    return fresh


class ProjectionWorker:
    def __init__(self, consumer: Consumer, conn: psycopg.Connection, registry: SchemaRegistry,
                 journal_topic: str, batch_max: int, batch_timeout_s: float, fold_ahead_min: int = FOLD_AHEAD_MIN):
        """fold_ahead_min: batches this large go to the helper process (None: never)."""
        self.consumer = consumer
        self.conn = conn
        self.registry = registry
        self.topic = journal_topic
        self.batch_max = batch_max
        self.batch_timeout_s = batch_timeout_s
        self.fold_ahead_min = fold_ahead_min
        self.totals = Totals()
        self.idle = IdleClock(None)
        self.position: int | None = None  # the last seq written or being folded on (None: read it)
        self._helper: ProcessPoolExecutor | None = None

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.position = None
        _, next_offset = read_models.load_position(self.conn)
        for tp in partitions:
            tp.offset = next_offset if next_offset is not None else OFFSET_BEGINNING
        consumer.assign(partitions)
        self.idle.assigned()
        log.info("partitions_assigned", partitions=[f"{tp.topic}[{tp.partition}]@{tp.offset}" for tp in partitions])

    def _after(self) -> int:
        if self.position is None:
            with db.translated():
                self.position, _ = read_models.load_position(self.conn)
        return self.position

    def fold(self, values: list[bytes], partition: int, next_offset: int, started: float | None = None) -> Folded:
        """Fold the messages here, on the position the batch before leaves."""
        after = self._after()
        last, end, deltas = fold_values(self.registry, values, after, next_offset - len(values))
        self.position = last
        return Folded(values, after, last, end, len(values), deltas, partition, next_offset,
                      time.perf_counter() if started is None else started)

    def fold_ahead(self, values: list[bytes], partition: int, next_offset: int,
                   started: float) -> Callable[[], Folded]:
        """Start folding the messages in the helper process; the callable waits for it.
        The position moves when the fold is taken, so take them in order."""
        if self._helper is None:
            self._helper = helper.spawn(self.registry)
            log.info("fold_helper_started")
        after = self._after()
        future = self._helper.submit(_fold_in_helper, values, after, next_offset - len(values))

        def folded() -> Folded:
            last, end, deltas = future.result()
            self.position = last
            return Folded(values, after, last, end, len(values), deltas, partition, next_offset, started)
        return folded

    def write(self, f: Folded) -> int:
        """One transaction: the batch's deltas (folded again if the read models stand
        elsewhere than it was folded on) and its position. Returns how many were applied."""
        applied = 0

        def write() -> None:
            nonlocal applied
            with db.translated(), self.conn.transaction():
                stored, _ = read_models.load_position(self.conn, for_update=True)
                if stored == f.after_seq:
                    deltas, last = f.deltas, f.last_seq
                else:  # not where it was folded: fold its records again on what is stored
                    last, _end, deltas = fold_values(self.registry, f.values, stored, f.next_offset - f.count)
                applied = last - stored
                for model, d in zip(READ_MODELS, deltas):
                    model.write(self.conn, d)
                read_models.store_position(self.conn, last, self.topic, f.partition, f.next_offset)

        try:
            with_retries(write, what="project_batch")
        except BaseException:
            self.position = None  # read it again: what was folded ahead on it may not stand
            raise
        faults.crash_point("projector_after_db_commit")
        t = self.totals
        t.batches += 1
        t.applied += applied
        t.skipped += f.count - applied
        metrics.PROJECTED.inc(applied)
        metrics.PROJECTION_SEQ.set(f.end_seq)
        log.info("journal_projected", applied=applied, last_seq=f.end_seq, total_applied=t.applied,
                 elapsed_ms=round((time.perf_counter() - f.started) * 1000, 1))
        return applied

    def run(self, stop: Stop, idle_exit_s: float | None = None) -> Totals:
        self.idle = IdleClock(idle_exit_s)
        self.consumer.subscribe([self.topic], on_assign=self._on_assign)
        ahead: Callable[[], Folded] | None = None  # the batch the helper folds while the one before is written
        try:
            while not stop.requested:
                msgs = checked(self.consumer.consume(num_messages=self.batch_max,
                                                     timeout=0 if ahead else self.batch_timeout_s))
                batch = None
                if msgs:
                    self.idle.busy()
                    batch = ([m.value() for m in msgs], msgs[-1].partition(), msgs[-1].offset() + 1,
                             time.perf_counter())
                if ahead is not None:  # take the fold in flight, start the next, write this one
                    folded, ahead = ahead(), None
                    if batch is not None and self._worth_a_helper(batch[0]):
                        ahead, batch = self.fold_ahead(*batch), None
                    self.write(folded)
                if batch is not None:
                    if self._worth_a_helper(batch[0]):
                        ahead = self.fold_ahead(*batch)
                    else:
                        self.write(self.fold(*batch))
                elif ahead is None and self.idle.expired():
                    break
            if ahead is not None:
                self.write(ahead())
        finally:
            if self._helper is not None:
                self._helper.shutdown(wait=True, cancel_futures=True)
            self.consumer.close()
        log.info("projection_worker_stopped", **vars(self.totals))
        return self.totals

    def _worth_a_helper(self, values: list[bytes]) -> bool:
        return self.fold_ahead_min is not None and len(values) >= self.fold_ahead_min
