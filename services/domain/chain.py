"""Tamper evidence: each journal transaction carries a hash chaining it to the one
before, over its canonical content. Change any stored byte of a transaction (or drop,
reorder, insert one) and every hash from there on stops matching."""

from __future__ import annotations

import hashlib
import json
from datetime import timezone

from .journal import Transaction

GENESIS = bytes(32)


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def canonical(seq: int, txn: Transaction, payload_sha256: bytes) -> bytes:
    """A JSON array in a fixed order: seq, transaction id, kind, event id, source digest,
    order id, batch id, reversed id, occurred_at (UTC, microseconds), metadata as sorted
    [key, value] pairs, postings as sorted [account, currency, amount] triples."""
    return _ENCODE([
        seq, str(txn.transaction_id), txn.kind, txn.event_id, payload_sha256.hex(), txn.order_id, txn.batch_id,
        str(txn.reverses_transaction_id) if txn.reverses_transaction_id else None,
        txn.occurred_at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        sorted((k, str(v)) for k, v in txn.metadata.items()),
        sorted(txn.postings),
    ]).encode()


def link(previous: bytes, seq: int, txn: Transaction, payload_sha256: bytes) -> bytes:
    return hashlib.sha256(previous + canonical(seq, txn, payload_sha256)).digest()
