"""The compiled capture lane (services/native) against its reference, the Python path:
whatever the lane takes, the reference posts the same way (event, digest, transaction
rows, chain hash, byte for byte); plain captures are taken; everything else is left to
the reference, whose rejections stay its own."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres.journal import Staged, format_rows
from services.domain.errors import Reason
from services.domain.events import OrderCaptured, RefundIssued
from services.domain.rules.capture import Policy, handle_order_captured
from services.domain.rules.refunds import handle_refund_issued
from services.posting import lane as lane_module
from services.posting.batch import DECODED, Context, Decoded, Inbound, apply_rules, decode, decode_value
from services.posting.lane import CaptureLane, capture_lane
from tests.helpers import capture, refund

REGISTRY = SchemaRegistry.from_dir()
POLICY = Policy(escrow_window=timedelta(days=30, seconds=1, microseconds=250))
LANE = CaptureLane(REGISTRY, POLICY)
ORDERS = "marketplace.orders"

ID_CHARS = "abcXYZ019_.-"
PLAIN = st.text(ID_CHARS, min_size=1, max_size=12)
TEXT = st.text(ID_CHARS + " #/()!\"", max_size=12)
INSTANTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=timezone.utc))


@st.composite
def plain_captures(draw) -> dict:
    """Captures the reference posts, every text of the lane's plain alphabet."""
    cur = draw(st.sampled_from(["BRL", "USD", "JPY", "EUR"]))
    sellers = draw(st.lists(PLAIN, min_size=1, max_size=4))
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        amount = draw(st.integers(0, 10**12))
        lines.append({"seller_id": draw(st.sampled_from(sellers)), "item_id": draw(TEXT), "amount": amount,
                      "platform_fee": draw(st.integers(0, amount)),
                      "currency": draw(st.sampled_from([None, cur])),
                      "category": draw(st.one_of(st.none(), st.none(), PLAIN))})
    shipping = draw(st.integers(0, 10**12 - sum(ln["amount"] for ln in lines)) if sum(
        ln["amount"] for ln in lines) <= 10**12 else st.just(0))
    amount = sum(ln["amount"] for ln in lines) + shipping
    assume(0 < amount <= 10**12)
    return {"event_id": draw(TEXT.filter(bool)), "occurred_at": draw(INSTANTS), "order_id": draw(PLAIN),
            "gateway": draw(PLAIN), "currency": cur, "amount": amount,
            "gateway_fee": draw(st.integers(0, amount)), "shipping": shipping, "lines": lines,
            "channel": draw(st.sampled_from([None, "web", "app"])), "region": draw(st.one_of(st.none(), PLAIN))}


def odd(record: dict, draw) -> dict:
    """The record with one field made odd: out of bounds, not adding up, another alphabet."""
    r = {**record, "lines": [dict(ln) for ln in record["lines"]]}
    line = r["lines"][0]
    change = draw(st.sampled_from([
        ("event_id", ""), ("event_id", "é"), ("event_id", "a'b"), ("event_id", "a\\b"), ("event_id", "a\tb"),
        ("event_id", "x" * 129), ("order_id", "o:1"), ("order_id", "o 1"), ("order_id", ""), ("gateway", "ç"),
        ("currency", "XXY"), ("currency", "brl"), ("amount", -1), ("amount", 0), ("gateway_fee", -1),
        ("shipping", -1), ("amount", 10**12 + 1), ("occurred_at", datetime(1999, 12, 31, 23, 59, tzinfo=timezone.utc)),
        ("occurred_at", datetime(2100, 1, 1, tzinfo=timezone.utc)), ("lines", []),
        ("line.seller_id", "s:1"), ("line.item_id", "x" * 129), ("line.item_id", "ü"), ("line.item_id", "'"),
        ("line.amount", -5), ("line.platform_fee", -1), ("line.platform_fee", 10**13), ("line.currency", "USX"),
        ("line.currency", "XXX"), ("amount+1", None), ("channel", "web shop"), ("channel", "x" * 129),
        ("region", "BR SP"), ("region", "x" * 129), ("line.category", "home & garden"), ("line.category", ""),
    ]))
    key, value = change
    if key == "amount+1":
        r["amount"] += 1
    elif key.startswith("line."):
        line[key[5:]] = value
    else:
        r[key] = value
    return r


