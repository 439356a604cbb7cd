"""The bank adapter: an answer the bank sent — a pain.002 status report or a CNAB 240
retorno — read against the batch the ledger posted and handed to the posting consumer as
PayoutBatchConfirmed."""

from __future__ import annotations

import hashlib
from datetime import datetime

import psycopg
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.adapters.postgres import backoffice
from services.entrypoints.settings import Settings
from services.payouts import cnab240, files, pain002


def read(conn: psycopg.Connection, data: bytes, at: datetime) -> dict | None:
    """The PayoutBatchConfirmed the bank's file amounts to; None when nothing is final yet.
    XML is a pain.002; anything else is read as a CNAB 240 retorno, matched to the batch
    (sent as CNAB 240, not fully answered) whose lines its references name."""
    if data.lstrip()[:1] == b"<":
        report = pain002.parse(data)
        return pain002.confirmation(report, files.load_batch(conn, report.batch_id), at)
    retorno = cnab240.parse(data)
    candidates = [files.load_batch(conn, b) for b in backoffice.batches_sent_as(conn, "cnab240")]
    return cnab240.confirmation(retorno, cnab240.batch_of(retorno, candidates), at, hashlib.sha256(data).hexdigest())


def confirm(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry, data: bytes,
            at: datetime) -> dict | None:
    """Publish what the bank's file says of the batch it answers; None when nothing is final yet."""
    confirmation = read(conn, data, at)
    if confirmation is not None:
        publish(producer, settings.topic(topics.BANK_CONFIRMATIONS), registry, [confirmation],
                name="PayoutBatchConfirmed")
    return confirmation
