"""The day's close ties to the journal."""

from datetime import timedelta

import pytest
from confluent_kafka import Producer

from services import close
from services.kafka import topics
from services.release import scheduler
from services.wire.avro import SchemaRegistry
from tests.helpers import T0, capture, dispute_opened, dispute_resolved, publish_orders, publish_records, refund, run_pipeline

pytestmark = pytest.mark.integration


def test_close_rolls_escrow_forward_and_ties_to_the_journal(settings, conn, tmp_path):
    publish_orders(settings, [capture("O_1"), capture("O_2"), capture("O_3", occurred_at=T0 + timedelta(days=31))])
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_2", "R2", [("S_114", 9000, 1000)],
                                                                      at=T0 + timedelta(days=31))])
    publish_records(settings, topics.DISPUTES, "DisputeOpened", [dispute_opened("O_2", "D2", 3000, at=T0 + timedelta(days=31))])
    publish_records(settings, topics.DISPUTES, "DisputeResolved", [dispute_resolved("O_2", "D2", "won", at=T0 + timedelta(days=31))])
    run_pipeline(settings)
    scheduler.run_once(settings, conn, Producer({"bootstrap.servers": settings.kafka_bootstrap_servers}),
                       SchemaRegistry.from_dir(), T0 + timedelta(days=31))  # releases O_1 (O_2 too: dispute resolved)
    run_pipeline(settings)

    day = close.compute(conn, (T0 + timedelta(days=31)).date())
    (roll,) = day["escrow_roll_forward"]
    assert roll["opening"] == 2 * 20000
    assert roll["captured"] == 20000
    assert roll["refunded"] == 9000
    assert roll["disputed_net"] == 0  # opened and won the same day
    assert roll["released"] == 20000 + 11000
    assert roll["closing"] == 20000 and roll["ties"]
    escrow_now = conn.execute("SELECT sum(balance) FROM account_balances WHERE account LIKE 'order:%%:escrow:%%'").fetchone()[0]
    assert roll["closing"] == escrow_now
    tb = {(r["family"], r["currency"]): r for r in day["trial_balance"]}
    assert sum(r["debits"] for r in tb.values()) == sum(r["credits"] for r in tb.values())
    assert day["fee_yield"] == [{"gateway": "card", "currency": "BRL", "captures": 1, "gross": 20000, "fee": 600,
                                 "fee_bp": 300.0}]
    js, cs = close.write(day, tmp_path)
    assert js.exists() and "escrow_roll_forward" in cs.read_text()
