"""The event store's journal: append a batch with COPY, read it back in seq order."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from services.domain.chain import GENESIS, link
from services.domain.journal import PostedTransaction, Posting, Transaction

WRITER_LOCK_KEY = 0x5B1171  # the single-writer lock, held for each batch's transaction


@dataclass(frozen=True, slots=True)
class Staged:
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


def posted_digests(conn: psycopg.Connection, event_ids: Sequence[str]) -> dict[str, bytes]:
    """event_id -> payload digest, for those of event_ids already in the journal."""
    if not event_ids:
        return {}
    rows = conn.execute(
        "SELECT event_id, payload_sha256 FROM journal_transactions WHERE event_id = ANY(%s)",
        (list(event_ids),),
    )
    return {eid: bytes(d) for eid, d in rows}


_CHUNK = 500  # transaction rows per COPY write
_METADATA = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str | None) -> str:
    """A field in COPY's text format: NULL as \\N, specials backslash-escaped."""
    if value is None:
        return "\\N"
    return value.translate(_ESCAPES) if _SPECIAL.search(value) else value


def append(conn: psycopg.Connection, staged: Sequence[Staged], first_seq: int, previous_hash: bytes = GENESIS) -> None:
    """COPY the transactions, then their postings (each in one statement: the database
    checks that every statement's postings balance). Must run inside a transaction that
    holds the writer lock; (first_seq - 1, previous_hash) must be tip() (the database
    checks the sequence; `splitbook verify` checks the chain).

    Rows are formatted here as COPY text and sent in chunks through a queued writer (a
    background thread), so PostgreSQL takes one chunk while Python hashes and formats
    the next: this is the hot path."""
    if not staged:
        return
    posting_lines: list[str] = []
    with conn.cursor() as cur:
        with cur.copy(
            "COPY journal_transactions (seq, transaction_id, kind, event_id, payload_sha256,"
            " order_id, batch_id, reverses_transaction_id, occurred_at, metadata, chain_hash) FROM STDIN",
            writer=QueuedLibpqWriter(cur),
        ) as cp:
            seq, chain, chunk = first_seq, previous_hash, []
            for s in staged:
                t = s.transaction
                chain = link(chain, seq, t, s.payload_sha256)
                chunk.append(
                    f"{seq}\t{t.transaction_id}\t{_text(t.kind)}\t{_text(t.event_id)}\t\\\\x{s.payload_sha256.hex()}\t"
                    f"{_text(t.order_id)}\t{_text(t.batch_id)}\t"
                    f"{t.reverses_transaction_id if t.reverses_transaction_id else chr(92) + 'N'}\t"
                    f"{t.occurred_at.isoformat()}\t{_text(_METADATA(t.metadata))}\t\\\\x{chain.hex()}\n"
                )
                for account, currency, amount in t.postings:
                    posting_lines.append(f"{seq}\t{_text(account)}\t{_text(currency)}\t{amount}\n")
                seq += 1
                if len(chunk) == _CHUNK:
                    cp.write("".join(chunk))
                    chunk.clear()
            if chunk:
                cp.write("".join(chunk))
        with cur.copy("COPY journal_postings (seq, account, currency, amount_minor) FROM STDIN",
                      writer=QueuedLibpqWriter(cur)) as cp:
            for i in range(0, len(posting_lines), _CHUNK * 5):
                cp.write("".join(posting_lines[i:i + _CHUNK * 5]))


def read_range(conn: psycopg.Connection, after_seq: int, limit: int) -> list[PostedTransaction]:
    """Up to `limit` transactions with seq > after_seq, in seq order, with postings."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT seq, transaction_id, kind, event_id, order_id, batch_id, reverses_transaction_id,"
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
        postings: dict[int, list[Posting]] = {}
        for seq, account, currency, amount in cur:
            postings.setdefault(seq, []).append(Posting(account, currency, amount))
    return [
        PostedTransaction(
            seq=seq,
            recorded_at=recorded_at,
            transaction=Transaction(
                transaction_id=tid, kind=kind, event_id=event_id, occurred_at=occurred_at,
                postings=tuple(postings.get(seq, ())), order_id=order_id, batch_id=batch_id,
                reverses_transaction_id=rev, metadata=metadata,
            ),
        )
        for seq, tid, kind, event_id, order_id, batch_id, rev, occurred_at, recorded_at, metadata in heads
    ]


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


def _transactions_by(conn: psycopg.Connection, column: str, ids: Sequence[str]) -> dict[str, list[Transaction]]:
    if not ids:
        return {}
    out: dict[str, list[Transaction]] = {}
    current = None
    key = 4 if column == "order_id" else 7
    rows = conn.execute(
        sql.SQL("SELECT t.seq, t.transaction_id, t.kind, t.event_id, t.order_id, t.occurred_at, t.metadata,"
                " t.batch_id, p.account, p.currency, p.amount_minor FROM journal_transactions t"
                " JOIN journal_postings p USING (seq) WHERE {} = ANY(%s) ORDER BY t.seq, p.ctid"
                ).format(sql.Identifier("t", column)),
        (list(ids),),
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
    return Transaction(transaction_id=tid, kind=kind, event_id=event_id, occurred_at=occurred_at,
                       postings=tuple(postings), order_id=order_id, batch_id=batch_id, metadata=metadata)


def iter_all(conn: psycopg.Connection, page: int = 10_000) -> Iterator[list[PostedTransaction]]:
    after = 0
    while True:
        chunk = read_range(conn, after, page)
        if not chunk:
            return
        yield chunk
        after = chunk[-1].seq


def transaction_uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(value)


