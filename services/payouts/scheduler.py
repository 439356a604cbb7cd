"""`payouts run --date D`: one CreatePayoutBatch per currency with payables, published to
ledger.commands (the ledger makes the batch), then the files once it is posted."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

import psycopg
import structlog
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.adapters.postgres import backoffice
from services.domain.errors import TransientError
from services.entrypoints.settings import Settings
from services.payouts import files
from services.runtime import metrics, progress

log = structlog.get_logger()


class NotPosted(TransientError):
    """The payout commands were published but not posted in time (is the consumer running?)."""


def batch_id_for(day: date, currency: str) -> str:
    return f"PB_{day:%Y%m%d}_{currency}"


def payout_command(day: date, currency: str, as_of: datetime) -> dict:
    return {"event_id": f"payout:{day.isoformat()}:{currency}", "occurred_at": as_of,
            "batch_id": batch_id_for(day, currency), "batch_date": day.isoformat(), "currency": currency}


def currencies_with_payables(conn: psycopg.Connection) -> list[str]:
    return backoffice.currencies_with_payables(conn)


def publish_day(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry,
                day: date, as_of: datetime) -> list[str]:
    """Publish the day's commands; returns the batch ids they ask for."""
    commands = [payout_command(day, c, as_of) for c in currencies_with_payables(conn)]
    if commands:
        publish(producer, settings.topic(topics.COMMANDS), registry, commands, name="CreatePayoutBatch")
    log.info("payout_commands_published", day=day.isoformat(), batches=[c["batch_id"] for c in commands])
    metrics.PAYOUT_BATCHES.inc(len(commands))
    return [c["batch_id"] for c in commands]


def write_created(conn: psycopg.Connection, batch_ids: list[str], out_dir: Path,
                  debtor: files.Debtor = files.Debtor()) -> list[str]:
    """Write the files of those batches the ledger created (a day with no one due has none).
    A batch whose bank file cannot be made is held: no file, a PAYOUT_FILE_REFUSED
    exception naming the seller and the field, and the other batches go on."""
    created = backoffice.created_batches(conn, batch_ids)
    for batch_id in created:
        try:
            paths = files.write_files(conn, batch_id, out_dir, debtor)
        except files.FileRefused as e:
            backoffice.hold_batch(conn, batch_id, str(e))
            log.error("payout_batch_held", batch_id=batch_id, error=str(e))
            continue
        log.info("payout_files_written", batch_id=batch_id, **{k: str(v) for k, v in paths.items()})
    return created


def run(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry,
        day: date, as_of: datetime, out_dir: Path, wait_s: float = 120) -> list[str]:
    """Publish, wait until the posting consumer has posted it, write the files. Returns the
    batch ids the ledger created (existing ones included: running a day twice is safe)."""
    batch_ids = publish_day(settings, conn, producer, registry, day, as_of)
    deadline = time.monotonic() + wait_s
    while progress.lag(settings, conn).unposted:
        if time.monotonic() > deadline:
            raise NotPosted(f"payout commands not posted within {wait_s:.0f} s: is the posting consumer running?")
        time.sleep(0.2)
    return write_created(conn, batch_ids, out_dir, files.Debtor.from_settings(settings))


def run_daily(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry,
              at: dtime, out_dir: Path, clock: Callable[[], datetime], stop) -> None:
    """Every day once the clock passes `at`, run that day's payouts (idempotent, so a
    restart the same day changes nothing)."""
    done: date | None = None
    while not stop.requested:
        now = clock()
        if now.time() >= at and done != now.date():
            run(settings, conn, producer, registry, now.date(), now, out_dir)
            done = now.date()
        for _ in range(60):
            if stop.requested:
                break
            time.sleep(0.5)
