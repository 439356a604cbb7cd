"""`splitbook reconcile bank FILE`: a bank statement (CSV: date, reference, amount,
direction DBIT|CRDT — or ISO 20022 camt.053 XML) against the journal's movements of
money through the bank: settled payouts out of ops:pool:payouts (by the bank reference
the confirmation carried) and gateway deposits into ops:bank:* (by deposit id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import psycopg
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.adapters.postgres import reconciliation as store
from services.domain import accounts
from services.domain.errors import ConfigError
from services.domain.journal import TxKind
from services.entrypoints.settings import Settings
from services.reconciliation import camt
from services.reconciliation.files import csv_rows, day, utc_days
from services.reconciliation.gateway import to_minor
from services.reconciliation.matching import Expected, Finding, Reported, Result, match

TYPE_OF = {"DBIT": "payout", "CRDT": "deposit"}


@dataclass
class Statement:
    currency: str
    first_day: date | None
    last_day: date | None
    lines: list[Reported]  # booked movements to match against the journal
    returned: list[Finding] = field(default_factory=list)  # transfers the bank returned or reversed
    return_reasons: dict[int, str | None] = field(default_factory=dict)  # line -> the bank's reason code
    problems: list[Finding] = field(default_factory=list)  # what does not add up in the statement itself
    pending: int = 0  # entries not booked yet: listed, not matched


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


def parse_camt053(data: bytes) -> list[Statement]:
    """One Statement per account statement of the file: each transaction of a booked entry
    a line (a batch-booked entry is as many lines as it has transactions); returns and
    reversals apart, with the bank's reason; pending entries counted, not matched."""
    out, n = [], 0
    for s in camt.read(data):
        stmt = Statement(s.currency, None, None, [])
        stmt.problems = [Finding("RECON_STATEMENT_MISMATCH", p, s.id, None, currency=s.currency) for p in s.problems()]
        days = []
        for e in s.entries:
            if not e.booked_status:
                stmt.pending += 1
                continue
            if e.booked is None:
                raise ConfigError(f"statement {s.id} entry {e.number}: booked without a booking or value date")
            days.append(e.booked)
            for tx in e.transactions:
                n += 1
                if e.reversal or tx.return_reason:
                    why = f"reason {tx.return_reason}" if tx.return_reason else "a reversal (RvslInd)"
                    stmt.return_reasons[n] = tx.return_reason
                    stmt.returned.append(Finding("RECON_RETURNED", f"the bank returned {tx.reference or '(no reference)'}"
                                                 f": {why}", tx.reference, tx.amount_minor, n, currency=e.currency))
                    continue
                direction = TYPE_OF["CRDT" if e.credit else "DBIT"]
                stmt.lines.append(Reported(n, (tx.reference, direction), {"amount": tx.amount_minor}, e.currency))
        if days:
            stmt.first_day, stmt.last_day = min(days), max(days)
        out.append(stmt)
    return out


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
    pending: int = 0  # entries the bank had not booked yet
    returns: list[dict] = field(default_factory=list)  # PayoutReturned records for settled payouts that came back


def reconcile(conn: psycopg.Connection, path: Path, currency: str) -> Outcome:
    with store.importing(conn, path) as (data, sha, already):
        if already:
            return Outcome(sha, True)
        statements = parse_camt053(data) if data.lstrip().startswith(b"<") else [parse_csv(data, currency)]
        result = Result()
        matched_before = store.matched_before(conn, ["payout", "deposit"])
        for cur in sorted({r.currency or s.currency for s in statements for r in s.lines}):
            with_cur = [s for s in statements if any((r.currency or s.currency) == cur for r in s.lines)]
            lines = [r for s in with_cur for r in s.lines if (r.currency or s.currency) == cur]
            first, last = min(s.first_day for s in with_cur), max(s.last_day for s in with_cur)
            result.merge(match(lines, expected(conn, cur, first, last), matched_before), cur)
        reported = [r for s in statements for r in s.lines]
        returns = []
        for s in statements:
            for f in s.returned:
                result.findings.append(f)
                result.line_status[f.line_no] = ("exception", f.reason, None)
                reported.append(Reported(f.line_no, (f.reference, "return"), {"amount": f.amount_minor}, f.currency))
                paid = store.settled_payout(conn, f.reference) if f.reference else None
                if paid is not None and paid[2] == f.amount_minor:
                    batch_id, seller, amount, _cur = paid
                    returns.append({"event_id": f"return:{batch_id}:{seller}:{f.reference}", "batch_id": batch_id,
                                    "seller_id": seller, "amount": amount, "bank_reference": f.reference,
                                    "reason": s.return_reasons.get(f.line_no)})
            result.findings += s.problems
        store.record(conn, "bank", sha, path.name, reported, result, statements[0].currency)
    return Outcome(sha, False, statements[0].currency, result, sum(s.pending for s in statements), returns)


def publish_returns(settings: Settings, producer: Producer, registry: SchemaRegistry, returns: list[dict],
                    at: datetime) -> int:
    """A PayoutReturned for each settled payout the statement says came back: the posting
    consumer puts the money back on the seller's payable (idempotent: the same return
    in another file is the same event)."""
    return publish(producer, settings.topic(topics.BANK_CONFIRMATIONS), registry,
                   [{**r, "occurred_at": at} for r in returns], name="PayoutReturned")
