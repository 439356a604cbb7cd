"""Exactly-once under SIGKILL: the real `splitbook` processes are killed after their
database commit and before any Kafka commit, then restarted."""

import subprocess
import sys
from datetime import date

import pytest
from confluent_kafka import Consumer, TopicPartition

from projections.rebuild import rebuild
from services.adapters.kafka import topics
from services.simulators.storefront import marketplace_day
from tests.helpers import publish_orders, run_posting, run_relay, table_rows

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
ORDERS = 400


def splitbook(env, *args, crash_at=None, timeout=120):
    env = dict(env, SPLITBOOK_BATCH_MAX_MESSAGES="40")
    if crash_at:
        env["SPLITBOOK_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", "--log-level", "warning", *args],
                          env=env, capture_output=True, text=True, timeout=timeout)


def kafka_committed(settings, group, topic, partitions):
    c = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": settings.group(group)})
    try:
        return [tp.offset for tp in c.committed([TopicPartition(settings.topic(topic), p) for p in partitions], timeout=10)]
    finally:
        c.close()


def test_posting_consumer_killed_after_db_commit_neither_loses_nor_doubles(settings, conn, worker_env):
    publish_orders(settings, marketplace_day(date(2026, 11, 10), ORDERS, 25, seed=11))

    crashed = splitbook(worker_env, "post", "--idle-exit-s", "3", crash_at="posting_after_db_commit:2")
    assert crashed.returncode == -9, crashed.stderr  # SIGKILL, right after the 2nd batch's commit
    after_crash = conn.execute("SELECT count(*) FROM journal_transactions").fetchone()[0]
    assert 0 < after_crash < ORDERS
    # Kafka never heard of the last batch: its group offsets lag behind PostgreSQL's
    stored = conn.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()[0]
    committed = [o for o in kafka_committed(settings, "posting", topics.ORDERS, range(3)) if o >= 0]
    assert sum(committed) < stored

    resumed = splitbook(worker_env, "post", "--idle-exit-s", "3")
    assert resumed.returncode == 0, resumed.stderr
    total, distinct = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM journal_transactions").fetchone()
    assert total == distinct == ORDERS
    assert conn.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()[0] == ORDERS
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0


def test_projection_worker_killed_after_db_commit_neither_loses_nor_doubles(settings, conn, worker_env):
    publish_orders(settings, marketplace_day(date(2026, 11, 11), ORDERS, 25, seed=12))
    run_posting(settings)
    run_relay(settings)

    crashed = splitbook(worker_env, "project", "--idle-exit-s", "3", crash_at="projector_after_db_commit:3")
    assert crashed.returncode == -9, crashed.stderr
    mid = conn.execute("SELECT last_seq FROM projection_positions").fetchone()[0]
    assert 0 < mid < ORDERS

    resumed = splitbook(worker_env, "project", "--idle-exit-s", "3")
    assert resumed.returncode == 0, resumed.stderr
    assert conn.execute("SELECT last_seq FROM projection_positions").fetchone()[0] == ORDERS
    live = table_rows(conn, "account_balances", "account, currency")
    live_sellers = table_rows(conn, "seller_balances", "seller_id, currency")
    rebuild(conn)  # the same fold over the journal, once: anything doubled or lost would differ
    assert table_rows(conn, "account_balances", "account, currency") == live
    assert table_rows(conn, "seller_balances", "seller_id, currency") == live_sellers


def test_relay_republishing_after_a_crash_changes_no_read_model(settings, conn, worker_env):
    publish_orders(settings, marketplace_day(date(2026, 11, 12), 120, 10, seed=13))
    run_posting(settings)
    run_relay(settings)
    # The relay crashed before storing its position: it publishes everything again.
    conn.execute("UPDATE relay_positions SET last_seq = 0")
    run_relay(settings)
    result = splitbook(worker_env, "project", "--idle-exit-s", "3")
    assert result.returncode == 0, result.stderr
    assert conn.execute("SELECT last_seq FROM projection_positions").fetchone()[0] == 120
    assert conn.execute("SELECT sum(captured) FROM order_escrow").fetchone()[0] == conn.execute(
        "SELECT sum(amount_minor) FROM journal_postings WHERE amount_minor > 0").fetchone()[0]
