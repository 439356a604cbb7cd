"""`splitbook verify`: recompute the hash chain, check every invariant of DESIGN.md over
the whole store, and compare every read model with the journal. Names the first
broken link and each broken invariant; any finding means a non-zero exit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import psycopg

from projections import worker
from services.adapters.postgres.chain import GENESIS, link
from services.domain.journal import Posting, Transaction
from services.adapters.postgres import journal


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken

    def text(self) -> str:
        lines = [f"ok      {c}" for c in self.checked] + [f"BROKEN  {b}" for b in self.broken]
        lines.append("verify: all checks passed" if self.ok else f"verify: {len(self.broken)} problem(s) found")
        return "\n".join(lines)


def check_chain(conn: psycopg.Connection, report: Report, page: int = 20_000) -> None:
    previous, after, n = GENESIS, 0, 0
    while True:
        heads = conn.execute(
            "SELECT seq, transaction_id, kind, event_id, payload_sha256, order_id, batch_id, reverses_transaction_id,"
            " occurred_at, metadata, chain_hash FROM journal_transactions WHERE seq > %s ORDER BY seq LIMIT %s",
            (after, page)).fetchall()
        if not heads:
            break
        postings: dict[int, list[Posting]] = {}
        for seq, account, currency, amount in conn.execute(
                "SELECT seq, account, currency, amount_minor FROM journal_postings WHERE seq BETWEEN %s AND %s",
                (heads[0][0], heads[-1][0])):
            postings.setdefault(seq, []).append(Posting(account, currency, amount))
        for seq, tid, kind, eid, digest, oid, bid, rev, occurred, md, stored in heads:
            txn = Transaction(tid, kind, eid, occurred, tuple(postings.get(seq, ())), oid, bid, rev, md)
            expected = link(previous, seq, txn, bytes(digest))
            if stored is None or bytes(stored) != expected:
                report.broken.append(f"hash chain: first broken link at seq {seq}, transaction {tid} ({kind}, "
                                     f"event {eid}): its content or a link before it was changed")
                return
            previous, n = expected, n + 1
        after = heads[-1][0]
    report.checked.append(f"hash chain over {n:,} transactions")


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
    "4 per seller, payable + in flight + paid out = released - withheld - claw-backs - disputes": (
        "WITH rhs AS (SELECT split_part(p.account, ':', 2) AS seller_id, p.currency, -sum(p.amount_minor) AS expected"
        "  FROM journal_postings p JOIN journal_transactions t USING (seq) WHERE p.account LIKE 'seller:%%:payable'"
        "  AND t.kind IN ('release', 'refund_after_release', 'dispute_opened', 'dispute_resolved', 'adjustment')"
        "  GROUP BY 1, 2)"
        " SELECT s.seller_id, s.currency, s.payable + s.in_flight + s.paid_out, coalesce(r.expected, 0)"
        " FROM seller_balances s LEFT JOIN rhs r USING (seller_id, currency)"
        " WHERE s.payable + s.in_flight + s.paid_out <> coalesce(r.expected, 0) LIMIT 5"),
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


def check_invariants(conn: psycopg.Connection, report: Report) -> None:
    for name, query in INVARIANT_SQL.items():
        rows = conn.execute(query).fetchall()
        if rows:
            report.broken.append(f"invariant {name}: e.g. {rows[:3]}")
        else:
            report.checked.append(f"invariant {name}")
    guarded = conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('journal_transactions'::regclass, 'journal_postings'::regclass)"
        " AND tgname LIKE '%%append_only' AND tgenabled = 'O'").fetchone()[0]
    if guarded == 2:
        report.checked.append("invariant 6 the journal refuses UPDATE and DELETE (triggers enabled)")
    else:
        report.broken.append("invariant 6: an append-only trigger on the journal is missing or disabled")


READ_MODELS = {
    "seller_balances": ("seller_id, currency", "seller_id, currency, escrow, payable, in_flight, paid_out, withheld, on_hold, as_of_seq"),
    "order_escrow": ("order_id", "order_id, currency, captured, escrow_seller, escrow_shipping, escrow_platform,"
                                 " released, refunded, disputed, status, release_due_at, as_of_seq"),
    "account_balances": ("account, currency", "account, currency, debits, credits, balance, as_of_seq"),
    "payout_batches": ("batch_id", "*"),
    "payout_lines": ("batch_id, seller_id", "*"),
}


class Comparison(NamedTuple):
    rows: int  # rows the projection worker built
    differing: list[tuple]  # rows found in only one of built and rebuilt


def read_model_differences(conn: psycopg.Connection) -> dict[str, Comparison]:
    """Rebuild every read model from the journal inside a transaction that is rolled
    back, and compare it with what the projection worker built, table by table."""
    from psycopg import sql

    from projections.rebuild import rebuild

    def snapshot():
        return {t: conn.execute(sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
            sql.SQL(cols), sql.Identifier(t), sql.SQL(order))).fetchall() for t, (order, cols) in READ_MODELS.items()}

    class _Rollback(Exception):
        pass

    live, rebuilt = snapshot(), {}
    try:
        with conn.transaction():
            rebuild(conn)
            rebuilt.update(snapshot())
            raise _Rollback
    except _Rollback:
        pass
    out = {}
    for t in READ_MODELS:
        built, again = set(live[t]), set(rebuilt[t])
        only_live = [r for r in live[t] if r not in again]
        only_rebuilt = [r for r in rebuilt[t] if r not in built]
        out[t] = Comparison(len(live[t]), only_live + only_rebuilt)
    return out


def check_read_models(conn: psycopg.Connection, report: Report) -> None:
    """Every read model equals what a rebuild from the journal gives."""
    projected_to = worker.load_position(conn)[0]
    last = journal.last_seq(conn)
    if projected_to != last:
        report.broken.append(f"read models reflect seq {projected_to}, the journal is at {last} (projection lagging)")
        return
    for t, c in read_model_differences(conn).items():
        if not c.differing:
            report.checked.append(f"read model {t} equals the journal ({c.rows:,} rows)")
        else:
            report.broken.append(f"read model {t} differs from the journal in {len(c.differing)} rows,"
                                 f" e.g. {c.differing[:2]}")


def verify(conn: psycopg.Connection) -> Report:
    report = Report()
    check_chain(conn, report)
    check_invariants(conn, report)
    check_read_models(conn, report)
    return report
