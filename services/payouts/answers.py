"""The bank adapter: an answer the bank sent — a pain.002 status report, a camt.054 debit
notification or a CNAB 240 retorno — read against the batch the ledger posted and handed to the posting consumer as
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
from services.payouts import camt054, cnab240, files, pain002


def read(conn: psycopg.Connection, data: bytes, at: datetime) -> dict | None:
    """The PayoutBatchConfirmed the bank's file amounts to; None when nothing is final yet.
    XML is a pain.002 status report or a camt.054 debit notification; anything else is
    read as a CNAB 240 retorno, matched to the batch (sent as CNAB 240, not fully
    answered) whose lines its references name."""
    if data.lstrip()[:1] == b"<":
        if b"urn:iso:std:iso:20022:tech:xsd:camt.054." in data[:4096]:
            notes = camt054.parse(data)
            return camt054.confirmation(notes, files.load_batch(conn, camt054.batch_id(notes)), at,
                                        hashlib.sha256(data).hexdigest())
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
