"""Hostile messages between valid ones, through real Kafka and PostgreSQL: the valid ones
post, every hostile one is in `exceptions` and on `ledger.rejected` byte for byte (or,
too large to carry, by SHA-256 and size), no balance moves for them, and nothing wedges:
the workers run to idle, and run again cleanly."""

import hashlib
from datetime import datetime, timezone

import pytest
from confluent_kafka import Consumer, Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.config import consumer_config, producer_config
from services.closing.verify import verify
from services.domain import bounds
from tests.helpers import capture, consume_all
from tests.helpers import producer as kafka_producer
from tests.helpers import profile, publish_records, refund, run_pipeline, run_posting, run_projector, run_relay

pytestmark = pytest.mark.integration
REGISTRY = SchemaRegistry.from_dir()


def _produce(settings, topic: str, values: list[bytes]) -> None:
    p = kafka_producer(settings)
    for v in values:
        p.produce(settings.topic(topic), v, key=b"one-key")
    assert p.flush(30) == 0


def _many_lines(n: int) -> dict:
    line = capture("O_LINES")["lines"][0]
    return capture("O_LINES", lines=[dict(line, seller_id=f"S_{i}") for i in range(n)], amount=n * line["amount"],
                   shipping=0)


def test_hostile_messages_are_quarantined_and_the_valid_ones_post(settings, conn):
    enc = REGISTRY.encode
    # a profile posted first: a capture reusing its event_id later, in another run, conflicts
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [profile("S_114", 250)])
    run_posting(settings)

    orders = [
        enc("OrderCaptured", capture("O_1")),
        enc("OrderCaptured", capture("O_NUL", event_id="evt\x00nul")),  # NUL in event_id
        enc("OrderCaptured", capture("O_LONG", event_id="e" * 10_240)),  # a 10 kB event_id
        enc("OrderCaptured", capture("O_9999", occurred_at=datetime(9999, 12, 20, tzinfo=timezone.utc))),
        enc("OrderCaptured", capture("O_MAX", amount=2**63 - 1, gateway_fee=0, shipping=0,
                                     lines=[{"seller_id": "S_1", "item_id": "i", "amount": 2**63 - 1,
                                             "platform_fee": 0, "currency": None}])),
        enc("OrderCaptured", _many_lines(bounds.LINES_MAX + 1)),
        enc("OrderCaptured", capture("O_DUP", event_id="evt_profile_S_114_1")),  # a profile's event_id
        enc("OrderCaptured", capture("O_1")) + b"\x00" * 900_000,  # near the broker's 1 MB limit
        b"\x00\xff garbage",
        enc("OrderCaptured", capture("O_2")),
    ]
    refunds = [
        enc("RefundIssued", refund("O" * 10_000, "R_1", [("S_1", 100, 0)])),  # a 10 kB order_id
        enc("RefundIssued", refund("O_NEVER", "R_2", [("S_1", -100, 0)])),  # invalid, for an order never captured
        enc("RefundIssued", refund("O_1", "R_3", [("S_114", 1000, 0)])),  # valid
    ]
    _produce(settings, topics.ORDERS, orders)
    _produce(settings, topics.REFUNDS, refunds)
    run_pipeline(settings)

    posted = conn.execute("SELECT kind, order_id FROM journal_transactions ORDER BY seq"
                          ).fetchall()
    assert posted == [("capture", "O_1"), ("capture", "O_2"), ("refund", "O_1")]
    hostile = orders[1:9] + refunds[:2]
    rows = conn.execute("SELECT reason_code, payload, source_topic, source_offset, event_id FROM exceptions"
                        " ORDER BY source_topic, source_offset").fetchall()
    assert sorted(bytes(p) for _, p, *_ in rows) == sorted(hostile)  # byte for byte, each once
    reasons = {bytes(p): r for r, p, *_ in rows}
    assert [reasons[v] for v in hostile] == [
        "OUT_OF_BOUNDS", "OUT_OF_BOUNDS", "OUT_OF_BOUNDS", "OUT_OF_BOUNDS", "OUT_OF_BOUNDS", "DUPLICATE_CONFLICT",
        "MESSAGE_TOO_LARGE", "SCHEMA_INVALID", "OUT_OF_BOUNDS", "NEGATIVE_AMOUNT"]
    assert conn.execute("SELECT count(*) FROM parked_events").fetchone()[0] == 0
    stored = {r[4] for r in rows}
    assert "evt\\x00nul" in stored and any(e and e.startswith("e" * 128 + "...(+") for e in stored)

    rejected = [REGISTRY.decode(m.value())[1] for m in consume_all(settings, topics.REJECTED)]
    assert len(rejected) == len(hostile)
    for r in rejected:
        original = next(v for v in hostile if hashlib.sha256(v).hexdigest() == r["payload_sha256"])
        assert r["payload_size"] == len(original)
        if len(original) <= bounds.MESSAGE_MAX_BYTES:
            assert r["payload"] == original
        else:
            assert r["payload"] is None and r["reason_code"] == "MESSAGE_TOO_LARGE"

    # no balance moved for them: the read models hold exactly the two captures and the refund
    assert conn.execute("SELECT order_id FROM order_escrow ORDER BY order_id").fetchall() == [("O_1",), ("O_2",)]
    assert conn.execute("SELECT balance FROM account_balances WHERE account = 'ops:pool:card'").fetchone() == (
        2 * 19400 - 1000,)
    assert verify(conn).ok
    # and nothing is wedged: the workers start again and have nothing to do
    assert run_posting(settings, idle_s=0.5).consumed == 0
    run_relay(settings)
    assert run_projector(settings, idle_s=0.5).applied == 0


