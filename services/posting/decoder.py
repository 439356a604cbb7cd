"""Decoding batches beside the posting consumer, in a second process.

Avro decoding is a fifth of the posting consumer's CPU time and needs nothing but the
message bytes, so a large batch is decoded in a helper process while the consumer
applies the rules to the batch before it: on two cores the two overlap. The helper
sends back plain tuples (decode_value's answers), which cost the consumer a fraction of
the decoding to unpickle. Small batches (tests, a quiet day) are decoded in-process,
so a helper is started only when there is a backlog to work through.

Having decoded a batch, the helper also looks up in the journal what the rules will
ask about it (digests of its event ids already posted, its orders' transactions), so
the consumer does not wait for those reads either. The answer reflects the journal as
of some moment after the batch was consumed; the consumer lays over it what the
batches written since staged (services/posting/consumer.py, the carried context).

The helper (services/posting/helper_process.py) runs at a lower CPU priority: it has
slack, the consumer's own thread is the bottleneck."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

from typing import NamedTuple

import psycopg
import structlog

from services.domain.errors import TransientError
from services.domain.journal import Transaction
from services.adapters.postgres import journal
from services.adapters.avro import SchemaRegistry

from services.posting import helper_process
from services.posting.batch import DECODED, Decoded, Inbound, RejectedMessage, decode_value, finish_decode

log = structlog.get_logger()

HELPER_NICENESS = 5  # the consumer's own thread is the critical path: where they share a core, it goes first
MIN_BATCH = 1000  # messages: below this, decoding here costs less than the round trip

_registry: SchemaRegistry | None = None
_database_url: str | None = None


class Lookups(NamedTuple):
    """What the journal held for a batch when the helper looked."""

    digests: dict[str, bytes]  # event_id -> digest, of the batch's events already posted
    orders: dict[str, list[Transaction]]  # order_id -> its transactions, of the batch's orders


def _start_helper(registry: SchemaRegistry, database_url: str | None) -> None:
    global _registry, _database_url
    _registry, _database_url = registry, database_url
    os.nice(HELPER_NICENESS)


def _decode_values(values: list[bytes | None]) -> tuple[list[tuple], Lookups | None]:
    assert _registry is not None
    answers = [decode_value(v, _registry) for v in values]
    return answers, _look_up(answers)


def _look_up(answers: list[tuple]) -> Lookups | None:
    """None when there is no database to ask, or it failed: the consumer then asks itself."""
    if _database_url is None or not answers:
        return None
    event_ids = [a[3] for a in answers if a[0] == DECODED]
    order_ids = {getattr(a[2], "order_id", None) for a in answers if a[0] == DECODED} - {None}
    try:
        conn = helper_process.connection(_database_url, "splitbook-posting-decoder")
        return Lookups(journal.recorded_digests(conn, event_ids), journal.order_transactions(conn, list(order_ids)))
    except (psycopg.Error, TransientError):
        return None


class Decoding:
    """A batch being decoded; result() -> Decoded | RejectedMessage per message, in order."""

    def __init__(self, batch: list[Inbound], topic_of: Callable[[str], str],
                 answers: Future | tuple[list[tuple], Lookups | None]):
        self.batch = batch
        self.topic_of = topic_of
        self.answers = answers

    def result(self) -> tuple[list[Decoded | RejectedMessage], Lookups | None]:
        answers, lookups = self.answers.result() if isinstance(self.answers, Future) else self.answers
        topic_of = self.topic_of
        return [finish_decode(m, a, topic_of) for m, a in zip(self.batch, answers)], lookups


class Decoder:
    def __init__(self, registry: SchemaRegistry, topic_of: Callable[[str], str], min_batch: int = MIN_BATCH,
                 database_url: str | None = None):
        """database_url: where the helper looks up what the rules will ask (None: it doesn't)."""
        self.registry = registry
        self.database_url = database_url
        self.topic_of = topic_of
        self.min_batch = min_batch
        self._helper: ProcessPoolExecutor | None = None

    def submit(self, batch: list[Inbound]) -> Decoding:
        if len(batch) < self.min_batch:
            return self._here(batch)
        if self._helper is None:
            # Starting takes a moment (a new interpreter importing the decoder): this batch
            # is decoded here meanwhile, the next ones there.
            self._helper = helper_process.start(_start_helper, self.registry, self.database_url)
            self._helper.submit(_decode_values, [])
            log.info("decoder_helper_started")
            return self._here(batch)
        return Decoding(batch, self.topic_of, self._helper.submit(_decode_values, [m.value for m in batch]))

    def _here(self, batch: list[Inbound]) -> Decoding:
        return Decoding(batch, self.topic_of, ([decode_value(m.value, self.registry) for m in batch], None))

    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown(wait=True, cancel_futures=True)
            self._helper = None
