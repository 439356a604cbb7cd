"""`splitbook verify`: the hash chain, the invariants over the whole store, the read models."""

import pytest

from services.adapters.journal_record import journal_record
from services.adapters.postgres import journal
from services.closing.verify import Report, check_chain, verify
from services.domain.journal import PostedTransaction, Posting, Transaction, transaction_id_for
from tests.helpers import T0, capture, publish_orders, run_pipeline

pytestmark = pytest.mark.integration


def test_verify_passes_on_an_untouched_ledger(settings, conn):
    publish_orders(settings, [capture(f"O_{i}") for i in range(1, 6)])
    run_pipeline(settings)
    report = verify(conn)
    assert report.ok, report.text()
    assert any("hash chain over 5 transactions" in c for c in report.checked)


def test_tampering_with_a_journal_row_as_superuser_is_detected_and_named(settings, conn):
    publish_orders(settings, [capture(f"O_{i}") for i in range(1, 6)])
    run_pipeline(settings)
    tid = conn.execute("SELECT transaction_id FROM journal_transactions WHERE seq = 3").fetchone()[0]
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")  # bypasses the append-only triggers
        conn.execute("UPDATE journal_postings SET account = 'seller:MALLORY:payable'"
                     " WHERE seq = 3 AND account LIKE '%%escrow:seller%%'")
    report = verify(conn)
    assert not report.ok
    assert f"first broken link at seq 3, transaction {tid}" in report.broken[0]


def test_a_changed_transaction_header_breaks_the_chain_too(settings, conn):
    publish_orders(settings, [capture(f"O_{i}") for i in range(1, 4)])
    run_pipeline(settings)
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("UPDATE journal_transactions SET occurred_at = occurred_at - interval '1 day' WHERE seq = 2")
    report = verify(conn)
    assert "first broken link at seq 2" in report.broken[0]


def test_texts_that_need_escaping_survive_the_copy_and_chain_as_they_were(conn):
    event_id = "evt\\with\ta tab\nand a newline \\N"
    txn = Transaction(transaction_id_for(event_id), "adjustment", event_id, T0,
                      (Posting("ops:bank:itau", "BRL", 150), Posting("ops:pool:pix", "BRL", -150)),
                      metadata={"note": 'a "quote", a tab\t, a backslash \\ and ção', "n": "1"})
    with conn.transaction():
        journal.lock_writer(conn)
        journal.write_rows(conn, journal.format_rows([journal.Staged(txn, bytes(32))], 1))
    back = journal.read_records(conn, 0, 10)[0]
    assert (back["event_id"], back["metadata"]) == (event_id, txn.metadata)
    assert [(x["account"], x["currency"], x["amount"]) for x in back["postings"]] == list(txn.postings)
    # the record read back is the one the domain's transaction makes (what tests fold)
    assert back == journal_record(PostedTransaction(1, back["recorded_at"], txn))
    report = Report()
    check_chain(conn, report)
    assert report.ok and report.checked == ["hash chain over 1 transactions"], report.text()
