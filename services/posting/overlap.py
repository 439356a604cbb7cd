"""The one place where the posting consumer's stages overlap (measured by `make bench`,
docs/performance.md; without either, the consumer runs its stages one after another):

- DecodeAhead: while batch N is prepared here, batch N+1 is decoded in a helper
  process (Avro decoding and the bounds check need nothing but the bytes). Worth about
  a fifth more throughput on two cores.
- WriteBehind: while batch N+1 is prepared, batch N is written by a writer thread
  (PostgreSQL's time, spent without the GIL). Worth about an eighth more.

What WriteBehind costs the consumer: batch N+1 is prepared before N is committed, so
the rules read what N staged from memory (N's context, carried over); a batch that reads
what memory cannot answer (payables, parked events) waits for N first; and the writer
checks that the batch still fits what is stored (`StaleBatch` otherwise)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import structlog

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.posting.batch import Decoded, Inbound, RejectedMessage, decode_value, finish_decode
from services.posting.lane import CaptureLane

log = structlog.get_logger()

MIN_BATCH = 1000  # messages: below this, decoding here costs less than the round trip


class DecodeAhead:
    """Decodes consumed batches in one helper process, spawned at the first backlog
    (never forked: the consumer holds librdkafka's threads). The helper ignores SIGINT
    and exits by itself within a second when the consumer's process is gone."""

    def __init__(self, registry: SchemaRegistry, topic_of: Callable[[str], str], min_batch: int = MIN_BATCH,
                 lane: CaptureLane | None = None):
        """lane: the compiled capture lane, which takes plainly valid captures here (in
        microseconds each) before anything goes to the helper."""
        self.registry = registry
        self.topic_of = topic_of
        self.min_batch = min_batch
        self.lane = lane
        self.orders_topic = topic_of(topics.ORDERS)
        self._helper: ProcessPoolExecutor | None = None
        self._lane_thread = ThreadPoolExecutor(1, thread_name_prefix="capture-lane") if lane is not None else None

    def submit(self, batch: list[Inbound]) -> Callable[[], list[Decoded | RejectedMessage]]:
        """Start decoding batch; the callable returned waits for the answer."""
        if self.lane is None:
            return self._submit(batch)
        orders = self.orders_topic
        at = [i for i, m in enumerate(batch) if m.topic == orders]
        others = [m for m in batch if m.topic != orders]
        # the lane reads the captures in its thread, without the interpreter's lock
        parsed = self._lane_thread.submit(self.lane.parse_many, [batch[i].value for i in at])
        waiting = self._submit(others) if others else list
        lane_type = self.lane.type

        def merged() -> list[Decoded | RejectedMessage]:
            taken = dict(zip(at, parsed.result()))
            declined = [batch[i] for i in at if taken[i] is None]  # the reference judges them, here
            from_reference = iter(self._finish(declined, [decode_value(m.value, self.registry) for m in declined]))
            from_others = iter(waiting())
            out: list[Decoded | RejectedMessage] = []
            for i, m in enumerate(batch):
                if m.topic != orders:
                    out.append(next(from_others))
                elif (c := taken[i]) is None:
                    out.append(next(from_reference))
                else:
                    out.append(Decoded(m, lane_type, c, c.event_id, c.digest))
            return out
        return merged

    def _submit(self, batch: list[Inbound]) -> Callable[[], list[Decoded | RejectedMessage]]:
        if len(batch) >= self.min_batch and self._helper is not None:
            answers = self._helper.submit(_decode_values, [m.value for m in batch])
            return lambda: self._finish(batch, answers.result())
        if len(batch) >= self.min_batch:  # starting takes a moment: this batch is decoded here meanwhile
            self._helper = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                               initializer=_start_helper, initargs=(os.getpid(), self.registry))
            self._helper.submit(_decode_values, [])
            log.info("decoder_helper_started")
        answers_here = [decode_value(m.value, self.registry) for m in batch]
        return lambda: self._finish(batch, answers_here)

    def _finish(self, batch: list[Inbound], answers: list[tuple]) -> list[Decoded | RejectedMessage]:
        return [finish_decode(m, a, self.topic_of) for m, a in zip(batch, answers)]

    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown(wait=True, cancel_futures=True)
            self._helper = None
        if self._lane_thread is not None:
            self._lane_thread.shutdown(wait=True, cancel_futures=True)


_registry: SchemaRegistry | None = None


def _start_helper(parent: int, registry: SchemaRegistry) -> None:
    global _registry
    _registry = registry
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="orphan-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _decode_values(values: list[bytes | None]) -> list[tuple]:
    """In the helper: decode_value's plain tuples, which pickle cheaply."""
    if _registry is None:
        raise RuntimeError("the decoder helper was not started with a schema registry")
    return [decode_value(v, _registry) for v in values]


class WriteBehind:
    """At most one batch in flight, written by one thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="posting-writer")
        self._flight: tuple[Future, Any] | None = None

    @property
    def in_flight(self) -> Any | None:
        """The prepared batch being written, if any."""
        return self._flight[1] if self._flight else None

    def submit(self, write: Callable[[Any], None], prepared: Any) -> None:
        self._flight = (self._pool.submit(write, prepared), prepared)

    def take(self) -> tuple[Any, BaseException | None] | None:
        """Wait for the batch in flight: (it, None) when written, (it, the error) when its
        write failed; None when nothing was in flight."""
        if self._flight is None:
            return None
        future, prepared = self._flight
        self._flight = None
        return prepared, future.exception()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
