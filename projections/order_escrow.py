"""order_escrow: per order, what was captured and what its escrow holds now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import psycopg

from services.adapters.journal_record import JournalRecord
from services.adapters.postgres.read_models import add_deltas, formatted
from services.domain import accounts
from services.domain.journal import REFUND_KINDS, TxKind

ADDED = ("captured", "escrow_seller", "escrow_shipping", "escrow_platform", "released", "refunded", "disputed")
_INDEX = {name: i for i, name in enumerate(ADDED)}
_CAPTURED, _RELEASED, _REFUNDED, _DISPUTED = (_INDEX[c] for c in ("captured", "released", "refunded", "disputed"))
_PART = {part: _INDEX[f"escrow_{part}"] for part in ("seller", "shipping", "platform")}


def fold(records: Iterable[JournalRecord]) -> dict[str, dict]:
    """order_id -> {currency, deltas[ADDED], release_due_at, last seq, new}."""
    out: dict[str, dict] = {}
    escrow_of, capture_kind, release_kind = accounts.escrow_of, TxKind.CAPTURE, TxKind.RELEASE
    for r in records:
        order_id = r["order_id"]
        if order_id is None:
            continue
        kind, postings = r["kind"], r["postings"]
        capture = kind == capture_kind
        row = out.get(order_id)
        if row is None:  # new when the batch holds the order's capture: its first transaction
            row = out[order_id] = {"currency": postings[0]["currency"], "d": [0] * len(ADDED),
                                   "release_due_at": None, "seq": 0, "new": capture}
        d = row["d"]
        row["seq"] = r["seq"]
        if capture:
            due = r["metadata"].get("release_due_at")
            row["release_due_at"] = datetime.fromisoformat(due) if due else None
        refund, release, hold = kind in REFUND_KINDS, kind == release_kind, None
        for x in postings:
            account, amount = x["account"], x["amount"]
            if capture and amount > 0:
                d[_CAPTURED] += amount
            if refund and amount < 0 and accounts.is_pool(account):
                d[_REFUNDED] -= amount  # returned to the buyer
            escrow = escrow_of(account)
            if escrow is not None:
                if escrow.order_id == order_id:
                    d[_PART[escrow.part]] -= amount
                    if release and amount > 0:
                        d[_RELEASED] += amount
                continue
            if hold is None:
                hold = accounts.dispute_hold(order_id)
            if account == hold:
                d[_DISPUTED] -= amount  # what the hold has now
    return out


def merge(into: dict, other: dict) -> dict:
    """Two folds of one batch's records in one, `into` holding the orders' captures (an
    order's first transaction: its currency, release date and newness stand)."""
    for order_id, row in other.items():
        mine = into.get(order_id)
        if mine is None:
            into[order_id] = row
            continue
        mine["d"] = [a + b for a, b in zip(mine["d"], row["d"])]
        mine["seq"] = max(mine["seq"], row["seq"])
    return into


def staged(deltas: dict[str, dict]) -> list[dict]:
    """The add_deltas calls that write these deltas, their rows formatted."""
    rows: tuple[list, list] = ([], [])
    for oid, r in deltas.items():
        rows[r["new"]].append((oid, *r["d"], r["seq"], r["currency"], r["release_due_at"]))
    return [dict(table="order_escrow", keys=("order_id",), added=ADDED, replaced=("as_of_seq",),
                 keep=("currency", "release_due_at"), rows=formatted(rows[0]), new=formatted(rows[1]))]


def write(conn: psycopg.Connection, deltas: dict[str, dict]) -> None:
    for call in staged(deltas):
        add_deltas(conn, **call)
