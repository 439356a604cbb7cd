"""`splitbook reconcile gateway FILE`: a gateway settlement report (CSV: date, gateway,
reference, gross, fee, net, type capture|refund|chargeback) against what the journal
posted to ops:pool:{gateway} and ops:expense:mdr:{gateway}. Matched lines are recorded,
each difference becomes an exception, and the matched net moves from the gateway pool
to the bank account it landed in (a SettleGatewayDeposit command)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import psycopg

from services.adapters.postgres import reconciliation as store
from services.domain import accounts
from services.domain.bounds import AMOUNT_MAX_MINOR
from services.domain.errors import ConfigError
from services.domain.journal import REFUND_KINDS, TxKind
from services.domain.money import exponent, is_currency
from services.reconciliation.files import csv_rows, day, utc_days
from services.reconciliation.matching import Expected, Reported, Result, match

TYPES = ("capture", "refund", "chargeback")
SIGN = {"capture": 1, "refund": -1, "chargeback": -1}


def to_minor(text: str, currency: str, where: str) -> int:
    if not is_currency(currency or ""):
        raise ConfigError(f"{where}: {currency!r} is not an ISO 4217 currency")
    try:
        value = Decimal(text.strip()) * (10 ** exponent(currency))
    except (InvalidOperation, AttributeError):
        raise ConfigError(f"{where}: {text!r} is not an amount") from None
    if not value.is_finite() or abs(value) > AMOUNT_MAX_MINOR:
        raise ConfigError(f"{where}: {text!r} is not an amount the ledger accepts (at most {AMOUNT_MAX_MINOR:,} minor units)")
    if value != value.to_integral_value():
        raise ConfigError(f"{where}: {text!r} has more decimals than {currency} allows")
    return int(value)


@dataclass
class Report:
    gateway: str
    first_day: date
    last_day: date
    lines: list[Reported]
    currency: str = ""


def parse(data: bytes, currencies_of) -> Report:
    """currencies_of(gateway) -> the currencies the ledger captured through it. A report
    is for one gateway and one currency: its `currency` column says which, and may be left
    out only for a gateway that settles in one currency."""
    rows = csv_rows(data, {"date", "gateway", "reference", "gross", "fee", "net", "type"}, "a gateway report",
                    optional=frozenset({"fee"}))
    gateways = {r["gateway"] for r in rows}
    if len(gateways) != 1:
        raise ConfigError(f"one gateway per report, found {sorted(gateways)}")
    gateway = gateways.pop()
    known = currencies_of(gateway)
    stated = {r.get("currency") or "" for r in rows}
    if stated != {""}:
        if len(stated) != 1 or "" in stated:
            raise ConfigError(f"one currency per report, found {sorted(stated)}")
        currency = stated.pop()
        if currency not in known:
            raise ConfigError(f"the ledger has no captures through gateway {gateway!r} in {currency}")
    elif len(known) != 1:
        raise ConfigError(f"gateway {gateway!r} settles in {', '.join(known)}: the report needs a currency column")
    else:
        currency = known[0]
    lines, days = [], []
    for n, r in enumerate(rows, start=2):
        if r["type"] not in TYPES:
            raise ConfigError(f"line {n}: type {r['type']!r} is not one of {', '.join(TYPES)}")
        days.append(day(r["date"], f"line {n}"))
        lines.append(Reported(n, (r["reference"], r["type"]), {
            k: to_minor(r[k], currency, f"line {n}") for k in ("gross", "fee", "net")}))
    return Report(gateway, min(days), max(days), lines, currency)


def expected(conn: psycopg.Connection, gateway: str, currency: str, first: date, last: date) -> list[Expected]:
    lo, hi = utc_days(first, last)
    pool, mdr, cb = accounts.pool(gateway), accounts.mdr_expense(gateway), accounts.chargeback_expense(gateway)
    rows = store.gateway_movements(conn, gateway, currency, lo, hi)
    by_seq: dict[int, dict] = {}
    for seq, kind, order_id, outcome, account, _currency, amount in rows:
        e = by_seq.setdefault(seq, {"kind": kind, "order": order_id, "outcome": outcome, "currency": currency,
                                    "pool": 0, "mdr": 0, "cb": 0})
        if account == pool:
            e["pool"] += amount
        elif account == mdr:
            e["mdr"] += amount
        elif account == cb:
            e["cb"] += amount
    out = []
    for seq, e in by_seq.items():
        if e["kind"] == TxKind.CAPTURE:
            amounts = {"gross": e["pool"] + e["mdr"], "fee": e["mdr"], "net": e["pool"]}
            line_type = "capture"
        elif e["kind"] in REFUND_KINDS:
            amounts, line_type = {"gross": -e["pool"], "fee": 0, "net": -e["pool"]}, "refund"
        elif e["outcome"] == "lost":
            amounts = {"gross": -e["pool"] - e["cb"], "fee": e["cb"], "net": -e["pool"]}
            line_type = "chargeback"
        else:
            continue
        out.append(Expected((e["order"], line_type), seq, amounts, e["currency"], e["order"]))
    return out


def currencies_of(conn: psycopg.Connection):
    """gateway -> the currencies its pool holds money in (from account_balances; the first
    capture's currency while the read models have nothing yet)."""
    def lookup(gateway: str) -> list[str]:
        known = store.account_currencies(conn, accounts.pool(gateway))
        if not known:
            first = store.first_capture_currency(conn, gateway)
            known = [first] if first else []
        if not known:
            raise ConfigError(f"the ledger has no captures through gateway {gateway!r}")
        return known
    return lookup


@dataclass
class Outcome:
    sha256: str
    already: bool
    gateway: str = ""
    currency: str = ""
    result: Result | None = None
    deposit_minor: int = 0


def reconcile(conn: psycopg.Connection, path: Path) -> Outcome:
    with store.importing(conn, path) as (data, sha, already):
        if already:
            return Outcome(sha, True)
        report = parse(data, currencies_of(conn))
        currency = report.currency
        result = match(report.lines, expected(conn, report.gateway, currency, report.first_day, report.last_day),
                       store.matched_before(conn, list(TYPES)))
        store.record(conn, "gateway", sha, path.name, report.lines, result, currency)
    deposit = sum(SIGN[r.key[1]] * r.amounts["net"] for r, _ in result.matched)
    return Outcome(sha, False, report.gateway, currency, result, deposit)
