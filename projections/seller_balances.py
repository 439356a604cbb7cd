"""seller_balances: what each seller has in escrow, payable, in flight, paid out,
withheld, on hold and in reserve, per currency."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from services.adapters.journal_record import JournalRecord, structured
from services.adapters.postgres.read_models import add_deltas, formatted
from services.domain import accounts
from services.domain.journal import PAYOUT_KINDS, TxKind

COLUMNS = ("escrow", "payable", "in_flight", "paid_out", "withheld", "on_hold", "reserve")  # (the compiled lane's width)
_ESCROW, _PAYABLE, _IN_FLIGHT, _PAID_OUT, _WITHHELD, _ON_HOLD, _RESERVE = 0, 1, 2, 3, 4, 5, 6
# Transaction metadata that attributes shared accounts (tax, dispute holds) to sellers.
_ATTRIBUTED = (("withholding", _WITHHELD, 1), ("withholding_clawback", _WITHHELD, -1), ("hold", _ON_HOLD, 1))
_ATTRIBUTED_KEYS = frozenset(key for key, _col, _sign in _ATTRIBUTED)


def fold(records: Iterable[JournalRecord]) -> dict[tuple[str, str], list[int]]:
    """(seller_id, currency) -> [escrow, payable, in_flight, paid_out, withheld, on_hold, reserve, last seq]."""
    out: dict[tuple[str, str], list[int]] = {}
    width = len(COLUMNS) + 1
    for r in records:
        seq, kind, postings, md = r["seq"], r["kind"], r["postings"], r["metadata"]
        if not _ATTRIBUTED_KEYS.isdisjoint(md):  # (few transactions)
            for key, col, sign in _ATTRIBUTED:
                if key in md:
                    currency = postings[0]["currency"]
                    for seller, amount in structured(r, key).items():
                        row = out.setdefault((seller, currency), [0] * width)
                        row[col] += sign * int(amount)
                        row[-1] = seq
        if kind in PAYOUT_KINDS:
            currency = postings[0]["currency"]
            moves = []
            if kind == TxKind.PAYOUT_BATCH:
                moves = [(s, _IN_FLIGHT, int(a)) for s, a in structured(r, "lines").items()]
            elif kind == TxKind.PAYOUT_RETURN:  # paid out, came back: owed again (the payable, by its posting)
                moves = [(s, _PAID_OUT, -a) for s, (a, _reason) in structured(r, "returned").items()]
            else:
                for s, (a, _ref) in structured(r, "settled").items():
                    moves += [(s, _IN_FLIGHT, -a), (s, _PAID_OUT, a)]
                moves += [(s, _IN_FLIGHT, -a) for s, (a, _r) in structured(r, "failed").items()]
            for seller, col, amount in moves:
                row = out.setdefault((seller, currency), [0] * width)
                row[col] += amount
                row[-1] = seq
        for x in postings:
            account = x["account"]
            if seller := accounts.escrow_seller_of(account):
                col = _ESCROW
            elif seller := accounts.payable_seller(account):
                col = _PAYABLE
            elif seller := accounts.reserve_seller(account):
                col = _RESERVE
            else:
                continue
            key = (seller, x["currency"])
            row = out.get(key)
            if row is None:
                row = out[key] = [0] * width
            row[col] -= x["amount"]  # liabilities: a credit increases what the seller is owed
            row[-1] = seq
    return out


def merge(into: dict, other: dict) -> dict:
    """Two folds of one batch's records in one (sums added, the later seq kept)."""
    for key, row in other.items():
        mine = into.get(key)
        if mine is None:
            into[key] = row
            continue
        for i in range(len(COLUMNS)):
            mine[i] += row[i]
        mine[-1] = max(mine[-1], row[-1])
    return into


def staged(deltas: dict[tuple[str, str], list[int]]) -> list[dict]:
    """The add_deltas calls that write these deltas, their rows formatted."""
    return [dict(table="seller_balances", keys=("seller_id", "currency"), added=COLUMNS, replaced=("as_of_seq",),
                 rows=formatted([(*k, *v) for k, v in deltas.items()]))]


def write(conn: psycopg.Connection, deltas: dict[tuple[str, str], list[int]]) -> None:
    for call in staged(deltas):
        add_deltas(conn, **call)