def assert_posts_alike(value: bytes, taken) -> None:
    """What the lane took, the reference posts alike."""
    tag, name, event, event_id, digest = decode_value(value, REGISTRY)
    assert (tag, name) == (DECODED, "OrderCaptured")
    assert (taken.event_id, taken.order_id, taken.identity, taken.digest, taken.value) == (
        event_id, event.order_id, event.identity(), digest, value)
    txn = handle_order_captured(event, POLICY)
    assert LANE.transaction(taken) == txn
    for seq, previous in ((1, bytes(32)), (987_654_321, bytes(range(32)))):
        assert format_rows([Staged(taken, taken.digest)], seq, previous) == format_rows([Staged(txn, digest)], seq,
                                                                                         previous)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(plain_captures())
def test_a_plain_capture_is_taken_and_posted_as_the_reference_posts_it(record):
    value = REGISTRY.encode("OrderCaptured", record)
    taken = LANE.parse(value)
    assert taken is not None, record
    assert_posts_alike(value, taken)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(plain_captures(), st.data())
def test_a_capture_with_anything_odd_is_left_to_the_reference(record, data):
    r = odd(record, data.draw)
    try:
        value = REGISTRY.encode("OrderCaptured", r)
    except Exception:  # not even encodable
        return
    taken = LANE.parse(value)
    if taken is not None:  # an odd field that still makes a plain capture (an item id of 129 chars...)
        assert_posts_alike(value, taken)
        return
    tag, *_ = decode_value(value, REGISTRY)
    if tag == DECODED:  # the reference posts or rejects it, in its own words
        msg = Inbound(ORDERS, 0, 0, value)
        reference = apply_rules([decode(msg, REGISTRY, lambda t: t)], Context(POLICY, {}, {}, {}))
        assert reference.staged or reference.rejected


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(plain_captures(), st.lists(st.tuples(st.integers(0, 2), st.integers(0, 400), st.integers(0, 255)),
                                  min_size=1, max_size=4))
def test_changed_bytes_are_taken_only_when_the_reference_posts_them_alike(record, changes):
    value = bytearray(REGISTRY.encode("OrderCaptured", record))
    for how, at, byte in changes:
        at %= len(value) + 1
        if how == 0 and at < len(value):
            value[at] = byte
        elif how == 1:
            value[at:at] = bytes([byte])
        elif at < len(value):
            del value[at]
    value = bytes(value)
    taken = LANE.parse(value)
    if taken is not None:
        assert_posts_alike(value, taken)


def test_the_lane_takes_only_the_schema_it_reads():
    record = capture("O_1")
    assert LANE.parse(REGISTRY.encode("OrderCaptured", record)) is not None
    assert LANE.parse(REGISTRY.encode("OrderCaptured", record, version=2)) is not None
    assert LANE.parse(REGISTRY.encode("OrderCaptured", record, version=1)) is None  # v1: the reference resolves it
    for dimension in ({"region": "BR-SP"}, {"lines": [{**record["lines"][0], "category": "toys"}]}):
        value = REGISTRY.encode("OrderCaptured", {**record, **dimension})
        assert_posts_alike(value, LANE.parse(value))  # v3's dimensions, recorded as the reference records them
    assert LANE.parse(None) is None and LANE.parse(b"") is None and LANE.parse(b"\xc3\x01") is None
    assert LANE.parse(REGISTRY.encode("RefundIssued", refund("O_1", "R_1", [("S_1", 100, 0)]))) is None


def test_a_lane_capture_and_what_follows_it_in_the_batch_post_as_the_reference_posts_them():
    """The order's state, asked for by a refund, a second capture and a duplicate in the
    same batch, is the reference's: the outcome and the rows are the Python path's."""
    first = capture("O_1")
    values = [REGISTRY.encode("OrderCaptured", first),
              REGISTRY.encode("RefundIssued", refund("O_1", "R_1", [(first["lines"][0]["seller_id"], 100, 0)])),
              REGISTRY.encode("OrderCaptured", {**first, "event_id": "evt_again"}),  # the same order again
              REGISTRY.encode("OrderCaptured", first),  # the same event again
              REGISTRY.encode("OrderCaptured", capture("O_2"))]
    topics = [ORDERS, "marketplace.refunds", ORDERS, ORDERS, ORDERS]
    batch = [Inbound(t, 0, i, v) for i, (t, v) in enumerate(zip(topics, values))]

    def outcome(with_lane: bool):
        decoded = []
        for m in batch:
            taken = LANE.parse(m.value) if with_lane and m.topic == ORDERS else None
            decoded.append(Decoded(m, LANE.type, taken, taken.event_id, taken.digest) if taken is not None
                           else decode(m, REGISTRY, lambda t: t))
        out = apply_rules(decoded, Context(POLICY, {}, {}, {}, lane=LANE if with_lane else None))
        return out, format_rows(out.staged, 1)

    (lane_out, lane_rows), (ref_out, ref_rows) = outcome(True), outcome(False)
    assert sum(isinstance(s.transaction, lane_module.LaneCapture) for s in lane_out.staged) == 2
    assert lane_rows == ref_rows
    assert [(r.reason_code, r.detail) for r in lane_out.rejected] == [
        (r.reason_code, r.detail) for r in ref_out.rejected] == [
        (Reason.DUPLICATE_CONFLICT.value, "order O_1 was already captured by another event")]
    assert lane_out.duplicates == ref_out.duplicates == 1


