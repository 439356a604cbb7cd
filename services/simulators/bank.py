"""Reads a pain.001 batch file, settles or fails each transfer (failure rate and reasons
configurable, deterministic for a seed) and publishes PayoutBatchConfirmed to
bank.confirmations, in one or several messages."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime

from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.entrypoints.settings import Settings
from services.payouts.files import Batch, parse_pain001

# ISO 20022 external status reason codes a bank returns for rejected credit transfers
FAILURE_REASONS = ("AC04", "AC01", "AC06", "AG01", "MD07")  # closed, wrong number, blocked, forbidden, deceased


def decide(batch: Batch, failure_rate: float, seed: int) -> list[dict]:
    rng = random.Random(f"{seed}:{batch.batch_id}")
    results = []
    for ln in batch.lines:
        failed = rng.random() < failure_rate
        ref = "BR" + hashlib.sha1(f"{batch.batch_id}:{ln.seller_id}:{seed}".encode()).hexdigest()[:16].upper()
        results.append({"seller_id": ln.seller_id, "amount": ln.amount_minor,
                        "status": "FAILED" if failed else "SETTLED",
                        "bank_reference": None if failed else ref,
                        "reason": rng.choice(FAILURE_REASONS) if failed else None})
    return results


def confirmations(batch: Batch, results: list[dict], parts: int, at: datetime) -> list[dict]:
    """Split the results into `parts` messages (the bank confirms as it goes)."""
    parts = max(1, min(parts, len(results)))
    size = -(-len(results) // parts)
    return [{"event_id": f"bankconf:{batch.batch_id}:{i + 1}of{parts}", "occurred_at": at,
             "batch_id": batch.batch_id, "results": results[i * size:(i + 1) * size]} for i in range(parts)]


def settle(settings: Settings, producer: Producer, registry: SchemaRegistry, pain001: bytes, failure_rate: float,
           seed: int, parts: int, at: datetime) -> tuple[Batch, list[dict]]:
    batch = parse_pain001(pain001)
    results = decide(batch, failure_rate, seed)
    publish(producer, settings.topic(topics.BANK_CONFIRMATIONS), registry,
            confirmations(batch, results, parts, at), name="PayoutBatchConfirmed")
    return batch, results
