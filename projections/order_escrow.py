"""order_escrow: per order, what was captured and what its escrow holds now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import psycopg

from services.adapters.postgres.read_models import add_deltas
from services.domain import accounts
from services.domain.journal import REFUND_KINDS, PostedTransaction, TxKind

ADDED = ("captured", "escrow_seller", "escrow_shipping", "escrow_platform", "released", "refunded", "disputed")
_INDEX = {name: i for i, name in enumerate(ADDED)}


def fold(txns: Iterable[PostedTransaction]) -> dict[str, dict]:
    """order_id -> {currency, deltas[ADDED], release_due_at, last seq}."""
    out: dict[str, dict] = {}
    for p in txns:
        t = p.transaction
        if t.order_id is None:
            continue
        row = out.get(t.order_id)
        if row is None:
            row = out[t.order_id] = {"currency": t.postings[0].currency, "d": [0] * len(ADDED),
                                     "release_due_at": None, "seq": 0}
        d = row["d"]
        row["seq"] = p.seq
        if t.kind == TxKind.CAPTURE:
            d[_INDEX["captured"]] += sum(x.amount_minor for x in t.postings if x.amount_minor > 0)
            due = t.metadata.get("release_due_at")
            row["release_due_at"] = datetime.fromisoformat(due) if due else None
        hold = accounts.dispute_hold(t.order_id)
        for x in t.postings:
            if t.kind in REFUND_KINDS and accounts.is_pool(x.account) and x.amount_minor < 0:
                d[_INDEX["refunded"]] -= x.amount_minor  # returned to the buyer
            escrow = accounts.escrow_of(x.account)
            if escrow is not None and escrow.order_id == t.order_id:
                d[_INDEX[f"escrow_{escrow.part}"]] -= x.amount_minor
                if x.amount_minor > 0 and t.kind == TxKind.RELEASE:
                    d[_INDEX["released"]] += x.amount_minor
            elif x.account == hold:
                d[_INDEX["disputed"]] -= x.amount_minor  # what the hold has now
    return out


def write(conn: psycopg.Connection, deltas: dict[str, dict]) -> None:
    add_deltas(
        conn, "order_escrow", keys=("order_id",), added=ADDED, replaced=("as_of_seq",),
        keep=("currency", "release_due_at"),
        rows=[(oid, *r["d"], r["seq"], r["currency"], r["release_due_at"]) for oid, r in deltas.items()],
    )
