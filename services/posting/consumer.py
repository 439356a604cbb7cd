"""The posting consumer, top to bottom: consume a batch -> decode -> load what the rules
need -> apply the rules -> write the journal rows, the exceptions, the parked events and
the consumed offsets in ONE PostgreSQL transaction. Offsets live in PostgreSQL; on
assignment the consumer seeks to them, so a crash never loses or doubles a posting.

While one batch is prepared, the next is decoded and the one before is written
(services/posting/overlap.py, the one place where stages overlap)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import NamedTuple

import psycopg
import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres import db, journal, offsets, parked, profiles
from services.domain.batch_state import fold_batch
from services.domain.errors import PermanentError, TransientError
from services.domain.events import ReleaseReserve, SellerProfileUpdated
from services.domain.order_state import fold
from services.domain.rules.capture import Policy
from services.posting.batch import Context, Decoded, Inbound, Outcome, apply_rules, decode, quarantined
from services.posting.lane import CaptureLane
from services.posting.overlap import DecodeAhead, WriteBehind
from services.posting.registry import Needs
from services.posting.writer import CONSUMER_NAME, Position, Prepared, StaleBatch, write_batch
from services.runtime import faults, metrics
from services.runtime.runloop import IdleClock, Stop, at_ends, checked, with_retries

log = structlog.get_logger()


class Rewound(Exception):
    """The consumer went back to the stored offsets: the batch at hand comes again."""


class Consumed(NamedTuple):
    batch: list[Inbound]
    decoded: Callable[[], list]  # waits for the decoder: Decoded | RejectedMessage per message
    started: float  # when it was consumed
    moves: int  # the consumer's position resets before it was consumed


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
                 park_timeout: timedelta = timedelta(hours=24), clock=lambda: datetime.now(timezone.utc),
                 reader: psycopg.Connection | None = None, lane: CaptureLane | None = None):
        """conn writes; reader reads while a write is in flight (without a reader, each
        batch is written before the next is prepared); lane, the compiled capture lane
        (services/posting/lane.py), takes the plainly valid captures."""
        self.consumer = consumer
        self.conn = conn
        self.reader = reader or conn
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
        # Where the journal and the offsets stand once every prepared batch is written.
        self.positions: dict[Position, int] | None = None
        self.parked_rows = 0  # at most this many rows in parked_events (none: no need to look)
        self.tip: tuple[int, bytes] | None = None
        self.carry: Context | None = None  # what the last batch staged, which the journal may not show yet
        self.overlap = WriteBehind() if self.reader is not conn else None
        self.lane = lane
        self.decoder = DecodeAhead(registry, topic_of, lane=lane)
        self.moves = 0  # counts resets of the consumer's position: a batch consumed before one comes again
        self.isolating: dict[Position, int] = {}  # taken one message at a time below these offsets

    # -- the loop: consume, decode ahead, post --------------------------------------------
    def run(self, stop: Stop, idle_exit_s: float | None = None) -> Totals:
        self.idle = IdleClock(idle_exit_s, self._caught_up)
        self.consumer.subscribe(self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke)
        last_expiry = 0.0
        ahead: Consumed | None = None  # the batch being decoded while the one before is posted
        try:
            while not stop.requested:
                msgs = checked(self.consumer.consume(num_messages=self.batch_max,
                                                     timeout=0 if ahead else self.batch_timeout_s))
                if time.monotonic() - last_expiry > 5:
                    self.totals.expired += self.expire_parked()
                    last_expiry = time.monotonic()
                following = self._consumed(msgs) if msgs else None
                if ahead is not None:
                    self.post(ahead)
                ahead = following if following is not None and following.moves == self.moves else None
                if ahead is None and not msgs:
                    self.drain()
                    if self.idle.expired():
                        break
            self.drain()
        finally:
            self.decoder.close()
            if self.overlap is not None:
                self.overlap.close()
            self.consumer.close()
        log.info("posting_consumer_stopped", **vars(self.totals))
        return self.totals

    def _consumed(self, msgs: list) -> Consumed:
        self.idle.busy()
        batch = [Inbound(m.topic(), m.partition(), m.offset(), m.value()) for m in msgs]
        return Consumed(batch, self.decoder.submit(batch), time.perf_counter(), self.moves)

    def post(self, c: Consumed) -> None:
        """Prepare (reads, rules, rows) a decoded batch and hand it to the writer."""
        if c.moves != self.moves:
            return  # consumed before the consumer was moved: it comes again
        batch, decoded = c.batch, c.decoded()
        if self.isolating and self._isolated(batch):
            self._one_by_one(batch, decoded, c.started)
            return
        if self._needs_barrier(decoded) and not self.drain():
            return  # rewound: this batch comes again
        try:
            prepared = with_retries(partial(self.prepare, batch, decoded, c.started), what="prepare_batch")
        except Rewound:
            return
        except PermanentError as e:  # preparing this batch fails for good: find the message at fault
            self._isolate(batch, e)
            return
        if not self.drain():
            return  # the batch before was refused: so is this one, prepared on top of it
        self.submit(prepared)

    # -- one batch: prepare (load, rules, rows), then write ------------------------------
    def prepare(self, batch: list[Inbound], decoded: list | None = None, started: float | None = None) -> Prepared:
        """Everything but the write, against what is committed plus what the batch in flight
        (if any) staged. Only reads, on the reader connection. Raises Rewound when the batch
        in flight was refused: this batch was consumed before the rewind and comes again."""
        started = time.perf_counter() if started is None else started
        if decoded is None:
            decoded = [decode(m, self.registry, self.topic_of) for m in batch]
        if self.positions is None or self.tip is None:
            if not self.drain():
                raise Rewound()
            with db.translated():
                self.positions = offsets.load(self.reader, CONSUMER_NAME)
                self.tip = journal.tip(self.reader)
                self.parked_rows = parked.count(self.reader)
        positions, (last, last_hash) = self.positions, self.tip
        # Fence: what the journal already reflects (a redelivery after a crash) is skipped.
        fresh = [d for m, d in zip(batch, decoded) if m.offset >= positions.get((m.topic, m.partition), 0)]
        try:
            with db.translated():
                ctx = self._context([d for d in fresh if isinstance(d, Decoded)], self.carry)
                outcome = apply_rules(fresh, ctx)
                outcome.redelivered = len(decoded) - len(fresh)
                self._unpark(ctx, outcome)
        except BaseException:
            self._forget()  # the rules may have moved carried state: read it all again
            raise
        rows = journal.format_rows(outcome.staged, last + 1, last_hash)
        next_offsets: dict[Position, int] = {}
        for m in batch:
            key = (m.topic, m.partition)
            next_offsets[key] = max(next_offsets.get(key, 0), m.offset + 1)
        prepared = Prepared(batch, outcome, rows, {k: positions.get(k) for k in next_offsets}, next_offsets,
                            self.clock(), started)
        positions.update(next_offsets)
        self.parked_rows += len(outcome.parked) - len(outcome.settled)
        self.tip = (rows.last_seq, rows.last_hash)
        self.carry = ctx
        return prepared

    def _context(self, decoded: list[Decoded], carry: Context | None) -> Context:
        """What the rules read for these events (what their types need: see the registry).
        What the carried context holds is taken from it (the journal may not show it yet);
        the rest is read from PostgreSQL."""
        carry = carry or Context(self.policy, {}, {}, {}, lane=self.lane)
        conn = self.reader
        ids = [d.event_id for d in decoded]
        order_ids = {d.event.order_id for d in decoded if Needs.ORDER in d.type.needs}
        digests = {i: carry.digests[i] for i in ids if i in carry.digests}
        orders = {oid: carry.order(oid) for oid in order_ids if carry.has_order(oid)}
        digests.update(journal.recorded_digests(conn, [i for i in ids if i not in digests]))
        loaded_orders = journal.order_transactions(conn, [oid for oid in order_ids if oid not in orders])
        orders.update({oid: fold(oid, txns) for oid, txns in loaded_orders.items()})
        sellers = {s for st in orders.values() for s in st.sellers_in_escrow()}
        sellers |= {d.event.seller_id for d in decoded if isinstance(d.event, SellerProfileUpdated)}
        batch_ids = {d.event.batch_id for d in decoded if Needs.BATCH in d.type.needs}
        batches = {b: carry.batches[b] for b in batch_ids if b in carry.batches}
        loaded = journal.batch_transactions(conn, [b for b in batch_ids if b not in batches])
        batches.update({b: fold_batch(b, txns) for b, txns in loaded.items()})
        payables = {d.event.currency: journal.payables(conn, d.event.currency)
                    for d in decoded if Needs.PAYABLES in d.type.needs}
        for book in payables.values():
            sellers |= set(book)
        as_of: dict[str, datetime] = {}  # currency -> the earliest as-of time of the batch's reserve commands
        for e in (d.event for d in decoded if Needs.RESERVES in d.type.needs):
            as_of[e.currency] = min(as_of.get(e.currency, e.occurred_at), e.occurred_at)
        reserves = {c: journal.reserves(conn, c, t) for c, t in as_of.items()}
        for book in reserves.values():
            sellers |= set(book)
        sellers |= {d.event.seller_id for d in decoded if isinstance(d.event, ReleaseReserve)}
        known = {s: carry.profiles[s] for s in sellers if s in carry.profiles}
        known.update(profiles.load(conn, sorted(sellers - known.keys())))
        return Context(self.policy, digests, orders, known, batches, payables, reserves, lane=self.lane)

    def _unpark(self, ctx: Context, outcome: Outcome) -> None:
        """Retry parked events (earlier ones, and this batch's) whose orders got what they
        waited for in this batch, until nothing more settles."""
        in_batch = {(p.msg.topic, p.msg.partition, p.msg.offset): p for p in outcome.parked}
        progressed = {s.transaction.order_id for s in outcome.staged}
        while progressed:
            stored = parked.for_orders(self.reader, progressed) if self.parked_rows else []
            waiting = {(t, p, o): Inbound(t, p, o, v) for t, p, o, v in stored if (t, p, o) not in outcome.settled}
            waiting.update({k: p.msg for k, p in in_batch.items() if p.order_id in progressed})
            if not waiting:
                return
            retry = [decode(m, self.registry, self.topic_of) for m in waiting.values()]
            ctx.digests.update(journal.recorded_digests(
                self.reader, [d.event_id for d in retry if isinstance(d, Decoded) and d.event_id not in ctx.digests]))
            before = len(outcome.staged)
            still = Outcome()
            apply_rules(retry, ctx, still)
            still_keys = {(p.msg.topic, p.msg.partition, p.msg.offset) for p in still.parked}
            settled = [k for k in waiting if k not in still_keys]
            outcome.settled += [k for k in settled if k not in in_batch]
            outcome.parked = [p for k, p in in_batch.items() if k in still_keys or p.order_id not in progressed]
            in_batch = {(p.msg.topic, p.msg.partition, p.msg.offset): p for p in outcome.parked}
            outcome.staged += still.staged
            outcome.profiles += still.profiles
            outcome.rejected += still.rejected
            outcome.duplicates += still.duplicates
            outcome.noops += still.noops
            outcome.unparked += [waiting[k] for k in settled]
            progressed = {s.transaction.order_id for s in outcome.staged[before:]}

    def _needs_barrier(self, decoded: list) -> bool:
        """True when the next batch reads state the in-memory carry cannot answer: parked
        events the batch in flight inserted or settled, or payables (a payout batch)."""
        if self.overlap is None or self.overlap.in_flight is None:
            return False
        flight = self.overlap.in_flight.outcome
        if flight.parked or flight.settled:
            return True
        return any(isinstance(d, Decoded) and not d.type.needs.isdisjoint((Needs.PAYABLES, Needs.RESERVES))
                   for d in decoded)

    def submit(self, p: Prepared) -> None:
        """Hand the batch to the writer thread, or write it here (with one connection)."""
        self.drain()
        if self.overlap is not None:
            self.overlap.submit(self.write, p)
            return
        try:
            self.write(p)
        except PermanentError as e:
            self._isolate(p.batch, e)
            return
        self._done(p)

    def write(self, p: Prepared) -> None:
        """Write the batch here, now (one transaction; see writer.write_batch)."""
        write_batch(self.conn, p)

    def drain(self) -> bool:
        """Wait for the batch in flight, if any. False when it was refused as stale: the
        position in memory is then dropped, and the consumer rewound to what is stored."""
        taken = self.overlap.take() if self.overlap is not None else None
        if taken is None:
            return True
        p, error = taken
        if isinstance(error, StaleBatch):
            log.warning("batch_refused_stale", error=str(error), messages=len(p.batch))
            self._rewind()
            return False
        if isinstance(error, PermanentError):
            self._isolate(p.batch, error)
            return False
        if error is not None:
            raise error
        self._done(p)
        return True

    def _done(self, p: Prepared) -> None:
        faults.crash_point("posting_after_db_commit")
        self._commit_to_kafka(p.next_offsets)
        self._account(p, time.perf_counter() - p.started)

    def _commit_to_kafka(self, next_offsets: dict[Position, int]) -> None:
        """Informational only (lag dashboards): the truth is the offsets in PostgreSQL."""
        self.consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in next_offsets.items()],
                             asynchronous=True)

    def _account(self, prepared: Prepared, elapsed_s: float) -> None:
        batch, outcome, t = prepared.batch, prepared.outcome, self.totals
        t.batches += 1
        t.consumed += len(batch)
        t.posted += len(outcome.staged)
        t.postings += prepared.rows.postings_count
        t.rejected += len(outcome.rejected)
        t.duplicates += outcome.duplicates
        t.redelivered += outcome.redelivered
        t.parked += len(outcome.parked)
        t.unparked += len(outcome.unparked)
        t.noops += outcome.noops
        metrics.POSTING_BATCH_SIZE.observe(len(batch))
        metrics.POSTING_BATCH_SECONDS.observe(elapsed_s)
        for outcome_name, n in (("posted", len(outcome.staged)), ("rejected", len(outcome.rejected)),
                                ("duplicate", outcome.duplicates), ("parked", len(outcome.parked))):
            if n:
                metrics.POSTING_EVENTS.labels(outcome_name).inc(n)
        for p in outcome.parked:
            log.info("event_parked", reason=p.reason, detail=p.detail, event_id=p.event_id, order_id=p.order_id,
                     topic=p.msg.topic, partition=p.msg.partition, offset=p.msg.offset)
        for r in outcome.rejected:
            metrics.POSTING_REJECTED.labels(r.reason_code).inc()
            log.warning("event_rejected", reason=r.reason_code, detail=r.detail, event_id=r.event_id,
                        order_id=r.order_id, topic=r.source_topic, partition=r.source_partition,
                        offset=r.source_offset)
        log.info("batch_posted", messages=len(batch), posted=len(outcome.staged),
                 rejected=len(outcome.rejected), duplicates=outcome.duplicates, parked=len(outcome.parked),
                 unparked=len(outcome.unparked),
                 elapsed_ms=round(elapsed_s * 1000, 1), total_posted=t.posted)

    def _caught_up(self) -> bool:
        """Every message of the assigned partitions is posted, parked or rejected (for --idle-exit-s)."""
        stored = offsets.load(self.reader, CONSUMER_NAME)
        return at_ends(self.consumer, lambda tp: stored.get((tp.topic, tp.partition)))

    # -- assignment: seek to the offsets stored with the postings ---------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.drain()
        self._moved()
        stored = offsets.load(self.reader, CONSUMER_NAME)
        for tp in partitions:
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
        consumer.assign(partitions)
        self.idle.assigned()
        log.info("partitions_assigned", partitions=[f"{tp.topic}[{tp.partition}]@{tp.offset}" for tp in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.drain()  # what was prepared for these partitions is written before they go
        consumer.unassign()
        self._moved()
        log.info("partitions_revoked", partitions=[f"{tp.topic}[{tp.partition}]" for tp in partitions])

    def _forget(self) -> None:
        """Drop what is known in memory; the next batch reads it again from PostgreSQL."""
        self.positions = self.tip = self.carry = None

    def _moved(self) -> None:
        """The consumer's position is reset: what it knew is read again, and a batch
        consumed before now (being decoded) comes again."""
        self._forget()
        self.moves += 1

    def _rewind(self) -> None:
        self._moved()
        stored = offsets.load(self.reader, CONSUMER_NAME)
        assigned = self.consumer.assignment()
        for tp in assigned:
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
        self.consumer.assign(assigned)

    # -- parked events that waited too long -------------------------------------------
    def expire_parked(self) -> int:
        """Parked longer than the timeout: exceptions (UNKNOWN_ORDER, UNKNOWN_DISPUTE)."""
        self.drain()

        def expire() -> int:
            with db.translated(), self.conn.transaction():
                journal.lock_writer(self.conn)
                n = parked.expire(self.conn, self.clock() - self.park_timeout)
                self.parked_rows = parked.count(self.conn)
                if n:
                    journal.notify_appended(self.conn)
                return n

        n = with_retries(expire, what="expire_parked")
        if n:
            log.warning("parked_events_expired", count=n)
        return n

    # -- isolation: no message can stop the ledger, not even one the database refuses ------
    def _isolate(self, batch: list[Inbound], e: Exception) -> None:
        """A batch failed for good (the database refused its write, or preparing it raised):
        go back to the stored offsets and take those messages again one at a time, so the
        one at fault is found and quarantined and the others post."""
        log.error("batch_isolated", error=f"{type(e).__name__}: {e}", messages=len(batch),
                  first=f"{batch[0].topic}[{batch[0].partition}]@{batch[0].offset}")
        for m in batch:
            key = (m.topic, m.partition)
            self.isolating[key] = max(self.isolating.get(key, 0), m.offset + 1)
        self._rewind()

    def _one_by_one(self, batch: list[Inbound], decoded: list, started: float) -> None:
        """Each message of the batch prepared and written on its own, synchronously; one
        whose own write (or preparation) fails for good becomes an INTERNAL_ERROR
        exception with the error, and the consumer moves on."""
        if not self.drain():
            return
        for m, d in zip(batch, decoded):
            try:
                p = with_retries(partial(self.prepare, [m], [d], started), what="prepare_message")
                self.write(p)
            except Rewound:
                return
            except StaleBatch as e:  # another writer moved the journal: read it all again
                log.warning("batch_refused_stale", error=str(e), messages=1)
                self._rewind()
                return
            except TransientError:
                raise
            except Exception as e:  # this message, on its own, fails for good
                self._forget()
                log.error("message_quarantined", error=f"{type(e).__name__}: {e}", topic=m.topic,
                          partition=m.partition, offset=m.offset)
                detail = f"the database refused it or preparing it failed: {type(e).__name__}: {e}"
                event_id, order_id = (d.event_id, d.order_id) if isinstance(d, Decoded) else (None, None)
                p = self.prepare([m], [quarantined(m, detail, event_id, order_id)], started)
                self.write(p)  # if even this is refused, the database is at fault: stop
            self._done(p)
        for m in batch:
            key = (m.topic, m.partition)
            if self.isolating.get(key, 0) <= m.offset + 1:
                self.isolating.pop(key, None)

    def _isolated(self, batch: list[Inbound]) -> bool:
        return any(m.offset < self.isolating.get((m.topic, m.partition), -1) for m in batch)
