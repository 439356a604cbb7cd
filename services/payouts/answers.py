"""The bank adapter: an answer the bank sent — a pain.002 status report, a camt.054 debit
notification or a CNAB 240 retorno — read against the batch the ledger posted and handed to the posting consumer as
PayoutBatchConfirmed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

import psycopg
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.iso20022 import parse_untrusted
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.adapters.postgres import backoffice
from services.entrypoints.settings import Settings
from services.payouts import camt054, cnab240, files, pain002
from services.payouts.batch import Batch


def read(conn: psycopg.Connection, data: bytes, at: datetime) -> dict | None:
    """The PayoutBatchConfirmed the bank's file amounts to; None when nothing is final yet.
    The batches come from the journal (and the profiles in force when they were made)."""
    return confirmation_of(data, at, lambda batch_id: files.load_batch(conn, batch_id),
                           lambda: [files.load_batch(conn, b) for b in backoffice.batches_sent_as(conn, "cnab240")])


def confirmation_of(data: bytes, at: datetime, batch: Callable[[str], Batch],
                    cnab_batches: Callable[[], list[Batch]]) -> dict | None:
    """What read() does without the database: XML is a pain.002 status report or a camt.054
    debit notification, answered for the batch it names; anything else is read as a CNAB
    240 retorno, matched to the batch (sent as CNAB 240, not fully answered) whose lines
    its references name."""
    sha256 = hashlib.sha256(data).hexdigest()
    if data.lstrip()[:1] == b"<":
        root = parse_untrusted(data)  # once, whichever document it turns out to be
        if camt054.is_notification(root):
            notes = camt054.from_document(root)
            return camt054.confirmation(notes, batch(camt054.batch_id(notes)), at, sha256)
        report = pain002.from_document(root)
        return pain002.confirmation(report, batch(report.batch_id), at)
    retorno = cnab240.parse(data)
    return cnab240.confirmation(retorno, cnab240.batch_of(retorno, cnab_batches()), at, sha256)


def confirm(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry, data: bytes,
            at: datetime) -> dict | None:
    """Publish what the bank's file says of the batch it answers; None when nothing is final yet."""
    confirmation = read(conn, data, at)
    if confirmation is not None:
        publish(producer, settings.topic(topics.BANK_CONFIRMATIONS), registry, [confirmation],
                name="PayoutBatchConfirmed")
    return confirmation
