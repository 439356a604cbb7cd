"""The SQL behind what people read: seller balances, the trial balance, orders by
status, payout batches, rejections, counts, and a seller's movements."""

from __future__ import annotations

import psycopg
from psycopg import sql

from services.adapters import metadata


def seller_balances(conn: psycopg.Connection, top: int) -> list[tuple]:
    return conn.execute(
        "SELECT seller_id, currency, escrow, payable, in_flight, paid_out, withheld, on_hold, reserve, as_of_seq"
        " FROM seller_balances ORDER BY escrow DESC, seller_id LIMIT %s", (top,)
    ).fetchall()


def account_totals(conn: psycopg.Connection) -> list[tuple[str, str, int, int]]:
    """(account, currency, debits, credits) over the whole journal."""
    return [(a, c, d or 0, k or 0) for a, c, d, k in conn.execute(
        "SELECT account, currency, sum(amount_minor) FILTER (WHERE amount_minor > 0)::bigint,"
        " (-sum(amount_minor) FILTER (WHERE amount_minor < 0))::bigint FROM journal_postings GROUP BY account, currency"
    )]


def counts(conn: psycopg.Connection) -> dict[str, int]:
    q = lambda text: conn.execute(text).fetchone()[0]  # noqa: E731
    return {
        "transactions_posted": q("SELECT count(*) FROM journal_transactions"),
        "postings": q("SELECT count(*) FROM journal_postings"),
        "rejected": q("SELECT count(*) FROM exceptions WHERE source_topic IS NOT NULL"),
        "parked": q("SELECT count(*) FROM parked_events"),
        "projected_seq": q("SELECT coalesce(max(last_seq), 0) FROM projection_positions"),
    }


def orders_by_status(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT status, currency, count(*), sum(captured)::bigint, sum(escrow_seller + escrow_shipping + escrow_platform)::bigint,"
        " sum(released)::bigint, sum(refunded)::bigint, sum(disputed)::bigint FROM order_escrow GROUP BY 1, 2 ORDER BY 2, 1"
    ).fetchall()


def payout_batches(conn: psycopg.Connection, batch_ids: list[str] | None) -> list[tuple]:
    return conn.execute(
        "SELECT batch_id, batch_date, currency, status, line_count, total, settled, failed FROM payout_batches"
        " WHERE %s::text[] IS NULL OR batch_id = ANY(%s) ORDER BY batch_date, batch_id", (batch_ids, batch_ids)
    ).fetchall()


def rejections(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT reason_code, count(*), min(detail) FROM exceptions GROUP BY reason_code ORDER BY 2 DESC, 1"
    ).fetchall()


def seller_movements(conn: psycopg.Connection, seller: str) -> list[tuple]:
    """(seq, occurred_at, kind, order_id, batch_id, metadata (typed), accounts, currencies,
    amounts) of every transaction that may move something of the seller's, in journal order."""
    rows = conn.execute(
        "SELECT t.seq, t.occurred_at, t.kind, t.order_id, t.batch_id, t.metadata,"
        " array_agg(p.account ORDER BY p.ctid), array_agg(p.currency ORDER BY p.ctid), array_agg(p.amount_minor ORDER BY p.ctid)"
        " FROM journal_transactions t JOIN journal_postings p USING (seq) WHERE t.seq IN ("
        "  SELECT seq FROM journal_postings WHERE account LIKE 'seller:%%' AND account IN (%s, %s)"
        "  UNION SELECT seq FROM journal_postings WHERE account LIKE %s"
        "  UNION SELECT seq FROM journal_transactions WHERE kind IN ('dispute_resolved', 'payout_confirmation')"
        "   AND metadata::text LIKE %s)"
        " GROUP BY t.seq ORDER BY t.seq",
        (f"seller:{seller}:payable", f"seller:{seller}:reserve", f"order:%:escrow:seller:{seller}", f"%{seller}%"),
    ).fetchall()
    return [(seq, at, kind, oid, bid, metadata.decode(md), *rest) for seq, at, kind, oid, bid, md, *rest in rows]


SALES_DIMENSIONS = ("seller_id", "category", "channel", "region", "sale_date", "settlement_date")
# what sales_by gives after the dimensions
SALES_MEASURES = ("currency", "seller_orders", "gross_sales", "refunds", "net_sales", "net_platform_fees", "take_rate_bp")


def sales_by(conn: psycopg.Connection, by: list[str], lo, hi, currency: str | None) -> list[tuple]:
    """The sales_daily view rolled up by the dimensions `by` (of SALES_DIMENSIONS) and
    currency, for sales dated lo..hi (either may be None): dimensions..., SALES_MEASURES."""
    dims = [sql.Identifier(d) for d in by if d in SALES_DIMENSIONS]
    keys = sql.SQL(", ").join([*dims, sql.Identifier("currency")])
    return conn.execute(sql.SQL(
        "SELECT {keys}, sum(orders)::bigint, sum(gross_sales)::bigint, sum(refunds)::bigint, sum(net_sales)::bigint,"
        " sum(net_platform_fees)::bigint,"
        " round(10000.0 * sum(net_platform_fees) / nullif(sum(net_sales), 0), 2)"
        " FROM sales_daily WHERE (%(lo)s::date IS NULL OR sale_date >= %(lo)s) AND (%(hi)s::date IS NULL OR sale_date <= %(hi)s)"
        " AND (%(cur)s::text IS NULL OR currency = %(cur)s) GROUP BY {keys} ORDER BY {keys}").format(keys=keys),
        {"lo": lo, "hi": hi, "cur": currency}).fetchall()
