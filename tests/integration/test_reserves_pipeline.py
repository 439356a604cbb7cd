"""Rolling reserves on real Kafka and PostgreSQL: a seller's reserve share held at
release, covered into a negative payable when a payout batch is made, released by the
scheduler when its period ends (once), and what the read models, the statement, the
close report and the invariant checks make of it."""

from datetime import date, timedelta

import pytest

from projections.rebuild import rebuild
from services.adapters.kafka import topics
from services.adapters.postgres import verification
from services.closing import close
from services.release import reserves, scheduler
from services.statements import statement
from tests.helpers import REGISTRY, T0, capture, postings_of, profile, publish_orders, publish_records, refund
from tests.helpers import producer as kafka_producer
from tests.helpers import run_pipeline, table_rows

pytestmark = pytest.mark.integration


def reserve_profile(seller, bp, rate, days, n=1):
    return {**profile(seller, bp, at=T0 - timedelta(days=60), n=n), "reserve_rate_bp": rate,
            "reserve_period_days": days}


def batch(batch_id, at):
    return {"event_id": f"batch:{batch_id}", "occurred_at": at, "batch_id": batch_id,
            "batch_date": at.date().isoformat(), "currency": "BRL"}


def balances(conn, seller):
    return conn.execute("SELECT payable, reserve, in_flight FROM seller_balances WHERE seller_id = %s",
                        (seller,)).fetchone()


def test_a_reserve_is_held_at_release_covers_a_claw_back_and_is_released_when_its_period_ends(settings, conn):
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [
        reserve_profile("S_114", 250, 1_000, 90), reserve_profile("S_2", 250, 500, 30)])
    s2_lines = [{"seller_id": "S_2", "item_id": "I_2", "amount": 18000, "platform_fee": 2000, "currency": None}]
    publish_orders(settings, [capture("O_8821"), capture("O_2", occurred_at=T0 + timedelta(days=5), lines=s2_lines)])
    run_pipeline(settings)
    producer = kafka_producer(settings)

    scheduler.run_once(settings, conn, producer, REGISTRY, T0 + timedelta(days=31))  # O_8821 only
    run_pipeline(settings)
    assert postings_of(conn, "release:O_8821")[-2:] == [("seller:S_114:payable", "BRL", -14040),
                                                        ("seller:S_114:reserve", "BRL", -1560)]
    assert balances(conn, "S_114") == (14040, 1560, 0)

    publish_records(settings, topics.COMMANDS, "CreatePayoutBatch", [batch("PB_1", T0 + timedelta(days=31))])
    run_pipeline(settings)
    assert balances(conn, "S_114") == (0, 1560, 14040)  # the reserve is never paid out while held

    # the whole order comes back after it was paid: the payable goes negative
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_8821", "R1", [("S_114", 18000, 2000)], 2000)])
    scheduler.run_once(settings, conn, producer, REGISTRY, T0 + timedelta(days=36))  # O_2
    run_pipeline(settings)
    assert balances(conn, "S_114") == (-15600, 1560, 14040)

    publish_records(settings, topics.COMMANDS, "CreatePayoutBatch", [batch("PB_2", T0 + timedelta(days=36))])
    run_pipeline(settings)
    assert balances(conn, "S_114") == (-15600 + 1560, 0, 14040)  # covered from the reserve, all it held
    assert balances(conn, "S_2") == (0, 780, 14820)
    assert ("seller:S_114:reserve", "BRL", 1560) in postings_of(conn, "batch:PB_2")

    # S_2's 5 % of 156.00 is held 30 days from its release (day 36): nothing is due before day 66
    assert reserves.run_once(settings, conn, producer, REGISTRY, T0 + timedelta(days=66) - timedelta(seconds=1)) == 0
    assert reserves.run_once(settings, conn, producer, REGISTRY, T0 + timedelta(days=66)) == 1
    assert reserves.run_once(settings, conn, producer, REGISTRY, T0 + timedelta(days=67)) == 1  # the same command id
    run_pipeline(settings)
    assert balances(conn, "S_2") == (780, 0, 14820)
    assert reserves.run_once(settings, conn, producer, REGISTRY, T0 + timedelta(days=68)) == 0
    assert conn.execute("SELECT count(*) FROM journal_transactions WHERE kind = 'reserve_release'").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0

    assert not any(verification.invariant_examples(conn).values())  # invariant 4 with the reserve in it
    text, closing = statement.render(conn, "S_114", date(2026, 1, 1), date(2027, 12, 31), None)
    assert "reserve held" in text and "reserve covers payable" in text and closing["BRL"] == -15600 + 1560 + 14040
    text, _ = statement.render(conn, "S_2", date(2026, 1, 1), date(2027, 12, 31), None)
    assert "reserve released" in text
    today = conn.execute("SELECT max(recorded_at)::date FROM journal_transactions").fetchone()[0]
    [roll] = close.compute(conn, today)["reserve_roll_forward"]
    assert roll["ties"] and (roll["held"], roll["drawn"], roll["released"], roll["closing"]) == (2340, 1560, 780, 0)

    live = table_rows(conn, "seller_balances", "seller_id, currency")
    rebuild(conn)
    assert table_rows(conn, "seller_balances", "seller_id, currency") == live


def test_a_version_2_profile_still_posts_and_a_reserve_out_of_bounds_is_refused(settings, conn):
    good = profile("S_1", 0)
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [reserve_profile("S_9", 0, 500, 0)])
    from services.adapters.kafka.publish import publish
    publish(kafka_producer(settings), settings.topic(topics.SELLERS), REGISTRY, [good], name="SellerProfileUpdated",
            version=2)
    run_pipeline(settings)
    assert conn.execute("SELECT seller_id, reserve_rate_bp, reserve_period_days FROM seller_profiles").fetchall() == [
        ("S_1", 0, 0)]
    reason, detail = conn.execute("SELECT reason_code, detail FROM exceptions").fetchone()
    assert reason == "INVALID_FIELD" and "needs a period" in detail
