"""Events on real Kafka end up in the journal, on ledger.journal and in the read models."""

import multiprocessing
from datetime import date

import pytest

from projections.rebuild import rebuild
from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.closing.verify import Report, check_chain, verify
from services.simulators.storefront import marketplace_day
from tests.helpers import (capture, consume_all, postings_of, publish_orders, publish_raw, publish_records, refund,
                           run_pipeline, run_posting, run_projector, run_relay, table_rows)

pytestmark = pytest.mark.integration
REGISTRY = SchemaRegistry.from_dir()


def test_seed_capture_flows_from_kafka_to_journal_and_read_models(settings, conn):
    publish_orders(settings, [capture("O_8821")])
    run_pipeline(settings)

    assert postings_of(conn, "evt_capture_O_8821") == [
        ("ops:expense:mdr:card", "BRL", 600),
        ("ops:pool:card", "BRL", 19400),
        ("order:O_8821:escrow:platform", "BRL", -2000),
        ("order:O_8821:escrow:seller:S_114", "BRL", -16000),
        ("order:O_8821:escrow:shipping", "BRL", -2000),
    ]
    assert conn.execute("SELECT seller_id, currency, escrow, payable, as_of_seq FROM seller_balances").fetchall() == [
        ("S_114", "BRL", 16000, 0, 1)]
    assert conn.execute(
        "SELECT captured, escrow_seller, escrow_shipping, escrow_platform, status FROM order_escrow WHERE order_id = 'O_8821'"
    ).fetchone() == (20000, 16000, 2000, 2000, "in_escrow")
    assert conn.execute("SELECT debits, credits, balance FROM account_balances WHERE account = 'ops:pool:card'"
                        ).fetchone() == (19400, 0, 19400)
    relayed = consume_all(settings, topics.JOURNAL)
    assert len(relayed) == 1
    name, rec = REGISTRY.decode(relayed[0].value())
    assert name == "JournalTransaction" and rec["seq"] == 1 and rec["order_id"] == "O_8821"
    assert relayed[0].key() == b"O_8821"


def test_the_same_event_delivered_twice_is_posted_once(settings, conn):
    publish_orders(settings, [capture("O_1"), capture("O_2"), capture("O_1")])
    run_posting(settings)
    publish_orders(settings, [capture("O_2")])  # again, in a later batch
    totals = run_posting(settings)
    assert totals.duplicates == 1
    assert conn.execute("SELECT count(*) FROM journal_transactions").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0


def test_a_conflicting_duplicate_is_rejected_and_the_original_stands(settings, conn):
    publish_orders(settings, [capture("O_1")])
    run_posting(settings)
    publish_orders(settings, [capture("O_1", amount=20500, shipping=2500)])
    run_posting(settings)
    assert postings_of(conn, "evt_capture_O_1")[1] == ("ops:pool:card", "BRL", 19400)
    assert conn.execute("SELECT reason_code, event_id FROM exceptions").fetchall() == [
        ("DUPLICATE_CONFLICT", "evt_capture_O_1")]


def test_poison_between_good_messages_is_rejected_and_nothing_is_skipped(settings, conn):
    # All on one key, so one partition, in this order: good, five poison, good.
    good1, good2 = (REGISTRY.encode("OrderCaptured", capture(o)) for o in ("O_1", "O_2"))
    poison = [b"garbage", b"\xc3\x01" + b"\x01" * 8 + b"??",
              REGISTRY.encode("OrderCaptured", capture("O_3", amount=20001)),
              REGISTRY.encode("OrderCaptured", capture("O_4", currency="XXQ")),
              REGISTRY.encode("OrderCaptured", capture("O_5", lines=[
                  {"seller_id": "S_1", "item_id": "i", "amount": 18000, "platform_fee": 0, "currency": "USD"}]))]
    publish_raw(settings, [good1, *poison, good2])
    run_pipeline(settings)

    assert conn.execute("SELECT order_id FROM journal_transactions ORDER BY seq").fetchall() == [("O_1",), ("O_2",)]
    rows = conn.execute("SELECT reason_code, payload FROM exceptions ORDER BY reason_code").fetchall()
    assert sorted(r for r, _ in rows) == ["AMOUNT_MISMATCH", "CURRENCY_MISMATCH", "SCHEMA_INVALID",
                                         "SCHEMA_INVALID", "UNKNOWN_CURRENCY"]
    assert sorted(bytes(p) for _, p in rows) == sorted(poison)  # the original bytes, kept
    rejected = [REGISTRY.decode(m.value())[1] for m in consume_all(settings, topics.REJECTED)]
    assert sorted(r["payload"] for r in rejected) == sorted(poison)
    assert all(r["reason_code"] and r["detail"] for r in rejected)
    stored = conn.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()[0]
    assert stored == 7  # every message consumed is accounted for


def test_a_v1_producer_and_a_v2_producer_are_both_posted(settings, conn):
    v1 = capture("O_V1")
    del v1["channel"]
    for ln in v1["lines"]:
        del ln["currency"]
    publish_orders(settings, [v1], version=1)
    publish_orders(settings, [capture("O_V2", channel="app")])
    run_posting(settings)
    assert conn.execute("SELECT count(*) FROM journal_transactions").fetchone()[0] == 2


