"""The demo's storyline: a marketplace month in a few minutes.

Seller profiles (some with a rolling reserve); a first day of orders with their
categories, channels and regions, some of whose refunds and disputes arrive before their
captures (separate topics); refunds and disputes in escrow, among them a seller whose
refunds spike (an alert); the release scheduler releasing the day after its escrow
window (reserves held); refunds and disputes after release; the reserves whose period
has ended released; today's orders, still in escrow; and a payout day whose bank fails
a few transfers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import psycopg
import structlog

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.adapters.postgres import journal
from services.alerts import worker as alerts
from services.domain.batch_state import fold_batch
from services.entrypoints import bootstrap
from services.entrypoints.settings import Settings
from services.payouts import answers, files
from services.payouts import scheduler as payouts
from services.release import reserves, scheduler
from services.runtime import progress
from services.simulators import bank
from services.simulators.storefront import after_sales, marketplace_day, messy_deliveries, seller_profiles

log = structlog.get_logger()
SPIKE = "S_0004"  # the seller whose buyers send back most of the first day's orders


def run(settings: Settings, conn: psycopg.Connection, today: date, orders: int, sellers: int,
        window_days: int, out_dir: Path, say=print) -> None:
    registry, producer = SchemaRegistry.from_dir(), bootstrap.producer(settings)
    t = settings.topic
    first_day = today - timedelta(days=window_days + 10)
    release_at = datetime.combine(first_day + timedelta(days=window_days + 1), time(6), tzinfo=timezone.utc)
    day1 = marketplace_day(first_day, orders, sellers, seed=first_day.toordinal(), dimensions=True)
    later = after_sales(day1, seed=first_day.toordinal(), release_at=release_at, spike=SPIKE)

    def wait():
        progress.wait_caught_up(settings, conn, timeout_s=300)

    profiles = seller_profiles(sellers, seed=7, effective=datetime.combine(first_day - timedelta(days=60), time(0),
                                                                          tzinfo=timezone.utc))
    publish(producer, t(topics.SELLERS), registry, profiles, name="SellerProfileUpdated")
    with_reserve = sum(1 for p in profiles if p["reserve_rate_bp"])
    say(f"{len(profiles)} seller profiles (withholding rates, payout minimums, holds; {with_reserve} with a rolling"
        f" reserve)")

    early = later.refunds_in_escrow[:10]  # these arrive before their captures
    publish(producer, t(topics.REFUNDS), registry, early, name="RefundIssued")
    publish(producer, t(topics.ORDERS), registry, day1)
    m = messy_deliveries(producer, t(topics.ORDERS), registry, day1)
    publish(producer, t(topics.REFUNDS), registry, later.refunds_in_escrow[10:], name="RefundIssued")
    publish(producer, t(topics.DISPUTES), registry, later.disputes_opened, name="DisputeOpened")
    publish(producer, t(topics.DISPUTES), registry, later.disputes_resolved, name="DisputeResolved")
    say(f"{first_day}: {len(day1)} orders captured; {len(later.refunds_in_escrow)} refunds in escrow "
        f"({len(early)} published before their captures); {len(later.disputes_opened)} disputes opened and resolved; "
        f"{m.duplicates} redeliveries, {m.conflicts} conflicting duplicate, {m.poison} poison messages")
    wait()

    end_of_day = datetime.combine(first_day + timedelta(days=1), time(0), tzinfo=timezone.utc)
    for eid, breach in alerts.run_once(conn, settings.alert_thresholds(), end_of_day):
        say(f"alert at the end of {first_day} (exception {eid}): {breach.detail}")

    n = scheduler.run_once(settings, conn, producer, registry, release_at)
    say(f"{release_at:%Y-%m-%d %H:%M}: release scheduler asked to release {n} orders past their {window_days}-day window")
    wait()

    publish(producer, t(topics.REFUNDS), registry, later.refunds_after_release, name="RefundIssued")
    publish(producer, t(topics.DISPUTES), registry, later.disputes_after_release, name="DisputeOpened")
    publish(producer, t(topics.DISPUTES), registry, later.resolved_after_release, name="DisputeResolved")
    say(f"after release: {len(later.refunds_after_release)} partial refunds clawed back from sellers, "
        f"{len(later.disputes_after_release)} disputes on released orders")

    wait()
    as_of = datetime.combine(today, time(6), tzinfo=timezone.utc)
    n = reserves.run_once(settings, conn, producer, registry, as_of)
    say(f"{as_of:%Y-%m-%d %H:%M}: reserve scheduler asked to release the reserves of {n} sellers whose period ended")

    day2 = marketplace_day(today, orders, sellers, seed=today.toordinal(), dimensions=True)
    publish(producer, t(topics.ORDERS), registry, day2)
    open_disputes = after_sales(day2, seed=today.toordinal(), release_at=release_at).disputes_opened
    publish(producer, t(topics.DISPUTES), registry, open_disputes, name="DisputeOpened")
    say(f"{today}: {len(day2)} orders captured, in escrow until {today + timedelta(days=window_days)}; "
        f"{len(open_disputes)} disputes still open")
    wait()

    created = payouts.run(settings, conn, producer, registry, today, as_of, out_dir)
    wait()
    for batch_id in created:
        sent = files.sent_file(out_dir, batch_id)
        if sent is None:
            say(f"payout day {today}: {batch_id} is HELD, its bank file could not be made (see the exceptions)")
            continue
        if fold_batch(batch_id, journal.batch_transactions(conn, [batch_id]).get(batch_id, [])).outcome:
            say(f"payout day {today}: {batch_id} was answered by the bank already (the story told again): nothing to"
                " settle")
            continue
        answered_at = as_of + timedelta(hours=4)
        results, replies = bank.settle_file(sent, failure_rate=0.08, seed=today.toordinal(), parts=2, at=answered_at)
        for reply in replies:  # the ledger's bank adapter reads each answer as the bank wrote it
            answers.confirm(settings, conn, producer, registry, reply.read_bytes(), answered_at)
        failed = sum(r["status"] == "FAILED" for r in results)
        say(f"payout day {today}: {batch_id} paid {len(results)} sellers ({sent}); the bank settled"
            f" {len(results) - failed} and failed {failed}, answering in {', '.join(r.name for r in replies)}")
    wait()
