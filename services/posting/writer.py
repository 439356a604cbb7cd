"""Writing a prepared batch: one PostgreSQL transaction, checked against what is stored."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import psycopg
import structlog

from services.adapters.postgres import db, journal, offsets, parked, profiles, rejections
from services.runtime.runloop import with_retries

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
                journal.notify_appended(conn)

    with_retries(write, what="post_batch")

