"""`splitbook reconcile bank FILE`: a bank statement (CSV: date, reference, amount,
direction DBIT|CRDT — or ISO 20022 camt.053 XML) against the journal's movements of
money through the bank: settled payouts out of ops:pool:payouts (by the bank reference
the confirmation carried) and gateway deposits into ops:bank:* (by deposit id)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg

from services.adapters.postgres import reconciliation as store
from services.domain import accounts
from services.domain.errors import ConfigError
from services.domain.journal import TxKind
from services.reconciliation.files import csv_rows, day, utc_days
from services.reconciliation.gateway import to_minor
from services.reconciliation.matching import Expected, Reported, Result, match

TYPE_OF = {"DBIT": "payout", "CRDT": "deposit"}


@dataclass
class Statement:
    currency: str
    first_day: date
    last_day: date
    lines: list[Reported]


def parse_csv(data: bytes, currency: str) -> Statement:
    rows = csv_rows(data, {"date", "reference", "amount", "direction"}, "a bank statement CSV")
    lines, days = [], []
    for n, r in enumerate(rows, start=2):
        if r["direction"] not in TYPE_OF:
            raise ConfigError(f"line {n}: direction {r['direction']!r} is not DBIT or CRDT")
        days.append(day(r["date"], f"line {n}"))
        lines.append(Reported(n, (r["reference"], TYPE_OF[r["direction"]]),
                              {"amount": to_minor(r["amount"], currency, f"line {n}")}))
    return Statement(currency, min(days), max(days), lines)


def parse_camt053(data: bytes) -> Statement:
    try:
        return _parse_camt053(data)
    except ET.ParseError as e:
        raise ConfigError(f"not XML: {e}") from None
    except (AttributeError, KeyError, ValueError) as e:
        raise ConfigError(f"not a camt.053 statement this reader understands: {type(e).__name__}: {e}") from None


def _parse_camt053(data: bytes) -> Statement:
    root = ET.fromstring(data)
    ns = {"c": root.tag.split("}")[0].strip("{")} if root.tag.startswith("{") else {"c": ""}
    q = (lambda p: "/".join(f"c:{x}" for x in p.split("/"))) if ns["c"] else (lambda p: p)
    lines, days, currency = [], [], None
    for n, ntry in enumerate(root.iterfind(".//" + q("Ntry"), ns), start=1):
        amt = ntry.find(q("Amt"), ns)
        currency = amt.get("Ccy")
        direction = ntry.find(q("CdtDbtInd"), ns).text
        booked = day(ntry.find(q("BookgDt/Dt"), ns).text, f"entry {n}")
        ref = (ntry.findtext(q("NtryDtls/TxDtls/Refs/AcctSvcrRef"), None, ns)
               or ntry.findtext(q("NtryDtls/TxDtls/Refs/EndToEndId"), None, ns)
               or ntry.findtext(q("AcctSvcrRef"), "", ns))
        days.append(booked)
        lines.append(Reported(n, (ref, TYPE_OF[direction]), {"amount": to_minor(amt.text, currency, f"entry {n}")}))
    if not lines:
        raise ConfigError("the camt.053 statement has no entries (Ntry)")
    return Statement(currency, min(days), max(days), lines)


def expected(conn: psycopg.Connection, currency: str, first: date, last: date) -> list[Expected]:
    lo, hi = utc_days(first, last)
    out = []
    for seq, kind, event_id, md, account, cur, amount in store.bank_movements(conn, currency, lo, hi):
        if kind == TxKind.PAYOUT_CONFIRMATION and account == accounts.POOL_PAYOUTS:
            for _seller, (line_amount, ref) in md["settled"].items():
                out.append(Expected((ref, "payout"), seq, {"amount": line_amount}, cur))
        elif kind == TxKind.GATEWAY_DEPOSIT and account.startswith(accounts.BANK_PREFIX):
            # the bank credited by the gateway (CRDT), or debited by it on a negative net (DBIT)
            out.append(Expected((event_id, "deposit" if amount > 0 else "payout"), seq, {"amount": abs(amount)}, cur))
    return out


@dataclass
class Outcome:
    sha256: str
    already: bool
    currency: str = ""
    result: Result | None = None


def reconcile(conn: psycopg.Connection, path: Path, currency: str) -> Outcome:
    with store.importing(conn, path) as (data, sha, already):
        if already:
            return Outcome(sha, True)
        stmt = parse_camt053(data) if data.lstrip().startswith(b"<") else parse_csv(data, currency)
        result = match(stmt.lines, expected(conn, stmt.currency, stmt.first_day, stmt.last_day),
                       store.matched_before(conn, ["payout", "deposit"]))
        store.record(conn, "bank", sha, path.name, stmt.lines, result, stmt.currency)
    return Outcome(sha, False, stmt.currency, result)
