"""The order's life on real Kafka and PostgreSQL: parking across restarts, release by
the scheduler, refunds and disputes, and the read models that follow."""

import time
from datetime import timedelta

import pytest

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.release import scheduler
from tests.helpers import T0, capture, dispute_opened, dispute_resolved, postings_of
from tests.helpers import producer as kafka_producer
from tests.helpers import profile, publish_orders, publish_records, refund, run_pipeline, run_posting

pytestmark = pytest.mark.integration
REGISTRY = SchemaRegistry.from_dir()


def release_as_of(settings, conn, as_of) -> int:
    producer = kafka_producer(settings)
    return scheduler.run_once(settings, conn, producer, REGISTRY, as_of)


def test_refund_and_dispute_before_their_capture_park_and_post_after_it_across_a_restart(settings, conn):
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_8821", "R1", [("S_114", 9000, 1000)])])
    publish_records(settings, topics.DISPUTES, "DisputeResolved", [dispute_resolved("O_8821", "D1", "won")])
    publish_records(settings, topics.DISPUTES, "DisputeOpened", [dispute_opened("O_8821", "D1", 5000)])
    totals = run_posting(settings)
    assert totals.parked == 3 and totals.posted == 0
    assert conn.execute("SELECT count(*) FROM parked_events").fetchone()[0] == 3

    publish_orders(settings, [capture("O_8821")])
    totals = run_posting(settings)  # a new consumer: the parked events come from the table
    assert totals.posted == 4 and totals.unparked == 3
    assert conn.execute("SELECT count(*) FROM parked_events").fetchone()[0] == 0
    kinds = [r[0] for r in conn.execute("SELECT kind FROM journal_transactions ORDER BY seq")]
    assert kinds[0] == "capture" and sorted(kinds[1:]) == ["dispute_opened", "dispute_resolved", "refund"]
    assert kinds.index("dispute_opened") < kinds.index("dispute_resolved")
    rev = conn.execute("SELECT r.reverses_transaction_id = c.transaction_id FROM journal_transactions r,"
                       " journal_transactions c WHERE r.kind = 'refund' AND c.kind = 'capture'").fetchone()[0]
    assert rev


def test_an_event_parked_too_long_becomes_an_unknown_order_exception(settings, conn):
    quick = settings.model_copy(update={"park_timeout_s": 0.5})
    record = refund("O_NEVER", "R9", [("S_1", 100, 0)])
    publish_records(quick, topics.REFUNDS, "RefundIssued", [record])
    run_posting(quick)
    assert conn.execute("SELECT count(*) FROM parked_events").fetchone()[0] == 1
    time.sleep(0.6)
    run_posting(quick)
    assert conn.execute("SELECT count(*) FROM parked_events").fetchone()[0] == 0
    reason, payload = conn.execute("SELECT reason_code, payload FROM exceptions").fetchone()
    assert reason == "UNKNOWN_ORDER" and bytes(payload) == REGISTRY.encode("RefundIssued", record)


