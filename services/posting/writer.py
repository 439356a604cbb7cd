"""Writing a prepared batch: one PostgreSQL transaction, in a writer process for large
batches.

A batch's write is mostly PostgreSQL's time, but the client drives it through dozens of
socket waits (COPY goes out in 128 KB pieces). In a thread of the consumer's process,
each wake-up has to win the GIL back from the busy main thread, which stretched a
write to twice PostgreSQL's time; in a process of its own the writer wakes when the
socket is ready. The batch arrives as text already formatted (a few MB through a pipe)
and only the outcome comes back. Small batches (tests, a quiet day) are written by a
thread of the consumer, so no process is started until there is a backlog.

The process is started like the decoder's (services/posting/helper_process.py)."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime
from typing import NamedTuple

import psycopg
import structlog

from services.runtime.runloop import with_retries
from services.adapters.postgres import db
from services.adapters.postgres import rejections
from services.adapters.postgres import journal
from services.adapters.postgres import offsets
from services.adapters.postgres import parked
from services.adapters.postgres import profiles

from services.posting import helper_process

log = structlog.get_logger()

CONSUMER_NAME = "posting"
Position = tuple[str, int]  # (topic, partition)


class StaleBatch(Exception):
    """The database moved on under a prepared batch (another writer): re-read and redo."""


class Write(NamedTuple):
    """Everything a batch writes, as plain data: formatted journal rows and the rest."""

    rows: journal.Rows
    profiles: list  # (SellerProfileUpdated, digest)
    settled: list[tuple[str, int, int]]  # parked rows to delete
    parked: list  # Parked
    parked_at: datetime
    rejected: list  # RejectedMessage
    assumed: dict[Position, int | None]  # the stored offsets the batch was prepared against
    next_offsets: dict[Position, int]
    notify: bool


def write_batch(conn: psycopg.Connection, w: Write) -> None:
    """One transaction: check the batch still fits, append, record, store offsets, commit
    (retried on transient errors). Raises StaleBatch when it no longer fits."""

    def write() -> None:
        with db.translated(), conn.transaction():
            journal.lock_writer(conn)
            stored = offsets.load(conn, CONSUMER_NAME, for_update=True)
            if any(stored.get(k) != v for k, v in w.assumed.items()):
                raise StaleBatch(f"stored offsets moved: {stored} (prepared against {w.assumed})")
            if w.rows.transactions and journal.tip(conn) != (w.rows.first_seq - 1, w.rows.previous_hash):
                raise StaleBatch(f"the journal tip moved (prepared to follow seq {w.rows.first_seq - 1})")
            journal.write_rows(conn, w.rows)
            profiles.insert(conn, w.profiles)
            parked.delete(conn, w.settled)
            parked.insert(conn, w.parked, w.parked_at)
            rejections.record(conn, w.rejected)
            offsets.store(conn, CONSUMER_NAME, w.next_offsets)
            if w.notify:
                conn.execute("NOTIFY journal_appended")

    with_retries(write, what="post_batch")


_database_url: str | None = None


def _start_writer(database_url: str) -> None:
    global _database_url
    _database_url = database_url


def _connection() -> psycopg.Connection:
    assert _database_url is not None
    return helper_process.connection(_database_url, "splitbook-posting-writer")


def _warm() -> None:
    _connection()


def _write_here(w: Write) -> None:
    write_batch(_connection(), w)


class WriterProcess:
    def __init__(self, database_url: str):
        self._pool = helper_process.start(_start_writer, database_url)
        self._pool.submit(_warm)  # start now: the batch at hand is written by the caller's thread
        log.info("writer_process_started")

    def submit(self, w: Write) -> Future:
        return self._pool.submit(_write_here, w)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
