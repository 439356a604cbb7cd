"""`splitbook close --date D`: the day's close, from the journal (UTC day).

A day is the transactions *recorded* in the journal that day, so a closed day stays
closed: an event that arrives late (a refund of last month, a parked event posted once
its capture came) lands in the day it was posted, and the report says how much of the
day's activity occurred on earlier dates.

Trial balance at the end of the day; escrow roll-forward (opening + captured -
released - refunded - disputed = closing, checked against the closing balance);
reserve roll-forward (opening + held at release - released after the period - drawn
to cover negative payables +/- adjustments = closing); payout liability (with what
reserves hold); dispute holds; fee yield by gateway; open exceptions by reason.
Printed as tables and written as JSON and CSV."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import psycopg

from services.adapters.postgres import closing as store
from services.domain.accounts import family_of, natural_balance
from services.domain.journal import TxKind
from services.domain.money import format_minor
from services.reconciliation.files import utc_days
from services.statements.reports import table


def compute(conn: psycopg.Connection, day: date) -> dict:
    lo, hi = utc_days(day, day)
    tb: dict[tuple[str, str], list[int]] = {}
    for account, cur, d, c in store.account_totals_before(conn, hi):
        row = tb.setdefault((family_of(account), cur), [0, 0, 0])
        row[0] += d
        row[1] += c
        row[2] += natural_balance(account, d, c)
    trial = [{"family": f, "currency": c, "debits": d, "credits": k, "balance": b} for (f, c), (d, k, b) in sorted(tb.items())]

    opening = store.balances_before(conn, lo, "order:%:escrow:%")
    closing = store.balances_before(conn, hi, "order:%:escrow:%")
    moves = store.moves(conn, lo, hi, "order:%:escrow:%")
    roll = []
    for cur in sorted(set(opening) | set(closing) | {c for _, c in moves}):
        captured = moves.get((TxKind.CAPTURE, cur), 0)
        released = -moves.get((TxKind.RELEASE, cur), 0)
        refunded = -moves.get((TxKind.REFUND, cur), 0)
        disputed = -(moves.get((TxKind.DISPUTE_OPENED, cur), 0) + moves.get((TxKind.DISPUTE_RESOLVED, cur), 0))
        expected = opening.get(cur, 0) + captured - released - refunded - disputed
        roll.append({"currency": cur, "opening": opening.get(cur, 0), "captured": captured, "released": released,
                     "refunded": refunded, "disputed_net": disputed, "closing": closing.get(cur, 0),
                     "ties": expected == closing.get(cur, 0)})

    reserves = _reserve_roll_forward(conn, lo, hi)

    payables = store.payables_before(conn, hi)
    in_flight = store.balances_before(conn, hi, "payout:%:in_flight")
    holds = store.balances_before(conn, hi, "order:%:dispute:hold")
    held = {r["currency"]: r["closing"] for r in reserves}
    liability = [{"currency": c, "payable_owed": payables.get(c, (0, 0))[0], "seller_debt": payables.get(c, (0, 0))[1],
                  "reserves": held.get(c, 0), "in_flight": in_flight.get(c, 0), "dispute_holds": holds.get(c, 0)}
                 for c in sorted(set(payables) | set(in_flight) | set(holds) | set(held))]

    fees = [{"gateway": g, "currency": c, "captures": n, "gross": gross, "fee": fee,
             "fee_bp": round(10_000 * fee / gross, 1) if gross else 0.0}
            for g, c, n, gross, fee in store.capture_fees(conn, lo, hi)]
    late = [{"kind": k, "currency": c, "transactions": int(n), "moved": int(v), "earliest": str(first.date())}
            for k, c, n, v, first in store.late_activity(conn, lo, hi)]
    open_exceptions = [{"reason_code": r, "count": n} for r, n in store.open_exceptions(conn)]
    return {"date": day.isoformat(), "trial_balance": trial, "escrow_roll_forward": roll,
            "reserve_roll_forward": reserves, "payout_liability": liability, "fee_yield": fees, "late_activity": late,
            "open_exceptions": open_exceptions}


def _reserve_roll_forward(conn: psycopg.Connection, lo, hi) -> list[dict]:
    """Per currency: what the sellers' reserves held at the start of the day, what releases
    put in, what reserve releases and payout batches (covering negative payables) took,
    adjustments, and what they hold at its end (checked)."""
    opening = store.balances_before(conn, lo, "seller:%:reserve")
    closing = store.balances_before(conn, hi, "seller:%:reserve")
    moved = store.moves(conn, lo, hi, "seller:%:reserve")
    out = []
    for cur in sorted(set(opening) | set(closing) | {c for _, c in moved}):
        row = {"currency": cur, "opening": opening.get(cur, 0), "held": moved.get((TxKind.RELEASE, cur), 0),
               "released": -moved.get((TxKind.RESERVE_RELEASE, cur), 0),
               "drawn": -moved.get((TxKind.PAYOUT_BATCH, cur), 0),
               "adjusted": sum(v for (k, c), v in moved.items() if c == cur and k not in (
                   TxKind.RELEASE, TxKind.RESERVE_RELEASE, TxKind.PAYOUT_BATCH)),
               "closing": closing.get(cur, 0)}
        row["ties"] = row["opening"] + row["held"] - row["released"] - row["drawn"] + row["adjusted"] == row["closing"]
        out.append(row)
    return out


def render(close: dict) -> str:
    m = format_minor
    parts = [f"Close of {close['date']} (UTC)"]
    parts.append("Trial balance at end of day\n\n" + table(
        ("account family", "currency", "debits", "credits", "balance"),
        [(r["family"], r["currency"], m(r["debits"], r["currency"]), m(r["credits"], r["currency"]),
          m(r["balance"], r["currency"])) for r in close["trial_balance"]], right=(2, 3, 4)))
    parts.append("Escrow roll-forward\n\n" + table(
        ("currency", "opening", "+ captured", "- released", "- refunded", "- disputed (net)", "closing", "ties"),
        [(r["currency"], *(m(r[k], r["currency"]) for k in ("opening", "captured", "released", "refunded",
                                                            "disputed_net", "closing")), "yes" if r["ties"] else "NO")
         for r in close["escrow_roll_forward"]], right=range(1, 7)))
    parts.append("Reserve roll-forward\n\n" + (table(
        ("currency", "opening", "+ held", "- released", "- drawn", "+ adjusted", "closing", "ties"),
        [(r["currency"], *(m(r[k], r["currency"]) for k in ("opening", "held", "released", "drawn", "adjusted",
                                                            "closing")), "yes" if r["ties"] else "NO")
         for r in close["reserve_roll_forward"]], right=range(1, 7)) if close["reserve_roll_forward"] else "(none)"))
    parts.append("Payout liability and holds\n\n" + table(
        ("currency", "payable owed", "seller debt", "reserves", "in flight", "dispute holds"),
        [(r["currency"], *(m(r[k], r["currency"]) for k in ("payable_owed", "seller_debt", "reserves", "in_flight",
                                                            "dispute_holds")))
         for r in close["payout_liability"]], right=(1, 2, 3, 4, 5)))
    parts.append("Fee yield by gateway (captures of the day)\n\n" + table(
        ("gateway", "currency", "captures", "gross", "fee", "fee bp"),
        [(r["gateway"], r["currency"], r["captures"], m(r["gross"], r["currency"]), m(r["fee"], r["currency"]),
          r["fee_bp"]) for r in close["fee_yield"]], right=(2, 3, 4, 5)))
    parts.append("Posted this day, occurred on earlier dates\n\n" + (table(
        ("kind", "currency", "transactions", "debits", "earliest"),
        [(r["kind"], r["currency"], r["transactions"], m(r["moved"], r["currency"]), r["earliest"])
         for r in close["late_activity"]], right=(2, 3)) if close["late_activity"] else "(none)"))
    parts.append("Open exceptions by reason\n\n" + table(
        ("reason_code", "count"), [(r["reason_code"], r["count"]) for r in close["open_exceptions"]], right=(1,)))
    return "\n\n".join(parts)


def write(close: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / f"close-{close['date']}.json"
    js.write_text(json.dumps(close, indent=1))
    cs = out_dir / f"close-{close['date']}.csv"
    with open(cs, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("section", "key", "currency", "metric", "value"))
        for section, rows in close.items():
            if not isinstance(rows, list):
                continue
            for r in rows:
                key = r.get("family") or r.get("gateway") or r.get("reason_code") or r.get("kind") or ""
                for metric, value in r.items():
                    if metric not in ("family", "gateway", "reason_code", "kind", "currency"):
                        w.writerow((section, key, r.get("currency", ""), metric, value))
    return js, cs
