"""The database enforces the journal's invariants on its own (DESIGN.md 1, 5, 6)."""

import uuid
from datetime import datetime, timezone

import psycopg
import pytest

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 2, tzinfo=timezone.utc)


def insert_txn(conn, seq, event_id=None):
    conn.execute(
        "INSERT INTO journal_transactions (seq, transaction_id, kind, event_id, payload_sha256, order_id, occurred_at)"
        " VALUES (%s, %s, 'capture', %s, '\\x00', 'O_1', %s)",
        (seq, uuid.uuid4(), event_id or f"e{seq}", NOW),
    )


def insert_postings(conn, seq, amounts):
    """All postings of a transaction in ONE statement: each statement must balance."""
    conn.execute(
        "INSERT INTO journal_postings (seq, account, currency, amount_minor)"
        " SELECT %s, 'acct:' || n, 'BRL', a FROM unnest(%s::bigint[]) WITH ORDINALITY AS x(a, n)",
        (seq, list(amounts)),
    )


def post(conn, seq, amounts=(100, -100)):
    with conn.transaction():
        insert_txn(conn, seq)
        insert_postings(conn, seq, amounts)


def test_database_refuses_update_and_delete_on_the_journal(conn):
    post(conn, 1)
    for stmt in ("UPDATE journal_postings SET amount_minor = 5", "DELETE FROM journal_postings",
                 "UPDATE journal_transactions SET kind = 'x'", "DELETE FROM journal_transactions",
                 "TRUNCATE journal_postings", "TRUNCATE journal_transactions CASCADE"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(stmt)
    assert conn.execute("SELECT count(*) FROM journal_postings").fetchone()[0] == 2


def test_database_refuses_an_unbalanced_insert(conn):
    with pytest.raises(psycopg.errors.CheckViolation, match="unbalanced"):
        post(conn, 1, (100, -99))
    assert conn.execute("SELECT count(*) FROM journal_transactions").fetchone()[0] == 0


def test_database_refuses_a_transaction_without_postings(conn):
    with pytest.raises(psycopg.errors.CheckViolation, match="no postings"):
        with conn.transaction():
            insert_txn(conn, 1)


def test_database_refuses_postings_for_an_unknown_transaction(conn):
    post(conn, 1)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        insert_postings(conn, 7, (1, -1))


def test_database_refuses_a_gap_in_the_sequence(conn):
    post(conn, 1)
    with pytest.raises(psycopg.errors.CheckViolation, match="gap"):
        post(conn, 3)
    post(conn, 2)
    assert [r[0] for r in conn.execute("SELECT seq FROM journal_transactions ORDER BY seq")] == [1, 2]


def test_database_refuses_a_second_transaction_for_one_event(conn):
    post(conn, 1)
    with pytest.raises(psycopg.errors.UniqueViolation):
        with conn.transaction():
            insert_txn(conn, 2, event_id="e1")
            insert_postings(conn, 2, (1, -1))


def test_database_refuses_postings_that_balance_only_across_statements(conn):
    with pytest.raises(psycopg.errors.CheckViolation, match="unbalanced"):
        with conn.transaction():
            insert_txn(conn, 1)
            insert_postings(conn, 1, (100,))
            insert_postings(conn, 1, (-100,))


def test_database_refuses_a_zero_posting(conn):
    with pytest.raises(psycopg.errors.CheckViolation):
        post(conn, 1, (0, 100, -100))


def test_database_names_the_transaction_without_postings_among_several(conn):
    with pytest.raises(psycopg.errors.CheckViolation, match="seq 2 has no postings"):
        with conn.transaction():
            conn.execute(
                "INSERT INTO journal_transactions (seq, transaction_id, kind, event_id, payload_sha256, order_id,"
                " occurred_at) SELECT s, gen_random_uuid(), 'capture', 'e' || s, '\\x00', 'O_1', %s"
                " FROM generate_series(1, 3) s", (NOW,))
            insert_postings(conn, 1, (100, -100))
            insert_postings(conn, 3, (100, -100))
    with conn.transaction():  # and with every transaction's postings in, the same commits
        conn.execute(
            "INSERT INTO journal_transactions (seq, transaction_id, kind, event_id, payload_sha256, order_id,"
            " occurred_at) SELECT s, gen_random_uuid(), 'capture', 'e' || s, '\\x00', 'O_1', %s"
            " FROM generate_series(1, 3) s", (NOW,))
        for seq in (1, 2, 3):
            insert_postings(conn, seq, (100, -100))
    assert conn.execute("SELECT count(*) FROM journal_pending_ranges").fetchone()[0] == 0


def test_the_journal_rows_can_be_written_to_other_tables_of_its_columns(conn):
    """What the benchmark's 'PostgreSQL alone' figure does: the very rows the journal gets,
    into copies without its constraints, leaving the journal as it was."""
    from services.adapters.postgres import journal
    from services.domain.journal import Posting, Transaction, transaction_id_for

    txn = Transaction(transaction_id_for("e1"), "capture", "e1", NOW,
                      (Posting("ops:pool:pix", "BRL", 500), Posting("order:O_1:escrow:seller:S_1", "BRL", -500)),
                      order_id="O_1", metadata={"gateway": "pix"})
    rows = journal.format_rows([journal.Staged(txn, bytes(32))], 1)
    conn.execute("CREATE TEMP TABLE bare_transactions (LIKE journal_transactions INCLUDING DEFAULTS)")
    conn.execute("CREATE TEMP TABLE bare_postings (LIKE journal_postings INCLUDING DEFAULTS)")
    with conn.transaction():
        journal.copy_rows(conn, rows, "bare_transactions", "bare_postings")
    assert conn.execute("SELECT count(*) FROM journal_transactions").fetchone()[0] == 0
    with conn.transaction():
        journal.lock_writer(conn)
        journal.write_rows(conn, rows)
    heads = ("SELECT seq, transaction_id, kind, event_id, payload_sha256, order_id, occurred_at, metadata,"
             " chain_hash FROM {}")
    lines = "SELECT seq, account, currency, amount_minor FROM {} ORDER BY account"
    assert conn.execute(heads.format("bare_transactions")).fetchall() == \
        conn.execute(heads.format("journal_transactions")).fetchall()
    assert conn.execute(lines.format("bare_postings")).fetchall() == \
        conn.execute(lines.format("journal_postings")).fetchall() != []


def test_lookups_by_lists_of_ids_are_planned_for_each_batch_and_never_prepared(conn):
    """A prepared lookup keeps the generic plan PostgreSQL chose while the journal was
    small: a sequential scan comparing each row with each id (4.2 s for 5,000 ids over
    30,000 transactions, against 14 ms planned afresh: db.PREPARE_ID_LOOKUPS)."""
    from services.adapters.postgres import journal, parked, profiles

    runs = (conn.prepare_threshold or 0) + 3
    for _ in range(runs):
        journal.recorded_digests(conn, ["e1", "e2"])
        journal.order_transactions(conn, ["O_1"])
        journal.batch_transactions(conn, ["PB_1"])
        parked.for_orders(conn, ["O_1"])
        profiles.load(conn, ["S_1"])
        conn.execute("SELECT 1 WHERE 1 = ANY(%s)", ([1],))  # the probe: psycopg prepares what is run this often
    prepared = [s for (s,) in conn.execute("SELECT statement FROM pg_prepared_statements")]
    assert [s for s in prepared if "ANY" in s] == ["SELECT 1 WHERE 1 = ANY($1)"], prepared