def test_a_lane_order_is_folded_only_when_a_rule_asks_for_it():
    taken = LANE.parse(REGISTRY.encode("OrderCaptured", capture("O_1")))
    ctx = Context(POLICY, {}, {}, {}, lane=LANE)
    ctx.observe(taken)
    assert ctx.captured("O_1") and ctx.has_order("O_1") and "O_1" not in ctx.orders
    state = ctx.order("O_1")
    assert state.captured and not ctx.lane_orders
    reference = handle_order_captured(OrderCaptured.from_record(REGISTRY.decode(taken.value)[1]), POLICY)
    assert state.capture_txn == reference.transaction_id and state.balances
    refund_event = RefundIssued.from_record(REGISTRY.decode(REGISTRY.encode(
        "RefundIssued", refund("O_1", "R_1", [(capture("O_1")["lines"][0]["seller_id"], 100, 0)])))[1])
    assert handle_refund_issued(refund_event, state).order_id == "O_1"


def test_the_lane_is_off_when_asked_or_when_the_registry_reads_another_version(monkeypatch):
    assert capture_lane(REGISTRY, POLICY, enabled=False) is None
    assert isinstance(capture_lane(REGISTRY, POLICY), CaptureLane)
    pinned = SchemaRegistry.from_dir(readers={"OrderCaptured": 1})
    assert capture_lane(pinned, POLICY) is None
    monkeypatch.setattr(lane_module, "splitbook_native", None)
    assert capture_lane(REGISTRY, POLICY) is None


def test_the_extension_is_built_here():
    """CI builds it (deploy/scripts/env.sh): a machine without it would test only half."""
    assert lane_module.splitbook_native is not None
    with pytest.raises(ValueError):
        lane_module.splitbook_native.CaptureLane(b"short", set(), bytes(16), 0)


def test_a_marketplace_day_in_batches_posts_the_same_journal_with_and_without_the_lane():
    """Captures, refunds and disputes of 300 orders (a few sent twice), in batches whose
    context carries over as the consumer's does: the same rows, the same chain, the same
    rejections, with the lane and without it."""
    from datetime import date

    from tests.helpers import day_messages

    messages = day_messages(date(2026, 11, 20), 300, 12, seed=9)
    captures = [m for m in messages if m[1] == "OrderCaptured"]
    messages += captures[::37]  # redelivered
    batch = [Inbound(t, 0, i, REGISTRY.encode(name, r)) for i, (t, name, r) in enumerate(messages)]

    def journal(with_lane: bool):
        carry = Context(POLICY, {}, {}, {}, lane=LANE if with_lane else None)
        seq, chain, rows, rejected, taken, parked = 1, bytes(32), [], [], 0, 0
        for start in range(0, len(batch), 64):
            decoded = []
            for m in batch[start:start + 64]:
                c = LANE.parse(m.value) if with_lane and m.topic == ORDERS else None
                taken += c is not None
                decoded.append(Decoded(m, LANE.type, c, c.event_id, c.digest) if c is not None
                               else decode(m, REGISTRY, lambda t: t))
            # every order so far, as the consumer has them (carried, or read from the journal)
            ctx = Context(POLICY, dict(carry.digests), dict(carry.orders), {}, lane=carry.lane)
            ctx.lane_orders.update(carry.lane_orders)
            out = apply_rules(decoded, ctx)
            parked += len(out.parked)
            formatted = format_rows(out.staged, seq, chain)
            seq, chain = formatted.last_seq + 1, formatted.last_hash
            rows += formatted.transactions + formatted.postings
            rejected += [(r.reason_code, r.detail, r.source_offset) for r in out.rejected]
            carry = ctx
        return rows, chain, rejected, taken, parked

    lane_rows, lane_chain, lane_rejected, taken, lane_parked = journal(True)
    ref_rows, ref_chain, ref_rejected, none, ref_parked = journal(False)
    assert taken == len(captures) + len(captures[::37]) and none == 0
    assert lane_chain == ref_chain and lane_rows == ref_rows and lane_rejected == ref_rejected
    assert lane_parked == ref_parked == 0
    assert sum(m[1] == "RefundIssued" for m in messages) > 5 and sum(m[1] == "DisputeOpened" for m in messages) > 2
