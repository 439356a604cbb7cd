"""The event store's journal: append a batch with COPY, read it back in seq order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import psycopg
from psycopg import sql

from services.adapters.journal_record import JournalRecord
from services.adapters.metadata import decode
from services.adapters.postgres import db
from services.adapters.postgres.chain import GENESIS
from services.adapters.postgres.chain import head as chain_head
from services.adapters.postgres.chain import link_lines, posting_lines
from services.domain.journal import Posting, Transaction, TxKind
from services.domain.reserve_state import ReserveState

WRITER_LOCK_KEY = 0x5B1171  # the single-writer lock, held for each batch's transaction


class Staged(NamedTuple):
    """A transaction ready to append, with the digest of the event it came from."""

    transaction: Transaction
    payload_sha256: bytes


def lock_writer(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK_KEY,))


def last_seq(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM journal_transactions").fetchone()[0]


def tip(conn: psycopg.Connection) -> tuple[int, bytes]:
    """(last seq, its chain hash): where the next append continues."""
    row = conn.execute("SELECT seq, chain_hash FROM journal_transactions ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return 0, GENESIS
    return row[0], bytes(row[1]) if row[1] is not None else GENESIS


def has_transaction(conn: psycopg.Connection, transaction_id: str) -> bool:
    return conn.execute("SELECT 1 FROM journal_transactions WHERE transaction_id = %s",
                        (transaction_id,)).fetchone() is not None


def notify_appended(conn: psycopg.Connection) -> None:
    """Wake the relay (LISTEN journal_appended); delivered when the transaction commits."""
    conn.execute("NOTIFY journal_appended")


def recorded_digests(conn: psycopg.Connection, event_ids: Sequence[str]) -> dict[str, bytes]:
    """event_id -> payload digest, for those of event_ids the ledger recorded: a journal
    transaction or a seller profile version (an event_id is unique across every input).
    (Id lists go as binary arrays, %b: cheaper for psycopg to send than text arrays. Never
    prepared: see db.PREPARE_ID_LOOKUPS.)"""
    if not event_ids:
        return {}
    ids = list(event_ids)
    rows = conn.execute(
        "SELECT event_id, payload_sha256 FROM journal_transactions WHERE event_id = ANY(%b)"
        " UNION ALL SELECT event_id, payload_sha256 FROM seller_profile_versions WHERE event_id = ANY(%b)",
        (ids, ids), prepare=db.PREPARE_ID_LOOKUPS,
    )
    return {eid: bytes(d) for eid, d in rows}


_CHUNK = 2000  # transaction rows per piece of COPY text


@dataclass(frozen=True, slots=True)
class Rows:
    """A batch's journal rows as COPY text, chained onto (first_seq - 1, previous_hash)."""

    first_seq: int
    previous_hash: bytes
    last_seq: int
    last_hash: bytes
    transactions: list[str]  # chunks of COPY text for journal_transactions
    postings: list[str]  # chunks of COPY text for journal_postings
    postings_count: int


def format_rows(staged: Sequence[Staged], first_seq: int, previous_hash: bytes = GENESIS) -> Rows:
    """Number, chain and format the transactions as COPY text. Pure CPU, no I/O: the
    posting consumer does this for the next batch while the database takes this one.
    The chain's canonical lines are COPY text already (services/domain/chain.py), so
    each row is formatted once, for the hash and for the database."""
    txn_chunks: list[str] = []
    posting_chunks: list[str] = []
    seq, chain, rows, postings, count = first_seq, previous_hash, [], [], 0
    for s in staged:
        txn = s.transaction
        link = getattr(txn, "link", None)
        if link is not None:  # a capture the compiled lane staged: its rows, formatted there
            row, lines_text, chain = link(chain, seq)
            rows.append(row)
            postings.append(lines_text)
            count += txn.postings_count
        else:
            head = chain_head(seq, txn, s.payload_sha256)
            lines = posting_lines(seq, txn)
            chain = link_lines(chain, head, lines)
            rows.append(f"{head}\t\\\\x{chain.hex()}\n")
            postings += lines
            count += len(lines)
        seq += 1
        if len(rows) == _CHUNK:
            txn_chunks.append("".join(rows))
            posting_chunks.append("".join(postings))
            rows, postings = [], []
    if rows:
        txn_chunks.append("".join(rows))
        posting_chunks.append("".join(postings))
    return Rows(first_seq, previous_hash, seq - 1, chain, txn_chunks, posting_chunks, count)


