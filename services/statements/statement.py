"""A seller's statement from the journal: opening balance, every movement (capture
share, release, withholding, reserve held, reserve released or drawn on, refund,
dispute, payout with its bank reference) and a running balance, closing balance.
Balance = escrow + on hold + payable + reserve + in flight: everything the marketplace
owes the seller and has not paid out. It ties out to seller_balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import psycopg

from services.adapters.postgres import reporting as store
from services.domain.money import format_minor
from services.statements import reports

COLUMNS = ("escrow", "on_hold", "payable", "reserve", "in_flight", "paid_out")


@dataclass
class Movement:
    seq: int
    at: datetime
    what: str
    reference: str
    delta: dict  # column -> amount

    @property
    def balance_change(self) -> int:
        return sum(v for k, v in self.delta.items() if k != "paid_out")


def movements(conn: psycopg.Connection, seller: str) -> dict[str, list[Movement]]:
    """currency -> movements, in journal order."""
    out: dict[str, list[Movement]] = {}
    for seq, at, kind, order_id, batch_id, md, accounts, currencies, amounts in store.seller_movements(conn, seller):
        cur = currencies[0]
        d = dict.fromkeys(COLUMNS, 0)
        for account, amount in zip(accounts, amounts):
            if account == f"seller:{seller}:payable":
                d["payable"] -= amount
            elif account == f"seller:{seller}:reserve":
                d["reserve"] -= amount
            elif account.endswith(f":escrow:seller:{seller}") and account.startswith("order:"):
                d["escrow"] -= amount
        hold = md.get("hold", {}).get(seller)
        if hold:
            d["on_hold"] += int(hold)
        ref = order_id or batch_id or (f"as of {md['as_of'][:10]}" if kind == "reserve_release" else "")
        rows = []
        if kind == "payout_batch":
            d["in_flight"] += int(md["lines"].get(seller, 0))
            covered = seller in md.get("covered", {})
            rows.append(Movement(seq, at, "reserve covers payable" if covered else "payout batch", ref, d))
        elif kind == "payout_confirmation":
            settled = md["settled"].get(seller)
            failed = md["failed"].get(seller)
            if settled:
                d["in_flight"] -= settled[0]
                d["paid_out"] += settled[0]
                rows.append(Movement(seq, at, "payout settled", f"{ref} bank ref {settled[1]}", d))
            elif failed:
                d["in_flight"] -= failed[0]
                rows.append(Movement(seq, at, "payout failed", f"{ref} reason {failed[1]}", d))
        elif kind == "payout_return":
            back = md["returned"].get(seller)
            if back:
                d["paid_out"] -= back[0]
                rows.append(Movement(seq, at, "payout returned", f"{ref} reason {back[1] or '?'}", d))
        elif kind == "release":
            w = int(md.get("withholding", {}).get(seller, 0))
            r = d["reserve"]
            d["payable"] += w + r
            d["reserve"] = 0
            rows.append(Movement(seq, at, "release", ref, d))
            if w:
                rows.append(Movement(seq, at, "withholding", ref, {**dict.fromkeys(COLUMNS, 0), "payable": -w}))
            if r:
                until = md["reserve"][seller][1][:10]
                rows.append(Movement(seq, at, "reserve held", f"{ref} until {until}",
                                     {**dict.fromkeys(COLUMNS, 0), "payable": -r, "reserve": r}))
        else:
            label = {"capture": "capture share", "refund": "refund (in escrow)", "reserve_release": "reserve released",
                     "refund_after_release": "refund (claw-back)", "dispute_opened": "dispute opened",
                     "dispute_resolved": f"dispute {md.get('outcome', 'resolved')}"}.get(kind, kind)
            rows.append(Movement(seq, at, label, ref, d))
        out.setdefault(cur, []).extend(r for r in rows if any(r.delta.values()))
    return out


def periods(conn: psycopg.Connection, seller: str, start: date, end: date,
            currency: str | None) -> dict[str, dict]:
    """currency -> {opening, movements (each with its running balance), closing} for the
    days start..end (UTC); what both the printed statement and the API's JSON show."""
    lo = datetime.combine(start, time(0), tzinfo=timezone.utc)
    hi = datetime.combine(end, time(0), tzinfo=timezone.utc).replace(hour=23, minute=59, second=59)
    out = {}
    for cur, moves in sorted(movements(conn, seller).items()):
        if currency and cur != currency:
            continue
        opening = balance = sum(m.balance_change for m in moves if m.at < lo)
        rows = []
        for m in (m for m in moves if lo <= m.at <= hi):
            balance += m.balance_change
            rows.append({"seq": m.seq, "at": m.at, "movement": m.what, "reference": m.reference, **m.delta,
                         "balance": balance})
        out[cur] = {"opening": opening, "movements": rows, "closing": balance}
    return out


def render(conn: psycopg.Connection, seller: str, start: date, end: date, currency: str | None,
           fmt: str = "table") -> tuple[str, dict[str, int]]:
    """Returns (text, closing balance per currency)."""
    parts, closing = [], {}
    for cur, p in periods(conn, seller, start, end, currency).items():
        rows = [("", "", "opening balance", "", *([""] * len(COLUMNS)), p["opening"])]
        rows += [(m["seq"], m["at"].date().isoformat(), m["movement"], m["reference"], *(m[c] for c in COLUMNS),
                  m["balance"]) for m in p["movements"]]
        rows.append(("", "", "closing balance", "", *([""] * len(COLUMNS)), p["closing"]))
        closing[cur] = p["closing"]
        headers = ("seq", "date", "movement", "reference", *COLUMNS, "balance")
        if fmt == "table":
            rows = [(*r[:4], *(format_minor(v, cur) if v not in ("", 0) else "" for v in r[4:-1]),
                     format_minor(r[-1], cur)) for r in rows]
            parts.append(f"Statement of {seller} in {cur}, {start} to {end}\n\n" + render_table(headers, rows))
        else:
            parts.append(render_table(headers, rows, "csv"))
    if not parts:
        return f"no movements for {seller}", closing
    return "\n\n".join(parts), closing


def render_table(headers, rows, fmt="table"):
    return reports.render(headers, rows, fmt, right=range(4, 11))
