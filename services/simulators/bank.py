"""Reads a pain.001 batch file, settles or fails each transfer (failure rate and reasons
configurable, deterministic for a seed) and answers as a bank does: pain.002 status
reports, in one or several files, which the ledger's bank adapter reads into
PayoutBatchConfirmed on bank.confirmations."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime
from pathlib import Path

from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.entrypoints.settings import Settings
from services.payouts import pain002
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


def answers(batch: Batch, results: list[dict], parts: int, at: datetime) -> list[bytes]:
    """The bank's pain.002 status reports for the results, in `parts` files (it answers as it goes)."""
    parts = max(1, min(parts, len(results)))
    size = -(-len(results) // parts)
    return [pain002.write(batch, results[i * size:(i + 1) * size], f"{batch.batch_id}-STS-{i + 1}of{parts}",
                          at.strftime("%Y-%m-%dT%H:%M:%S")) for i in range(parts)]


def settle(settings: Settings, producer: Producer, registry: SchemaRegistry, pain001: bytes, failure_rate: float,
           seed: int, parts: int, at: datetime, answers_dir: Path | None = None) -> tuple[Batch, list[dict]]:
    """Settle or fail each transfer, answer in pain.002 (written to answers_dir when given)
    and hand the answers to the ledger the way its bank adapter reads them."""
    batch = parse_pain001(pain001)
    results = decide(batch, failure_rate, seed)
    reports = answers(batch, results, parts, at)
    for i, data in enumerate(reports, start=1):
        if answers_dir is not None:
            (answers_dir / f"{batch.batch_id}.pain002.{i}.xml").write_bytes(data)
    publish(producer, settings.topic(topics.BANK_CONFIRMATIONS), registry,
            [c for c in (pain002.confirmation(pain002.parse(data), batch, at) for data in reports) if c], name="PayoutBatchConfirmed")
    return batch, results