def test_a_journal_record_larger_than_the_brokers_default_flows_end_to_end(settings):
    """ledger.journal takes records up to RECORD_MAX_BYTES: what the relay's producer
    writes there, the projection worker's consumer reads (a payout batch of tens of
    thousands of sellers is one such transaction)."""
    postings = [{"account": f"seller:S_{i:06d}:payable", "currency": "BRL", "amount": 1} for i in range(120_000)]
    record = {"event_id": "evt_big", "occurred_at": datetime(2026, 11, 2, tzinfo=timezone.utc), "seq": 1,
              "transaction_id": "00000000-0000-0000-0000-000000000001", "kind": "payout_batch", "order_id": None,
              "batch_id": "B_1", "reverses_transaction_id": None,
              "recorded_at": datetime(2026, 11, 2, tzinfo=timezone.utc), "metadata": {"lines": "x" * 2_000_000},
              "postings": postings}
    value = REGISTRY.encode("JournalTransaction", record)
    assert len(value) > 4 * 1024 * 1024
    p = Producer(producer_config(settings))
    failures = []
    p.produce(settings.topic(topics.JOURNAL), value, on_delivery=lambda err, _m: failures.append(err))
    assert p.flush(30) == 0 and failures == [None]
    c = Consumer(consumer_config(settings, "probe-big"))
    c.subscribe([settings.topic(topics.JOURNAL)])
    try:
        for _ in range(60):
            m = c.poll(0.5)
            if m is not None and not m.error():
                assert m.value() == value
                return
        pytest.fail("the large journal record never arrived")
    finally:
        c.close()


def test_a_message_the_database_refuses_is_quarantined_and_the_others_post(settings, conn):
    """Defence in depth: should the database refuse one message's rows for good (here a
    trigger stands in for a bug or a constraint no rule knows), the batch is taken again
    one message at a time and only that message becomes an exception."""
    conn.execute("CREATE FUNCTION refuse_for_the_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                 " RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'check_violation'; END $$")
    conn.execute("CREATE TRIGGER refuse_for_the_test BEFORE INSERT ON journal_transactions FOR EACH ROW"
                 " WHEN (NEW.order_id = 'O_REFUSED') EXECUTE FUNCTION refuse_for_the_test()")
    values = [REGISTRY.encode("OrderCaptured", capture(o)) for o in ("O_1", "O_REFUSED", "O_2")]
    _produce(settings, topics.ORDERS, values)
    run_pipeline(settings)

    assert conn.execute("SELECT order_id FROM journal_transactions ORDER BY seq").fetchall() == [("O_1",), ("O_2",)]
    [(reason, event_id, detail, payload)] = conn.execute(
        "SELECT reason_code, event_id, detail, payload FROM exceptions").fetchall()
    assert (reason, event_id, bytes(payload)) == ("INTERNAL_ERROR", "evt_capture_O_REFUSED", values[1])
    assert "refused for the test" in detail
    [rejected] = [REGISTRY.decode(m.value())[1] for m in consume_all(settings, topics.REJECTED)]
    assert rejected["payload"] == values[1] and rejected["reason_code"] == "INTERNAL_ERROR"
    assert verify(conn).ok
    assert conn.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()[0] == 3