def write_rows(conn: psycopg.Connection, rows: Rows) -> None:
    """COPY the transactions, then their postings (each in one statement: the database
    checks that every statement's postings balance). Must run inside a transaction that
    holds the writer lock, with (rows.first_seq - 1, rows.previous_hash) the tip (the
    database checks the sequence; `splitbook verify` checks the chain)."""
    if not rows.transactions:
        return
    copy_rows(conn, rows, "journal_transactions", "journal_postings")


def copy_rows(conn: psycopg.Connection, rows: Rows, transactions_table: str, postings_table: str) -> None:
    """COPY formatted rows into tables of the journal's columns."""
    transactions, postings = sql.Identifier(transactions_table), sql.Identifier(postings_table)
    with conn.cursor() as cur:
        with cur.copy(sql.SQL(
            "COPY {} (seq, transaction_id, kind, event_id, payload_sha256,"
            " order_id, batch_id, reverses_transaction_id, occurred_at, metadata, chain_hash) FROM STDIN"
        ).format(transactions)) as cp:
            for chunk in rows.transactions:
                cp.write(chunk)
        with cur.copy(sql.SQL("COPY {} (seq, account, currency, amount_minor) FROM STDIN").format(postings)) as cp:
            for chunk in rows.postings:
                cp.write(chunk)


def read_records(conn: psycopg.Connection, after_seq: int, limit: int) -> list[JournalRecord]:
    """Up to `limit` transactions with seq > after_seq, in seq order, with postings, as
    JournalTransaction records (what the relay publishes and the read models fold)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT seq, transaction_id::text, kind, event_id, order_id, batch_id, reverses_transaction_id::text,"
            " occurred_at, recorded_at, metadata FROM journal_transactions"
            " WHERE seq > %s ORDER BY seq LIMIT %s",
            (after_seq, limit),
        )
        heads = cur.fetchall()
        if not heads:
            return []
        cur.execute(
            "SELECT seq, account, currency, amount_minor FROM journal_postings"
            " WHERE seq BETWEEN %s AND %s ORDER BY seq, ctid",
            (heads[0][0], heads[-1][0]),
        )
        rows = cur.fetchall()
    out: list[JournalRecord] = []
    i, n = 0, len(rows)
    for seq, tid, kind, event_id, order_id, batch_id, rev, occurred_at, recorded_at, stored in heads:
        postings = []
        while i < n and rows[i][0] == seq:
            _, account, currency, amount = rows[i]
            postings.append({"account": account, "currency": currency, "amount": amount})
            i += 1
        out.append({"event_id": event_id, "occurred_at": occurred_at, "seq": seq, "transaction_id": tid, "kind": kind,
                    "order_id": order_id, "batch_id": batch_id, "reverses_transaction_id": rev,
                    "recorded_at": recorded_at, "metadata": stored, "postings": postings})
    return out


def order_transactions(conn: psycopg.Connection, order_ids: Sequence[str]) -> dict[str, list[Transaction]]:
    """Every posted transaction of these orders, in journal order, with postings."""
    return _transactions_by(conn, "order_id", order_ids)


def batch_transactions(conn: psycopg.Connection, batch_ids: Sequence[str]) -> dict[str, list[Transaction]]:
    """Every posted transaction of these payout batches, in journal order, with postings."""
    return _transactions_by(conn, "batch_id", batch_ids)


def payables(conn: psycopg.Connection, currency: str) -> dict[str, int]:
    """seller_id -> payable balance (credits - debits) in currency, from the journal."""
    rows = conn.execute(
        "SELECT account, -sum(amount_minor) FROM journal_postings WHERE account LIKE 'seller:%%'"
        " AND account LIKE 'seller:%%:payable' AND currency = %s GROUP BY account", (currency,))
    return {account.split(":")[1]: int(balance) for account, balance in rows}


def reserve_currencies(conn: psycopg.Connection) -> list[str]:
    """The currencies some seller's reserve has moved in."""
    return [c for (c,) in conn.execute(
        "SELECT DISTINCT currency FROM journal_postings WHERE account LIKE 'seller:%%'"
        " AND account LIKE 'seller:%%:reserve' ORDER BY 1")]


