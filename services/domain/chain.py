"""Tamper evidence: each journal transaction carries a hash chaining it to the one
before, over its canonical content. Change any stored byte of a transaction (or drop,
reorder, insert one) and every hash from there on stops matching."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from .journal import Transaction

GENESIS = bytes(32)


def canonical(seq: int, txn: Transaction, payload_sha256: bytes) -> bytes:
    occurred: datetime = txn.occurred_at.astimezone(timezone.utc)
    doc = {
        "seq": seq,
        "transaction_id": str(txn.transaction_id),
        "kind": txn.kind,
        "event_id": txn.event_id,
        "payload_sha256": payload_sha256.hex(),
        "order_id": txn.order_id,
        "batch_id": txn.batch_id,
        "reverses_transaction_id": str(txn.reverses_transaction_id) if txn.reverses_transaction_id else None,
        "occurred_at": occurred.isoformat(timespec="microseconds"),
        "metadata": {k: str(v) for k, v in txn.metadata.items()},
        "postings": sorted([a, c, int(m)] for a, c, m in txn.postings),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(previous: bytes, seq: int, txn: Transaction, payload_sha256: bytes) -> bytes:
    return hashlib.sha256(previous + canonical(seq, txn, payload_sha256)).digest()
