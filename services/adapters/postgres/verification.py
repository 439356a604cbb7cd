"""The SQL of `splitbook verify`: the stored chain as written, the invariants as queries
over the whole store (each returns a few examples of what breaks it, none when it
holds), and snapshots of the read models."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
from psycopg import sql

from services.domain.journal import Posting, Transaction


def stored_chain(conn: psycopg.Connection, page: int = 20_000) -> Iterator[tuple[int, Transaction, bytes, bytes | None]]:
    """(seq, the transaction with its metadata as stored, payload digest, stored chain
    hash), in seq order."""
    after = 0
    while True:
        heads = conn.execute(
            "SELECT seq, transaction_id, kind, event_id, payload_sha256, order_id, batch_id, reverses_transaction_id,"
            " occurred_at, metadata, chain_hash FROM journal_transactions WHERE seq > %s ORDER BY seq LIMIT %s",
            (after, page)).fetchall()
        if not heads:
            return
        postings: dict[int, list[Posting]] = {}
        for seq, account, currency, amount in conn.execute(
                "SELECT seq, account, currency, amount_minor FROM journal_postings WHERE seq BETWEEN %s AND %s",
                (heads[0][0], heads[-1][0])):
            postings.setdefault(seq, []).append(Posting(account, currency, amount))
        for seq, tid, kind, eid, digest, oid, bid, rev, occurred, md, stored in heads:
            txn = Transaction(tid, kind, eid, occurred, tuple(postings.get(seq, ())), oid, bid, rev, md)
            yield seq, txn, bytes(digest), None if stored is None else bytes(stored)
        after = heads[-1][0]


INVARIANT_SQL = {
    "1 every transaction balances per currency": (
        "SELECT seq, currency, sum(amount_minor) FROM journal_postings GROUP BY seq, currency"
        " HAVING sum(amount_minor) <> 0 LIMIT 5"),
    "2 at capture, escrow = amount = pool + fee": (
        "SELECT t.seq, t.order_id FROM journal_transactions t JOIN journal_postings p USING (seq)"
        " WHERE t.kind = 'capture' GROUP BY t.seq, t.order_id"
        " HAVING -sum(p.amount_minor) FILTER (WHERE p.account LIKE 'order:%%:escrow:%%')"
        "   <> sum(p.amount_minor) FILTER (WHERE p.amount_minor > 0) LIMIT 5"),
    "3 no escrow account or dispute hold below zero": (
        "SELECT account, currency, -sum(amount_minor) FROM journal_postings WHERE account LIKE 'order:%%'"
        " GROUP BY account, currency HAVING sum(amount_minor) > 0 LIMIT 5"),
    "4 per seller, payable + reserve + in flight + paid out = released - withheld - claw-backs - disputes": (
        "WITH rhs AS (SELECT split_part(p.account, ':', 2) AS seller_id, p.currency, -sum(p.amount_minor) AS expected"
        "  FROM journal_postings p JOIN journal_transactions t USING (seq) WHERE p.account LIKE 'seller:%%'"
        "  AND (p.account LIKE 'seller:%%:payable' OR p.account LIKE 'seller:%%:reserve')"
        "  AND t.kind IN ('release', 'refund_after_release', 'dispute_opened', 'dispute_resolved', 'adjustment')"
        "  GROUP BY 1, 2)"
        " SELECT s.seller_id, s.currency, s.payable + s.reserve + s.in_flight + s.paid_out, coalesce(r.expected, 0)"
        " FROM seller_balances s LEFT JOIN rhs r USING (seller_id, currency)"
        " WHERE s.payable + s.reserve + s.in_flight + s.paid_out <> coalesce(r.expected, 0) LIMIT 5"),
    "7 money leaves an order only once: refunds and lost chargebacks <= what it captured": (
        "WITH cap AS (SELECT t.order_id, sum(p.amount_minor) FILTER (WHERE p.amount_minor > 0) AS captured"
        "  FROM journal_transactions t JOIN journal_postings p USING (seq) WHERE t.kind = 'capture' GROUP BY 1),"
        " paid AS (SELECT t.order_id, sum(CASE WHEN t.kind IN ('refund', 'refund_after_release')"
        "  AND p.account LIKE 'ops:pool:%%' THEN -p.amount_minor WHEN t.kind = 'dispute_resolved'"
        "  AND t.metadata->>'outcome' = 'lost' AND p.account LIKE 'order:%%:dispute:hold' THEN p.amount_minor"
        "  ELSE 0 END) AS out FROM journal_transactions t JOIN journal_postings p USING (seq)"
        "  WHERE t.order_id IS NOT NULL GROUP BY 1)"
        " SELECT order_id, out, captured FROM paid JOIN cap USING (order_id) WHERE out > captured LIMIT 5"),
    "5 every transaction references its source": (
        "SELECT seq FROM journal_transactions WHERE coalesce(order_id, batch_id, nullif(event_id, '')) IS NULL LIMIT 5"),
    "the sequence is gap-free": (
        "SELECT seq FROM (SELECT seq, lag(seq) OVER (ORDER BY seq) AS prev FROM journal_transactions) s"
        " WHERE seq <> coalesce(prev, 0) + 1 LIMIT 5"),
    "every transaction has postings": (
        "SELECT t.seq FROM journal_transactions t WHERE NOT EXISTS"
        " (SELECT 1 FROM journal_postings p WHERE p.seq = t.seq) LIMIT 5"),
}


def invariant_examples(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """Invariant -> up to five examples that break it (empty: it holds)."""
    return {name: conn.execute(query).fetchall() for name, query in INVARIANT_SQL.items()}


def append_only_triggers_enabled(conn: psycopg.Connection) -> int:
    """How many of the journal's two append-only triggers are enabled."""
    return conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('journal_transactions'::regclass, 'journal_postings'::regclass)"
        " AND tgname LIKE '%%append_only' AND tgenabled = 'O'").fetchone()[0]


READ_MODELS = {
    "seller_balances": ("seller_id, currency", "seller_id, currency, escrow, payable, in_flight, paid_out, withheld, on_hold, reserve,"
                                       " as_of_seq"),
    "order_escrow": ("order_id", "order_id, currency, captured, escrow_seller, escrow_shipping, escrow_platform,"
                                 " released, refunded, disputed, status, release_due_at, as_of_seq"),
    "account_balances": ("account, currency", "account, currency, debits, credits, balance, as_of_seq"),
    "payout_batches": ("batch_id", "*"),
    "payout_lines": ("batch_id, seller_id", "*"),
}


def read_model_snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    return {t: conn.execute(sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(cols), sql.Identifier(t), sql.SQL(order))).fetchall() for t, (order, cols) in READ_MODELS.items()}