def test_scheduler_releases_due_orders_once_with_the_profile_in_force(settings, conn):
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [
        profile("S_114", 100, at=T0 - timedelta(days=90), n=1),
        profile("S_114", 250, at=T0 + timedelta(days=10), n=2),  # in force at release time
    ])
    publish_orders(settings, [capture("O_8821"), capture("O_2")])
    publish_records(settings, topics.DISPUTES, "DisputeOpened", [dispute_opened("O_2", "D2", 1000)])
    run_pipeline(settings)

    assert release_as_of(settings, conn, T0 + timedelta(days=29)) == 0
    assert release_as_of(settings, conn, T0 + timedelta(days=31)) == 1  # O_2 is disputed
    run_pipeline(settings)
    assert release_as_of(settings, conn, T0 + timedelta(days=32)) == 0  # released: not due any more
    # a repeated command (the read model lagging) is a no-op
    publish_records(settings, topics.COMMANDS, "ReleaseEscrow", [scheduler.release_command("O_8821", T0 + timedelta(days=33))])
    run_pipeline(settings)

    assert postings_of(conn, "release:O_8821") == [
        ("ops:payable:shipping", "BRL", -2000), ("ops:revenue:takerate", "BRL", -2000),
        ("ops:tax:withholding", "BRL", -400),
        ("order:O_8821:escrow:platform", "BRL", 2000), ("order:O_8821:escrow:seller:S_114", "BRL", 16000),
        ("order:O_8821:escrow:shipping", "BRL", 2000), ("seller:S_114:payable", "BRL", -15600)]
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0
    assert conn.execute("SELECT status, released FROM order_escrow WHERE order_id = 'O_8821'").fetchone() == ("released", 20000)
    assert conn.execute("SELECT status, disputed FROM order_escrow WHERE order_id = 'O_2'").fetchone() == ("disputed", 1000)
    assert conn.execute("SELECT escrow, payable, withheld, on_hold FROM seller_balances WHERE seller_id = 'S_114'"
                        ).fetchone() == (16000 - 800, 15600, 400, 800)
    assert conn.execute("SELECT withholding_rate_bp FROM seller_profiles WHERE seller_id = 'S_114'").fetchone()[0] == 250


def test_refund_after_release_and_a_lost_dispute_flow_to_the_read_models(settings, conn):
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [profile("S_114", 250, at=T0 - timedelta(days=1))])
    publish_orders(settings, [capture("O_8821")])
    run_pipeline(settings)
    release_as_of(settings, conn, T0 + timedelta(days=30))
    run_pipeline(settings)
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_8821", "R1", [("S_114", 9000, 1000)], 2000)])
    run_pipeline(settings)
    publish_records(settings, topics.DISPUTES, "DisputeOpened", [dispute_opened("O_8821", "D1", 3000)])
    publish_records(settings, topics.DISPUTES, "DisputeResolved", [dispute_resolved("O_8821", "D1", "lost", 1500)])
    run_pipeline(settings)

    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0
    # After the claw-back, what is still there: payable 78.00, withholding 2.00, take rate
    # 10.00, shipping 0. The lost 30.00 takes from each in proportion: 26.00, 0.67, 3.33.
    assert conn.execute("SELECT payable, withheld, on_hold FROM seller_balances WHERE seller_id = 'S_114'"
                        ).fetchone() == (15600 - 7800 - 2600, 400 - 200 - 67, 0)
    assert conn.execute("SELECT status, refunded, disputed FROM order_escrow WHERE order_id = 'O_8821'"
                        ).fetchone() == ("released", 11000, 0)
    balances = dict(conn.execute("SELECT account, balance FROM account_balances").fetchall())
    assert balances["ops:pool:card"] == 19400 - 11000 - 3000 - 1500
    assert balances["ops:expense:chargeback:card"] == 1500
    assert balances["ops:revenue:takerate"] == 2000 - 1000 - 333
    assert balances["ops:tax:withholding"] == 400 - 200 - 67


def test_read_models_after_a_whole_lifecycle_rebuild_identically(settings, conn):
    from projections.rebuild import rebuild
    from tests.helpers import table_rows

    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [profile("S_114", 250, at=T0 - timedelta(days=1))])
    publish_orders(settings, [capture("O_1"), capture("O_2"), capture("O_3")])
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_2", "R2", [("S_114", 18000, 2000)], 2000)])
    publish_records(settings, topics.DISPUTES, "DisputeOpened", [dispute_opened("O_3", "D3", 7000)])
    run_pipeline(settings)
    release_as_of(settings, conn, T0 + timedelta(days=30))
    run_pipeline(settings)
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_1", "R1", [("S_114", 5000, 500)])])
    run_pipeline(settings)
    tables = (("seller_balances", "seller_id, currency"), ("order_escrow", "order_id"),
              ("account_balances", "account, currency"))
    live = {t: table_rows(conn, t, o) for t, o in tables}
    assert [r[0] for r in conn.execute("SELECT status FROM order_escrow ORDER BY order_id")] == [
        "released", "refunded", "disputed"]
    rebuild(conn)
    for t, o in tables:
        assert table_rows(conn, t, o) == live[t], t
