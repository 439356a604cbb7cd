"""payout_batches and payout_lines: what each batch paid, settled and failed."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from services.adapters.journal_record import JournalRecord, structured
from services.adapters.postgres.read_models import add_deltas, formatted
from services.domain.journal import PAYOUT_KINDS, TxKind

BATCH_ADDED = ("line_count", "total", "confirmed_count", "settled", "failed")


def fold(records: Iterable[JournalRecord]) -> tuple[dict, dict]:
    """-> (batch_id -> row, (batch_id, seller) -> row)."""
    batches: dict[str, dict] = {}
    lines: dict[tuple[str, str], dict] = {}
    for r in records:
        kind = r["kind"]
        if kind not in PAYOUT_KINDS:
            continue
        batch_id, seq, cur = r["batch_id"], r["seq"], r["postings"][0]["currency"]
        b = batches.setdefault(batch_id, {"date": r["metadata"]["batch_date"], "currency": cur,
                                          "d": [0] * len(BATCH_ADDED), "seq": 0})
        b["seq"] = seq
        d = b["d"]
        if kind == TxKind.PAYOUT_BATCH:
            for seller, amount in structured(r, "lines").items():
                d[0] += 1
                d[1] += int(amount)
                lines[(batch_id, seller)] = {"currency": cur, "amount": int(amount), "status": "in_flight",
                                             "ref": None, "reason": None, "seq": seq}
            continue
        if kind == TxKind.PAYOUT_RETURN:  # settled, then returned: counted as failed from here on
            for seller, (amount, reason) in structured(r, "returned").items():
                d[3] -= amount
                d[4] += amount
                lines[(batch_id, seller)] = {"currency": cur, "amount": amount, "status": "returned",
                                             "ref": r["metadata"].get("bank_reference"), "reason": reason or None,
                                             "seq": seq}
            continue
        for status, key in (("settled", "settled"), ("failed", "failed")):
            for seller, (amount, note) in structured(r, key).items():
                d[2] += 1
                d[3 if status == "settled" else 4] += amount
                lines[(batch_id, seller)] = {"currency": cur, "amount": amount, "status": status,
                                             "ref": note if status == "settled" else None,
                                             "reason": note if status == "failed" else None, "seq": seq}
    return batches, lines


def staged(deltas: tuple[dict, dict]) -> list[dict]:
    """The add_deltas calls that write these deltas, their rows formatted."""
    batches, lines = deltas
    return [
        dict(table="payout_batches", keys=("batch_id",), added=BATCH_ADDED, replaced=("as_of_seq",),
             keep=("batch_date", "currency"),
             rows=formatted([(b, *r["d"], r["seq"], r["date"], r["currency"]) for b, r in batches.items()])),
        dict(table="payout_lines", keys=("batch_id", "seller_id"), added=(),
             replaced=("status", "bank_reference", "failure_reason", "as_of_seq"), keep=("currency", "amount"),
             rows=formatted([(b, s, r["status"], r["ref"], r["reason"], r["seq"], r["currency"], r["amount"])
                             for (b, s), r in lines.items()])),
    ]


def write(conn: psycopg.Connection, deltas: tuple[dict, dict]) -> None:
    for call in staged(deltas):
        add_deltas(conn, **call)