def test_read_models_rebuilt_from_the_journal_are_identical(settings, conn):


    publish_orders(settings, marketplace_day(date(2026, 11, 20), orders=300, seller_count=20, seed=3))
    run_pipeline(settings)
    live = {t: table_rows(conn, t, o) for t, o in (
        ("seller_balances", "seller_id, currency"), ("order_escrow", "order_id"),
        ("account_balances", "account, currency"))}
    assert len(live["order_escrow"]) == 300
    assert rebuild(conn) == 300
    for t, o in (("seller_balances", "seller_id, currency"), ("order_escrow", "order_id"),
                 ("account_balances", "account, currency")):
        assert table_rows(conn, t, o) == live[t], t


def test_read_models_equal_balances_recomputed_from_the_journal(settings, conn):


    publish_orders(settings, marketplace_day(date(2026, 11, 21), orders=200, seller_count=15, seed=4))
    run_pipeline(settings)
    mismatched = conn.execute(
        "SELECT count(*) FROM account_balances a FULL JOIN ("
        " SELECT account, currency, sum(amount_minor) FILTER (WHERE amount_minor > 0) AS d,"
        "  -sum(amount_minor) FILTER (WHERE amount_minor < 0) AS c FROM journal_postings GROUP BY 1, 2) j"
        " USING (account, currency) WHERE coalesce(a.debits, -1) <> coalesce(j.d, 0) OR coalesce(a.credits, -1) <> coalesce(j.c, 0)"
    ).fetchone()[0]
    assert mismatched == 0
    escrow = conn.execute(
        "SELECT s.seller_id, s.escrow, -sum(p.amount_minor) FROM seller_balances s JOIN journal_postings p"
        " ON p.account LIKE 'order:%%:escrow:seller:' || s.seller_id AND p.currency = s.currency"
        " GROUP BY s.seller_id, s.escrow HAVING s.escrow <> -sum(p.amount_minor)").fetchall()
    assert escrow == []


def test_a_backlog_posts_through_overlapping_batches_as_it_would_one_by_one(settings, conn):
    """3,000 captures and a refund for every tenth order, on two topics, in batches of up
    to 1,500: each batch prepared against the one before it while that one is still
    being written (a refund sees its capture from the batch in
    flight). A refund consumed before its capture waits (parked) and is posted once the
    capture is in."""
    records = marketplace_day(date(2026, 11, 22), orders=3000, seller_count=40, seed=11)
    refunds = [refund(r["order_id"], f"R_{i}", [(r["lines"][0]["seller_id"], 100, 10)])
               for i, r in enumerate(records[::10])]
    publish_records(settings, topics.REFUNDS, "RefundIssued", refunds[:150])  # before their captures
    publish_orders(settings, records)
    publish_records(settings, topics.REFUNDS, "RefundIssued", refunds[150:])  # after
    totals = run_posting(settings.model_copy(update={"batch_max_messages": 1500}))
    run_relay(settings)
    run_projector(settings)

    assert (totals.posted, totals.rejected, totals.duplicates) == (3300, 0, 0)
    assert not multiprocessing.active_children()  # the decoder helper is gone with the consumer
    assert conn.execute("SELECT kind, count(*) FROM journal_transactions GROUP BY kind ORDER BY kind").fetchall() == [
        ("capture", 3000), ("refund", 300)]
    assert conn.execute("SELECT count(*) FROM parked_events").fetchone()[0] == 0
    refunded = conn.execute("SELECT count(*) FROM order_escrow WHERE refunded = 100").fetchone()[0]
    assert refunded == 300
    report = verify(conn)
    assert report.ok, report.text()

    # A second backlog, for a consumer that starts from the journal: 1,200 captures again
    # (the same events: duplicates) and refunds of orders posted in the first.
    publish_orders(settings, records[:1200])
    publish_records(settings, topics.REFUNDS, "RefundIssued",
                    [refund(r["order_id"], f"R2_{i}", [(r["lines"][0]["seller_id"], 50, 5)])
                     for i, r in enumerate(records[5::10])])
    again = run_posting(settings.model_copy(update={"batch_max_messages": 1500}))
    assert (again.posted, again.duplicates, again.rejected, again.parked) == (300, 1200, 0, 0)


def test_a_batch_is_prepared_against_the_batch_still_being_written(settings, conn):
    """The writer is held at the single-writer lock while the next batch is prepared: the
    refunds can only see their orders' captures through the context carried in memory."""
    from services.adapters.postgres.journal import WRITER_LOCK_KEY
    from services.entrypoints import bootstrap
    from services.posting.batch import Inbound

    def inbound(topic, name, records, first_offset=0):
        return [Inbound(settings.topic(topic), 0, first_offset + i, REGISTRY.encode(name, r))
                for i, r in enumerate(records)]

    pc = bootstrap.posting_consumer(settings)
    captures = inbound(topics.ORDERS, "OrderCaptured", [capture(f"O_{i}") for i in range(5)])
    refunds = inbound(topics.REFUNDS, "RefundIssued",
                      [refund(f"O_{i}", f"R_{i}", [("S_114", 1000, 100)]) for i in range(5)])
    conn.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK_KEY,))
    try:
        pc.submit(pc.prepare(captures))
        second = pc.prepare(refunds)
        assert conn.execute("SELECT count(*) FROM journal_transactions").fetchone()[0] == 0  # still held
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))
    assert pc.drain()
    pc.submit(second)
    assert pc.drain()
    assert [len(second.outcome.staged), len(second.outcome.parked)] == [5, 0]
    assert conn.execute("SELECT kind, count(*) FROM journal_transactions GROUP BY kind ORDER BY kind").fetchall() == [
        ("capture", 5), ("refund", 5)]
    report = Report()
    check_chain(conn, report)  # the refunds chained onto the captures' last hash, carried in memory too
    assert report.ok, report.text()
    pc.overlap.close()
    pc.consumer.close()
