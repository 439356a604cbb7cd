"""The reserve scheduler: publishes ReleaseReserve commands to ledger.commands for every
seller whose reserve holds more than the amounts still within their period; it never
writes the journal. It runs in the release scheduler's loop, on the same injected clock.

What is due is what the posting rule will find due (ReserveState.releasable over the
journal's reserves and holds; a seller on hold at that time is skipped, as the rule
skips them). The posting consumer re-checks all of it, so a command
that arrives twice is a duplicate (its id names the seller, the currency, the latest
period end it covers and the amount due then) and one that finds nothing left to
release is a no-op."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import psycopg
import structlog
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.adapters.postgres import journal, profiles
from services.domain.bounds import ID_MAX_CHARS
from services.domain.rules.profiles import in_force
from services.entrypoints.settings import Settings
from services.runtime import metrics

log = structlog.get_logger()


def command_id(seller: str, currency: str, covers: datetime, amount: int) -> str:
    """reserve:<seller>:<currency>:<period end, UTC>:<amount due>, or its digest past the id
    bound (the amount: what an adjustment adds to a reserve is released by a command of its own)."""
    eid = f"reserve:{seller}:{currency}:{covers.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}:{amount}"
    return eid if len(eid) <= ID_MAX_CHARS else "reserve:" + hashlib.sha256(eid.encode()).hexdigest()


def release_command(seller: str, currency: str, covers: datetime | None, amount: int, as_of: datetime) -> dict:
    return {"event_id": command_id(seller, currency, covers or as_of, amount), "occurred_at": as_of,
            "seller_id": seller, "currency": currency}


def due_reserves(conn: psycopg.Connection, as_of: datetime) -> list[tuple[str, str, int, datetime | None]]:
    """(seller, currency, amount due, latest period end at or before as_of) of every reserve
    holding more than the amounts still within their period, its seller not on hold."""
    out = []
    for currency in journal.reserve_currencies(conn):
        book = journal.reserves(conn, currency, None)
        versions = profiles.load(conn, sorted(book))
        for seller, reserve in sorted(book.items()):
            profile = in_force(versions.get(seller, ()), as_of)
            amount = reserve.releasable(as_of)
            if amount > 0 and not (profile is not None and profile.payout_hold):
                out.append((seller, currency, amount, reserve.last_end(as_of)))
    return out


def run_once(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry,
             as_of: datetime) -> int:
    due = due_reserves(conn, as_of)
    if due:
        publish(producer, settings.topic(topics.COMMANDS), registry,
                (release_command(s, c, end, amount, as_of) for s, c, amount, end in due), name="ReleaseReserve")
    log.info("reserve_release_commands_published", count=len(due), amount=sum(a for _s, _c, a, _e in due),
             as_of=as_of.isoformat())
    metrics.RESERVE_RELEASES.inc(len(due))
    return len(due)
