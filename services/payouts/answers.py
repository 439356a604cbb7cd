"""The bank adapter: a pain.002 status report the bank sent, read against the batch the
ledger posted and handed to the posting consumer as PayoutBatchConfirmed."""

from __future__ import annotations

from datetime import datetime

import psycopg
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.entrypoints.settings import Settings
from services.payouts import files, pain002


def confirm(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry, data: bytes,
            at: datetime) -> dict | None:
    """Publish what the report says of the batch it answers; None when nothing is final yet."""
    report = pain002.parse(data)
    confirmation = pain002.confirmation(report, files.load_batch(conn, report.batch_id), at)
    if confirmation is not None:
        publish(producer, settings.topic(topics.BANK_CONFIRMATIONS), registry, [confirmation],
                name="PayoutBatchConfirmed")
    return confirmation
