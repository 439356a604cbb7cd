"""The day's close ties to the journal, by the day transactions were recorded: a closed
day stays closed when late events arrive."""

from datetime import datetime, timedelta, timezone

import pytest

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.closing import close
from services.release import scheduler
from tests.helpers import T0, capture, dispute_opened, dispute_resolved
from tests.helpers import producer as kafka_producer
from tests.helpers import publish_orders, publish_records, refund, run_pipeline

pytestmark = pytest.mark.integration


def _posted_a_day_earlier(conn) -> None:
    """Test-only: as if everything in the journal had been recorded a day earlier (the
    append-only trigger off for the moment; recorded_at is not in the hash chain)."""
    conn.execute("ALTER TABLE journal_transactions DISABLE TRIGGER journal_transactions_append_only")
    conn.execute("UPDATE journal_transactions SET recorded_at = recorded_at - interval '1 day'")
    conn.execute("ALTER TABLE journal_transactions ENABLE TRIGGER journal_transactions_append_only")


def _closed(day: dict) -> dict:
    return {k: v for k, v in day.items() if k != "open_exceptions"}


def test_close_rolls_escrow_forward_by_recording_day_and_a_closed_day_stays_closed(settings, conn, tmp_path):
    today = datetime.now(timezone.utc).date()
    yesterday = today - timedelta(days=1)
    publish_orders(settings, [capture("O_1"), capture("O_2")])
    run_pipeline(settings)
    _posted_a_day_earlier(conn)
    closed_before = close.compute(conn, yesterday)

    # today: a capture, a refund that occurred weeks ago, a dispute opened and won, releases
    publish_orders(settings, [capture("O_3", occurred_at=T0 + timedelta(days=31))])
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_2", "R2", [("S_114", 9000, 1000)],
                                                                      at=T0 + timedelta(days=1))])
    publish_records(settings, topics.DISPUTES, "DisputeOpened", [dispute_opened("O_2", "D2", 3000, at=T0 + timedelta(days=31))])
    publish_records(settings, topics.DISPUTES, "DisputeResolved", [dispute_resolved("O_2", "D2", "won", at=T0 + timedelta(days=31))])
    run_pipeline(settings)
    scheduler.run_once(settings, conn, kafka_producer(settings),
                       SchemaRegistry.from_dir(), T0 + timedelta(days=31))  # releases O_1 and O_2
    run_pipeline(settings)

    assert _closed(close.compute(conn, yesterday)) == _closed(closed_before)  # yesterday stays as it was closed
    (roll,) = closed_before["escrow_roll_forward"]
    assert (roll["opening"], roll["captured"], roll["closing"], roll["ties"]) == (0, 40000, 40000, True)

    day = close.compute(conn, today)
    (roll,) = day["escrow_roll_forward"]
    assert roll["opening"] == 2 * 20000
    assert roll["captured"] == 20000
    assert roll["refunded"] == 9000
    assert roll["disputed_net"] == 0  # opened and won the same day
    assert roll["released"] == 20000 + 11000
    assert roll["closing"] == 20000 and roll["ties"]
    escrow_now = conn.execute("SELECT sum(balance) FROM account_balances WHERE account LIKE 'order:%%:escrow:%%'").fetchone()[0]
    assert roll["closing"] == escrow_now
    late = {r["kind"]: r for r in day["late_activity"]}
    assert late["refund"]["transactions"] == 1 and late["refund"]["earliest"] == str((T0 + timedelta(days=1)).date())
    tb = {(r["family"], r["currency"]): r for r in day["trial_balance"]}
    assert sum(r["debits"] for r in tb.values()) == sum(r["credits"] for r in tb.values())
    assert day["fee_yield"] == [{"gateway": "card", "currency": "BRL", "captures": 1, "gross": 20000, "fee": 600,
                                 "fee_bp": 300.0}]
    js, cs = close.write(day, tmp_path)
    assert js.exists() and "escrow_roll_forward" in cs.read_text() and "late_activity" in cs.read_text()
    assert "occurred on earlier dates" in close.render(day)
