"""Journal transactions and postings: the unit the event store appends."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

# Transaction ids are derived from the source event id, so re-posting the same
# event can never mint a second id.
TRANSACTION_ID_NAMESPACE = uuid.UUID("6f1d5a52-3a8e-4c55-9a55-5b1c0d9e2f10")


_NAMESPACE_BYTES = TRANSACTION_ID_NAMESPACE.bytes


def transaction_id_for(event_id: str) -> uuid.UUID:
    """uuid5(_NAMESPACE, event_id), computed without uuid5's per-call overhead."""
    return uuid.UUID(bytes=hashlib.sha1(_NAMESPACE_BYTES + event_id.encode()).digest()[:16], version=5)


class TxKind(StrEnum):
    """What a journal transaction records (its `kind` column)."""

    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"
    REFUND_AFTER_RELEASE = "refund_after_release"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_RESOLVED = "dispute_resolved"
    PAYOUT_BATCH = "payout_batch"
    PAYOUT_CONFIRMATION = "payout_confirmation"
    PAYOUT_RETURN = "payout_return"
    GATEWAY_DEPOSIT = "gateway_deposit"
    ADJUSTMENT = "adjustment"
    RESERVE_RELEASE = "reserve_release"


REFUND_KINDS = frozenset({TxKind.REFUND, TxKind.REFUND_AFTER_RELEASE})
PAYOUT_KINDS = frozenset({TxKind.PAYOUT_BATCH, TxKind.PAYOUT_CONFIRMATION, TxKind.PAYOUT_RETURN})

# Metadata values are typed here (str, int, or a dict/list of them for what is per
# seller or per part); adapters turn the structured ones into JSON text and back.
Metadata = dict[str, Any]


class Posting(NamedTuple):
    """amount_minor > 0 is a debit, < 0 a credit. Never zero. (A NamedTuple: immutable
    and cheap to build, which matters at tens of thousands of postings a second.)"""

    account: str
    currency: str
    amount_minor: int


def debit(account: str, currency: str, amount_minor: int) -> Posting:
    return Posting(account, currency, amount_minor)


def credit(account: str, currency: str, amount_minor: int) -> Posting:
    return Posting(account, currency, -amount_minor)


@dataclass(frozen=True, slots=True)
class Transaction:
    transaction_id: uuid.UUID
    kind: TxKind
    event_id: str
    occurred_at: datetime
    postings: tuple[Posting, ...]
    order_id: str | None = None
    batch_id: str | None = None
    reverses_transaction_id: uuid.UUID | None = None
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PostedTransaction:
    """A transaction as stored: with its global sequence and recording time."""

    seq: int
    recorded_at: datetime
    transaction: Transaction
