"""A journal transaction as the ledger publishes it: the JournalTransaction record.

The relay reads these straight from PostgreSQL and publishes them; the projection
worker folds them as it decodes them from ledger.journal, and a rebuild folds the same
records read from PostgreSQL. No domain objects are built on the way: the record's
metadata stays a map of strings, and a fold parses a structured value only when it
reads it (`structured`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypedDict

from services.adapters import metadata
from services.domain.journal import PostedTransaction


class PostingRecord(TypedDict):
    account: str
    currency: str
    amount: int  # minor units; > 0 debit, < 0 credit


class JournalRecord(TypedDict):
    event_id: str
    occurred_at: datetime
    seq: int
    transaction_id: str
    kind: str
    order_id: str | None
    batch_id: str | None
    reverses_transaction_id: str | None
    recorded_at: datetime
    metadata: dict[str, str]
    postings: list[PostingRecord]


def journal_record(p: PostedTransaction) -> JournalRecord:
    """A posted transaction in the record's shape (what the relay would publish for it)."""
    t = p.transaction
    return {
        "event_id": t.event_id,
        "occurred_at": t.occurred_at,
        "seq": p.seq,
        "transaction_id": str(t.transaction_id),
        "kind": t.kind,
        "order_id": t.order_id,
        "batch_id": t.batch_id,
        "reverses_transaction_id": str(t.reverses_transaction_id) if t.reverses_transaction_id else None,
        "recorded_at": p.recorded_at,
        "metadata": metadata.encode(t.metadata),
        "postings": [{"account": x.account, "currency": x.currency, "amount": x.amount_minor} for x in t.postings],
    }


def structured(record: JournalRecord, key: str) -> Any:
    """A structured metadata value (per-seller amounts and the like), parsed."""
    return json.loads(record["metadata"][key])