def reserves(conn: psycopg.Connection, currency: str, as_of: datetime | None) -> dict[str, ReserveState]:
    """seller_id -> their reserve in currency: its balance, and the amounts releases put in
    it whose period ends after as_of (all of them when as_of is None;
    journal_release_reserves indexes those releases)."""
    out: dict[str, ReserveState] = {}
    for account, balance in conn.execute(
            "SELECT account, -sum(amount_minor) FROM journal_postings WHERE account LIKE 'seller:%%'"
            " AND account LIKE 'seller:%%:reserve' AND currency = %s GROUP BY account", (currency,)):
        seller = account.split(":")[1]
        out[seller] = ReserveState(seller, currency, int(balance))
    for seller, amount, until in conn.execute(
            "SELECT r.key, (r.value->>0)::bigint, (r.value->>1)::timestamptz FROM journal_transactions t"
            " CROSS JOIN LATERAL jsonb_each((t.metadata->>'reserve')::jsonb) r"
            " WHERE t.kind = 'release' AND t.metadata ? 'reserve'"
            " AND (%s::timestamptz IS NULL OR (r.value->>1)::timestamptz > %s)"
            " AND EXISTS (SELECT 1 FROM journal_postings p WHERE p.seq = t.seq AND p.currency = %s)"
            " ORDER BY t.seq", (as_of, as_of, currency)):
        out.setdefault(seller, ReserveState(seller, currency)).holds.append((until, int(amount)))
    return out


def _transactions_by(conn: psycopg.Connection, column: str, ids: Sequence[str]) -> dict[str, list[Transaction]]:
    if not ids:
        return {}
    out: dict[str, list[Transaction]] = {}
    current = None
    key = 4 if column == "order_id" else 7
    rows = conn.execute(
        sql.SQL("SELECT t.seq, t.transaction_id, t.kind, t.event_id, t.order_id, t.occurred_at, t.metadata,"
                " t.batch_id, p.account, p.currency, p.amount_minor FROM journal_transactions t"
                " JOIN journal_postings p USING (seq) WHERE {} = ANY(%b) ORDER BY t.seq, p.ctid"
                ).format(sql.Identifier("t", column)),
        (list(ids),), prepare=db.PREPARE_ID_LOOKUPS,
    )
    postings: list[Posting] = []
    for *head, account, currency, amount in rows:
        if current is None or current[0] != head[0]:
            if current is not None:
                out.setdefault(current[key], []).append(_txn(current, postings))
            current, postings = head, []
        postings.append(Posting(account, currency, amount))
    if current is not None:
        out.setdefault(current[key], []).append(_txn(current, postings))
    return out


def _txn(head: list, postings: list[Posting]) -> Transaction:
    _seq, tid, kind, event_id, order_id, occurred_at, metadata, batch_id = head
    return Transaction(transaction_id=tid, kind=TxKind(kind), event_id=event_id, occurred_at=occurred_at,
                       postings=tuple(postings), order_id=order_id, batch_id=batch_id, metadata=decode(metadata))


def iter_records(conn: psycopg.Connection, page: int = 10_000) -> Iterator[list[JournalRecord]]:
    """The whole journal as JournalTransaction records, a page at a time."""
    after = 0
    while True:
        chunk = read_records(conn, after, page)
        if not chunk:
            return
        yield chunk
        after = chunk[-1]["seq"]


