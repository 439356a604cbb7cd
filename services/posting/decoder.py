"""Decoding batches beside the posting consumer, in a second process.

Avro decoding is a fifth of the posting consumer's CPU time and needs nothing but the
message bytes, so a large batch is decoded in a helper process while the consumer
applies the rules to the batch before it: on two cores the two overlap. The helper
sends back plain tuples (decode_value's answers), which cost the consumer a fraction of
the decoding to unpickle. Small batches (tests, a quiet day) are decoded in-process,
so a helper is started only when there is a backlog to work through.

The helper is spawned (never forked: the consumer holds librdkafka's threads), ignores
SIGINT (the consumer decides when to stop), and exits by itself within a second when
the consumer's process is gone, so no stray process outlives it, even after SIGKILL."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

import structlog

from services.wire.avro import SchemaRegistry

from .batch import Decoded, Inbound, RejectedMessage, decode_value, finish_decode

log = structlog.get_logger()

MIN_BATCH = 1000  # messages: below this, decoding here costs less than the round trip

_registry: SchemaRegistry | None = None


def _start_helper(registry: SchemaRegistry, parent: int) -> None:
    global _registry
    _registry = registry
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=orphaned, name="orphan-watch", daemon=True).start()


def _decode_values(values: list[bytes | None]) -> list[tuple]:
    assert _registry is not None
    return [decode_value(v, _registry) for v in values]


class Decoding:
    """A batch being decoded; result() -> Decoded | RejectedMessage per message, in order."""

    def __init__(self, batch: list[Inbound], topic_of: Callable[[str], str], answers: Future | list[tuple]):
        self.batch = batch
        self.topic_of = topic_of
        self.answers = answers

    def result(self) -> list[Decoded | RejectedMessage]:
        answers = self.answers.result() if isinstance(self.answers, Future) else self.answers
        topic_of = self.topic_of
        return [finish_decode(m, a, topic_of) for m, a in zip(self.batch, answers)]


class Decoder:
    def __init__(self, registry: SchemaRegistry, topic_of: Callable[[str], str], min_batch: int = MIN_BATCH):
        self.registry = registry
        self.topic_of = topic_of
        self.min_batch = min_batch
        self._helper: ProcessPoolExecutor | None = None

    def submit(self, batch: list[Inbound]) -> Decoding:
        if len(batch) < self.min_batch:
            return Decoding(batch, self.topic_of, [decode_value(m.value, self.registry) for m in batch])
        if self._helper is None:
            self._helper = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                               initializer=_start_helper, initargs=(self.registry, os.getpid()))
            log.info("decoder_helper_started")
        return Decoding(batch, self.topic_of, self._helper.submit(_decode_values, [m.value for m in batch]))

    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown(wait=True, cancel_futures=True)
            self._helper = None
