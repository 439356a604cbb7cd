"""The posting consumer's loop: consume a batch, post it in ONE database transaction
together with the consumed offsets, and move on. Offsets live in PostgreSQL; on
assignment the consumer seeks to them, so a crash never loses or doubles a posting."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg
import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from services import faults
from services.domain.rules import Policy
from services.runloop import IdleClock, Stop, checked, with_retries
from services.domain.order_state import fold
from services.domain.payouts import fold_batch
from services.store import db, exceptions, journal, offsets, parked, profiles
from services.wire.avro import SchemaRegistry

from .batch import Context, Decoded, Inbound, Outcome, apply_rules, decode

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
    parked: int = 0
    unparked: int = 0
    noops: int = 0
    expired: int = 0


class PostingConsumer:
    def __init__(self, consumer: Consumer, conn: psycopg.Connection, registry: SchemaRegistry,
                 policy: Policy, topics: list[str], topic_of, batch_max: int, batch_timeout_s: float,
                 park_timeout: timedelta = timedelta(hours=24), clock=lambda: datetime.now(timezone.utc)):
        self.consumer = consumer
        self.conn = conn
        self.registry = registry
        self.policy = policy
        self.topics = topics
        self.topic_of = topic_of
        self.batch_max = batch_max
        self.batch_timeout_s = batch_timeout_s
        self.park_timeout = park_timeout
        self.clock = clock
        self.totals = Totals()
        self.idle = IdleClock(None)

    # -- assignment: seek to the offsets stored with the postings ---------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        stored = offsets.load(self.conn, CONSUMER_NAME)
        for tp in partitions:
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
        consumer.assign(partitions)
        self.idle.assigned()
        log.info("partitions_assigned", partitions=[f"{tp.topic}[{tp.partition}]@{tp.offset}" for tp in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Batches are committed synchronously inside the loop, so nothing is in flight here.
        consumer.unassign()
        log.info("partitions_revoked", partitions=[f"{tp.topic}[{tp.partition}]" for tp in partitions])

    # -- one batch ---------------------------------------------------------------------
    def post_batch(self, batch: list[Inbound], decoded: list | None = None) -> Outcome:
        """Rules, dedupe, journal, profiles, parking, exceptions and offsets in ONE transaction."""
        if decoded is None:
            decoded = [decode(m, self.registry, self.topic_of) for m in batch]

        def write() -> Outcome:
            with db.translated(), self.conn.transaction():
                now = self.clock()
                journal.lock_writer(self.conn)
                stored = offsets.load(self.conn, CONSUMER_NAME, for_update=True)
                # Fence: what the journal already reflects (a redelivery after a crash) is skipped.
                fresh = [d for m, d in zip(batch, decoded) if m.offset >= stored.get((m.topic, m.partition), 0)]
                ctx = self._context([d for d in fresh if isinstance(d, Decoded)])
                outcome = apply_rules(fresh, ctx)
                outcome.redelivered = len(decoded) - len(fresh)
                self._unpark(ctx, outcome)
                last, last_hash = journal.tip(self.conn)
                journal.append(self.conn, outcome.staged, last + 1, last_hash)
                profiles.insert(self.conn, outcome.profiles)
                parked.insert(self.conn, outcome.parked, now)
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

    def _context(self, decoded: list[Decoded]) -> Context:
        """Load what the rules read for these events: digests, order states, profiles."""
        ids = [d.event_id for d in decoded]
        digests = journal.posted_digests(self.conn, ids)
        digests.update(profiles.digests(self.conn, [d.event_id for d in decoded if d.handler.kind == "profile"]))
        order_ids = {d.order_id for d in decoded if d.order_id}
        orders = {oid: fold(oid, txns) for oid, txns in journal.order_transactions(self.conn, order_ids).items()}
        sellers = {a.split(":")[4] for st in orders.values() for a in st.escrow() if ":escrow:seller:" in a}
        sellers |= {d.event.seller_id for d in decoded if d.handler.kind == "profile"}
        batch_ids = {d.event.batch_id for d in decoded if d.handler.kind in ("payout_batch", "payout_confirmation")}
        batches = {b: fold_batch(b, txns) for b, txns in journal.batch_transactions(self.conn, batch_ids).items()}
        payables = {d.event.currency: journal.payables(self.conn, d.event.currency)
                    for d in decoded if d.handler.kind == "payout_batch"}
        for book in payables.values():
            sellers |= set(book)
        return Context(self.policy, digests, orders, profiles.load(self.conn, sorted(sellers)), batches, payables)

    def _unpark(self, ctx: Context, outcome: Outcome) -> None:
        """Retry parked events (earlier ones, and this batch's) whose orders got what they
        waited for in this batch, until nothing more settles."""
        in_batch = {(p.msg.topic, p.msg.partition, p.msg.offset): p for p in outcome.parked}
        progressed = {s.transaction.order_id for s in outcome.staged}
        while progressed:
            waiting = {(t, p, o): Inbound(t, p, o, v) for t, p, o, v in parked.for_orders(self.conn, progressed)}
            waiting.update({k: p.msg for k, p in in_batch.items() if p.order_id in progressed})
            if not waiting:
                return
            retry = [decode(m, self.registry, self.topic_of) for m in waiting.values()]
            ctx.digests.update(journal.posted_digests(self.conn, [d.event_id for d in retry if isinstance(d, Decoded)]))
            before = len(outcome.staged)
            still = Outcome()
            apply_rules(retry, ctx, still)
            still_keys = {(p.msg.topic, p.msg.partition, p.msg.offset) for p in still.parked}
            settled = [k for k in waiting if k not in still_keys]
            parked.delete(self.conn, [k for k in settled if k not in in_batch])
            outcome.parked = [p for k, p in in_batch.items() if k in still_keys or p.order_id not in progressed]
            in_batch = {(p.msg.topic, p.msg.partition, p.msg.offset): p for p in outcome.parked}
            outcome.staged += still.staged
            outcome.profiles += still.profiles
            outcome.rejected += still.rejected
            outcome.duplicates += still.duplicates
            outcome.noops += still.noops
            outcome.unparked += [waiting[k] for k in settled]
            progressed = {s.transaction.order_id for s in outcome.staged[before:]}

    def expire_parked(self) -> int:
        """Parked longer than the timeout: exceptions (UNKNOWN_ORDER, UNKNOWN_DISPUTE)."""
        def expire() -> int:
            with db.translated(), self.conn.transaction():
                journal.lock_writer(self.conn)
                n = parked.expire(self.conn, self.clock() - self.park_timeout)
                if n:
                    self.conn.execute("NOTIFY journal_appended")
                return n

        n = with_retries(expire, what="expire_parked")
        if n:
            log.warning("parked_events_expired", count=n)
        return n

    def run(self, stop: Stop, idle_exit_s: float | None = None) -> Totals:
        self.idle = IdleClock(idle_exit_s)
        self.consumer.subscribe(self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke)
        last_expiry = 0.0
        try:
            while not stop.requested:
                msgs = checked(self.consumer.consume(num_messages=self.batch_max, timeout=self.batch_timeout_s))
                if time.monotonic() - last_expiry > 5:
                    self.totals.expired += self.expire_parked()
                    last_expiry = time.monotonic()
                if not msgs:
                    if self.idle.expired():
                        break
                    continue
                self.idle.busy()
                batch = [Inbound(m.topic(), m.partition(), m.offset(), m.value()) for m in msgs]
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
        t.parked += len(outcome.parked)
        t.unparked += len(outcome.unparked)
        t.noops += outcome.noops
        for p in outcome.parked:
            log.info("event_parked", reason=p.reason, detail=p.detail, event_id=p.event_id, order_id=p.order_id,
                     topic=p.msg.topic, partition=p.msg.partition, offset=p.msg.offset)
        for r in outcome.rejected:
            log.warning("event_rejected", reason=r.reason_code, detail=r.detail, event_id=r.event_id,
                        order_id=r.order_id, topic=r.source_topic, partition=r.source_partition,
                        offset=r.source_offset)
        log.info("batch_posted", messages=len(batch), posted=len(outcome.staged),
                 rejected=len(outcome.rejected), duplicates=outcome.duplicates, parked=len(outcome.parked),
                 unparked=len(outcome.unparked),
                 elapsed_ms=round(elapsed_s * 1000, 1), total_posted=t.posted)
