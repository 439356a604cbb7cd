"""account_balances: debits, credits and natural balance per account and currency."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from services.adapters.postgres.read_models import add_deltas
from services.domain.accounts import natural_balance
from services.domain.journal import PostedTransaction


def fold(txns: Iterable[PostedTransaction]) -> dict[tuple[str, str], list[int]]:
    """(account, currency) -> [debits, credits, last seq]."""
    out: dict[tuple[str, str], list[int]] = {}
    for p in txns:
        for x in p.transaction.postings:
            row = out.setdefault((x.account, x.currency), [0, 0, 0])
            if x.amount_minor > 0:
                row[0] += x.amount_minor
            else:
                row[1] -= x.amount_minor
            row[2] = p.seq
    return out


def write(conn: psycopg.Connection, deltas: dict[tuple[str, str], list[int]]) -> None:
    add_deltas(
        conn, "account_balances", keys=("account", "currency"), added=("debits", "credits", "balance"),
        replaced=("as_of_seq",),
        rows=[(a, c, d, k, natural_balance(a, d, k), seq) for (a, c), (d, k, seq) in deltas.items()],
    )
