"""What people read: aligned tables with formatted money. Machines get CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

import psycopg

from services.adapters.postgres import reporting as store
from services.domain.accounts import family_of, natural_balance
from services.domain.money import format_minor


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(str(c))) for w, c in zip(widths, r)]

    def fmt(r):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers), rule, *(fmt(r) for r in rows)])


def render(headers: Sequence[str], rows: Sequence[Sequence], fmt: str, right: Sequence[int] = ()) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(headers, r)) for r in rows], default=str, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(headers)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    return table(headers, [["" if c is None else c for c in r] for r in rows], right)


SELLER_COLUMNS = ("seller_id", "currency", "escrow", "payable", "in_flight", "paid_out", "withheld", "on_hold", "reserve",
                  "as_of_seq")


def seller_balances(conn: psycopg.Connection, top: int, fmt: str = "table") -> str:
    rows = store.seller_balances(conn, top)
    if fmt == "table":
        rows = [(s, c, *(format_minor(v, c) for v in vals), seq) for s, c, *vals, seq in rows]
    return render(SELLER_COLUMNS, rows, fmt, right=range(2, 10))


def sales_dimensions(text: str) -> list[str] | None:
    """'category,seller' -> ['category', 'seller_id'] (the sales views' columns); None when
    a name is not a dimension or none is given."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    dims = [n if n in store.SALES_DIMENSIONS else f"{n}_id" for n in names]
    if not dims or any(d not in store.SALES_DIMENSIONS for d in dims):
        return None
    return list(dict.fromkeys(dims))


DIMENSION_NAMES = ", ".join(d.removesuffix("_id") for d in store.SALES_DIMENSIONS)


def sales_headers(by: list[str]) -> list[str]:
    """The columns of a sales roll-up by these dimensions, as people read them."""
    return [c.removesuffix("_id").replace("_", " ") for c in (*by, *store.SALES_MEASURES)]


def sales(conn: psycopg.Connection, by: list[str], start, end, currency: str | None, fmt: str = "table") -> str:
    """The sales views (migration 0022) rolled up by the dimensions asked for."""
    rows = store.sales_by(conn, by, start, end, currency)
    headers = sales_headers(by)
    n = len(by)
    if fmt == "table":
        rows = [(*("(none)" if v is None else v for v in r[:n]), r[n], r[n + 1],
                 *(format_minor(v, r[n]) for v in r[n + 2:n + 6]), "" if r[-1] is None else r[-1]) for r in rows]
    if not rows:
        return "no sales in those dates"
    return render(headers, rows, fmt, right=range(n + 1, n + 7))


def trial_balance(conn: psycopg.Connection, fmt: str = "table") -> tuple[str, bool]:
    """Per account family and currency, straight from the journal. Returns (text, balanced)."""
    families: dict[tuple[str, str], list[int]] = {}
    for account, currency, debits, credits in store.account_totals(conn):
        f = families.setdefault((family_of(account), currency), [0, 0, 0, 0])
        f[0] += debits
        f[1] += credits
        f[2] += natural_balance(account, debits, credits)
        f[3] += 1
    out_rows = []
    totals: dict[str, list[int]] = {}
    for (family, currency), (d, c, bal, n) in sorted(families.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        out_rows.append((family, currency, n, d, c, bal))
        t = totals.setdefault(currency, [0, 0])
        t[0] += d
        t[1] += c
    balanced = all(d == c for d, c in totals.values())
    for currency, (d, c) in sorted(totals.items()):
        out_rows.append(("TOTAL (debits = credits)" if d == c else "TOTAL (UNBALANCED)", currency, "", d, c, ""))
    headers = ("account family", "currency", "accounts", "debits", "credits", "balance")
    if fmt == "table":
        out_rows = [(f, cur, n, format_minor(d, cur), format_minor(c, cur),
                     format_minor(b, cur) if b != "" else "") for f, cur, n, d, c, b in out_rows]
    return render(headers, out_rows, fmt, right=(2, 3, 4, 5)), balanced


def counts(conn: psycopg.Connection) -> dict[str, int]:
    return store.counts(conn)


def orders_by_status(conn: psycopg.Connection, fmt: str = "table") -> str:
    rows = store.orders_by_status(conn)
    headers = ("status", "currency", "orders", "captured", "in escrow", "released", "refunded", "in dispute")
    if fmt == "table":
        rows = [(st, c, f"{n:,}", *(format_minor(v, c) for v in vals)) for st, c, n, *vals in rows]
    return render(headers, rows, fmt, right=range(2, 8))


def payout_batches(conn: psycopg.Connection, batch_ids: list[str] | None = None, fmt: str = "table") -> str:
    rows = store.payout_batches(conn, batch_ids)
    headers = ("batch_id", "date", "currency", "status", "lines", "total", "settled", "failed")
    if fmt == "table":
        rows = [(b, d, c, st, n, *(format_minor(v, c) for v in vals)) for b, d, c, st, n, *vals in rows]
    return render(headers, rows, fmt, right=(4, 5, 6, 7))


def rejections(conn: psycopg.Connection, fmt: str = "table") -> str:
    rows = store.rejections(conn)
    return render(("reason_code", "count", "example"), [(r, n, d[:70]) for r, n, d in rows], fmt, right=(1,))
