"""Writing a prepared batch: one PostgreSQL transaction, checked against what is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from services.adapters.postgres import db, journal, offsets, parked, profiles, rejections
from services.posting.batch import Inbound, Outcome
from services.runtime.runloop import with_retries

CONSUMER_NAME = "posting"
Position = tuple[str, int]  # (topic, partition)


class StaleBatch(Exception):
    """The database moved on under a prepared batch (another writer): re-read and redo."""


@dataclass
class Prepared:
    """A batch with its rules applied and its rows formatted: what the writer commits."""

    batch: list[Inbound]
    outcome: Outcome
    rows: journal.Rows
    assumed: dict[Position, int | None]  # the stored offsets this batch was prepared against
    next_offsets: dict[Position, int]
    parked_at: datetime
    started: float  # when its messages were consumed


def write_batch(conn: psycopg.Connection, p: Prepared) -> None:
    """One transaction: check the batch still fits, append, record, store offsets, commit
    (retried on transient errors). Raises StaleBatch when it no longer fits."""

    def write() -> None:
        with db.translated(), conn.transaction():
            journal.lock_writer(conn)
            stored = offsets.load(conn, CONSUMER_NAME, for_update=True)
            if any(stored.get(k) != v for k, v in p.assumed.items()):
                raise StaleBatch(f"stored offsets moved: {stored} (prepared against {p.assumed})")
            if p.rows.transactions and journal.tip(conn) != (p.rows.first_seq - 1, p.rows.previous_hash):
                raise StaleBatch(f"the journal tip moved (prepared to follow seq {p.rows.first_seq - 1})")
            o = p.outcome
            journal.write_rows(conn, p.rows)
            profiles.insert(conn, o.profiles)
            parked.delete(conn, o.settled)
            parked.insert(conn, o.parked, p.parked_at)
            rejections.record(conn, o.rejected)
            offsets.store(conn, CONSUMER_NAME, p.next_offsets)
            if o.staged or o.rejected:
                journal.notify_appended(conn)

    with_retries(write, what="post_batch")

