"""account_balances: debits, credits and natural balance per account and currency."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from services.adapters.journal_record import JournalRecord
from services.adapters.postgres.read_models import add_deltas
from services.domain.accounts import natural_balance


def fold(records: Iterable[JournalRecord]) -> dict[tuple[str, str], list[int]]:
    """(account, currency) -> [debits, credits, last seq]."""
    out: dict[tuple[str, str], list[int]] = {}
    for r in records:
        seq = r["seq"]
        for x in r["postings"]:
            key, amount = (x["account"], x["currency"]), x["amount"]
            row = out.get(key)
            if row is None:
                row = out[key] = [0, 0, 0]
            if amount > 0:
                row[0] += amount
            else:
                row[1] -= amount
            row[2] = seq
    return out


def write(conn: psycopg.Connection, deltas: dict[tuple[str, str], list[int]]) -> None:
    add_deltas(
        conn, "account_balances", keys=("account", "currency"), added=("debits", "credits", "balance"),
        replaced=("as_of_seq",),
        rows=[(a, c, d, k, natural_balance(a, d, k), seq) for (a, c), (d, k, seq) in deltas.items()],
    )
