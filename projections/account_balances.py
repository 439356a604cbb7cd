"""account_balances: debits, credits and natural balance per account and currency."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from services.adapters.journal_record import JournalRecord
from services.adapters.postgres.read_models import add_deltas, formatted
from services.domain import accounts
from services.domain.accounts import natural_balance
from services.domain.journal import TxKind


def fold(records: Iterable[JournalRecord]) -> dict[tuple[str, str], list[int]]:
    """(account, currency) -> [debits, credits, last seq, new]: new is 1 for an order's
    escrow account first posted by the order's capture (its row cannot exist yet)."""
    out: dict[tuple[str, str], list[int]] = {}
    for r in records:
        seq = r["seq"]
        capture = r["kind"] == TxKind.CAPTURE
        for x in r["postings"]:
            key, amount = (x["account"], x["currency"]), x["amount"]
            row = out.get(key)
            if row is None:
                escrow = accounts.escrow_of(key[0]) if capture else None
                row = out[key] = [0, 0, 0, int(escrow is not None and escrow.order_id == r["order_id"])]
            if amount > 0:
                row[0] += amount
            else:
                row[1] -= amount
            row[2] = seq
    return out


def merge(into: dict, other: dict) -> dict:
    """Two folds of one batch's records in one, `into` holding the orders' captures (the
    first to post to an order's escrow accounts: their newness stands)."""
    for key, row in other.items():
        mine = into.get(key)
        if mine is None:
            into[key] = row
            continue
        mine[0] += row[0]
        mine[1] += row[1]
        mine[2] = max(mine[2], row[2])
    return into


def staged(deltas: dict[tuple[str, str], list[int]]) -> list[dict]:
    """The add_deltas calls that write these deltas, their rows formatted."""
    rows: tuple[list, list] = ([], [])
    for (a, c), (d, k, seq, new) in deltas.items():
        rows[new].append((a, c, d, k, natural_balance(a, d, k), seq))
    return [dict(table="account_balances", keys=("account", "currency"), added=("debits", "credits", "balance"),
                 replaced=("as_of_seq",), rows=formatted(rows[0]), new=formatted(rows[1]))]


def write(conn: psycopg.Connection, deltas: dict[tuple[str, str], list[int]]) -> None:
    for call in staged(deltas):
        add_deltas(conn, **call)
