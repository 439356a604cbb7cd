"""Hostile input: whatever the bytes, and whatever a well-formed message says, decoding
and the rules answer with a reason code (or a posting within bounds), never an
exception. No I/O: the rules run against an in-memory context."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime, timedelta, timezone

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.adapters.avro import MAGIC, SCHEMAS_DIR, SchemaRegistry
from services.adapters.postgres.rejections import RejectedMessage
from services.domain import bounds
from services.domain.errors import Reason
from services.domain.rules.capture import Policy
from services.posting import batch as batch_module
from services.posting.batch import Context, Decoded, Inbound, apply_rules, decode
from services.posting.registry import BY_NAME
from tests.helpers import capture, dispute_opened, refund

REGISTRY = SchemaRegistry.from_dir()
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
REASONS = {r.value for r in Reason}
BIGINT = 2**63 - 1


def _topic_of(topic: str) -> str:
    return topic


def _ledger_with_an_order() -> Context:
    """A context in which O_1 (seller S_1, BRL) is captured, so hostile events about it
    reach the rules of a real order, not only parking."""
    ctx = Context(Policy(), {}, {}, {})
    out = apply_rules([decode(Inbound("marketplace.orders", 0, 0, REGISTRY.encode("OrderCaptured", capture("O_1"))),
                              REGISTRY, _topic_of)], ctx)
    assert len(out.staged) == 1
    return ctx


def run(messages: list[Inbound], ctx: Context | None = None):
    decoded = [decode(m, REGISTRY, _topic_of) for m in messages]
    return decoded, apply_rules(decoded, ctx or _ledger_with_an_order())


def assert_answered(messages: list[Inbound], ctx: Context | None = None) -> None:
    """Every message is rejected with a known reason, parked, a duplicate or a no-op, or
    posted as a transaction the journal can hold; none raises."""
    decoded, out = run(messages, ctx)
    assert {r.reason_code for r in out.rejected} <= REASONS
    for s in out.staged:
        postings = s.transaction.postings
        assert len(postings) <= bounds.POSTINGS_MAX
        assert all(-BIGINT <= p.amount_minor <= BIGINT for p in postings)
        assert sum(p.amount_minor for p in postings) == 0
    accounted = len(out.staged) + len(out.profiles) + len(out.rejected) + len(out.parked) + out.duplicates + out.noops
    assert accounted == len(messages)
    for d in decoded:  # nothing out of bounds got past decoding
        if isinstance(d, Decoded):
            bounds.check_event(d.event)


# -- arbitrary bytes ----------------------------------------------------------------

def _header_of(name: str) -> bytes:
    return MAGIC + REGISTRY.latest(name).fingerprint


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(
    st.binary(max_size=200),
    st.builds(lambda n, body: _header_of(n) + body, st.sampled_from(sorted(BY_NAME)), st.binary(max_size=300)),
), min_size=1, max_size=8), st.sampled_from(sorted({h.topic for h in BY_NAME.values()})))
def test_arbitrary_bytes_get_a_reason_code_never_an_exception(values, topic):
    assert_answered([Inbound(topic, 0, i, v) for i, v in enumerate(values)])


# -- well-formed but absurd: every field at and beyond its bounds ---------------------

def _raw_schema(name: str) -> dict:
    """The reader schema of `name` with timestamps as plain longs: the same fingerprint
    (logical types are not in the canonical form), so any long can be written."""
    raw = json.loads(REGISTRY.latest(name).path.read_text())

    def strip(node):
        if isinstance(node, dict):
            node = {k: strip(v) for k, v in node.items()}
            if node.get("logicalType") == "timestamp-millis":
                return "long"
            return node
        if isinstance(node, list):
            return [strip(x) for x in node]
        return node

    return strip(raw)


def _millis(t: datetime) -> int:
    return (t - EPOCH) // timedelta(milliseconds=1)


EDGE_STRINGS = ["", "O_1", "S_1", "D_1", "BRL", "USD", "won", "lost", "SETTLED", "card", "a" * 128, "a" * 129,
                "x" * 10_000, "O\x00_1", "tab\there", "\u202eRTL", "ok:colon", "é", "\x7f", "S_1 "]
EDGE_LONGS = [0, 1, -1, 100, 20_000, bounds.AMOUNT_MAX_MINOR, bounds.AMOUNT_MAX_MINOR + 1, -bounds.AMOUNT_MAX_MINOR - 1,
              BIGINT, -BIGINT - 1, 2**31, -(2**31)]
EDGE_TIMES = [_millis(bounds.OCCURRED_MIN) - 1, _millis(bounds.OCCURRED_MIN), _millis(bounds.OCCURRED_MAX) - 1,
              _millis(bounds.OCCURRED_MAX), _millis(datetime(9999, 12, 20, tzinfo=timezone.utc)),
              _millis(datetime(2026, 11, 2, tzinfo=timezone.utc)), -1, BIGINT, -BIGINT - 1]


def _values(schema, name: str = ""):
    """A strategy for values of an Avro schema, leaning on the edges."""
    if isinstance(schema, list):
        return st.one_of([_values(s, name) for s in schema])
    if isinstance(schema, dict):
        t = schema["type"]
        if t == "record":
            return st.fixed_dictionaries({f["name"]: _values(f["type"], f["name"]) for f in schema["fields"]})
        if t == "array":
            return st.lists(_values(schema["items"], name), max_size=4)
        if t == "enum":
            return st.sampled_from(schema["symbols"])
        if t == "map":
            return st.dictionaries(st.text(max_size=5), _values(schema["values"], name), max_size=3)
        return _values(t, name)
    if schema == "null":
        return st.none()
    if schema == "boolean":
        return st.booleans()
    if schema == "string":
        return st.one_of(st.sampled_from(EDGE_STRINGS), st.text(max_size=40))
    if schema == "bytes":
        return st.binary(max_size=20)
    if schema == "int":
        return st.one_of(st.sampled_from([0, 1, -1, 10_000, 10_001, 2**31 - 1, -(2**31)]),
                         st.integers(-(2**31), 2**31 - 1))
    if schema == "long":
        if name == "occurred_at":
            return st.one_of(st.sampled_from(EDGE_TIMES), st.integers(-BIGINT - 1, BIGINT))
        return st.one_of(st.sampled_from(EDGE_LONGS), st.integers(-BIGINT - 1, BIGINT))
    raise AssertionError(f"no strategy for {schema!r}")


def _encoded(name: str, record: dict) -> bytes:
    buf = io.BytesIO()
    buf.write(_header_of(name))
    fastavro.schemaless_writer(buf, fastavro.parse_schema(_raw_schema(name), named_schemas={}), record)
    return buf.getvalue()


@st.composite
def absurd_message(draw):
    name = draw(st.sampled_from(sorted(BY_NAME)))
    record = draw(_values(_raw_schema(name)))
    return Inbound(BY_NAME[name].topic, 0, 0, _encoded(name, record))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(absurd_message(), min_size=1, max_size=6))
def test_absurd_but_well_formed_events_get_a_reason_code_never_an_exception(messages):
    assert_answered([m._replace(offset=i) for i, m in enumerate(messages)])


# -- each category the issue found, by name ---------------------------------------

def _one(topic: str, name: str, record: dict) -> RejectedMessage:
    _, out = run([Inbound(topic, 0, 7, REGISTRY.encode(name, record))])
    assert not out.staged and not out.parked and len(out.rejected) == 1
    return out.rejected[0]


@pytest.mark.parametrize("changes, where", [
    ({"event_id": "evt\x00nul"}, "event_id holds a control character"),
    ({"event_id": "e" * 10_240}, "event_id has 10,240 characters"),
    ({"occurred_at": datetime(9999, 12, 20, tzinfo=timezone.utc)}, "occurred_at = 9999-12-20"),
    ({"occurred_at": datetime(1999, 12, 31, 23, 59, tzinfo=timezone.utc)}, "occurred_at = 1999-12-31"),
    ({"amount": BIGINT, "gateway_fee": 0, "shipping": 0}, "amount = 9223372036854775807"),
])
def test_a_capture_outside_the_bounds_is_out_of_bounds(changes, where):
    r = _one("marketplace.orders", "OrderCaptured", capture("O_9", **changes))
    assert r.reason_code == Reason.OUT_OF_BOUNDS.value and where in r.detail


def test_a_capture_with_more_lines_than_the_bound_is_out_of_bounds():
    line = capture("O_9")["lines"][0]
    n = bounds.LINES_MAX + 1
    rec = capture("O_9", lines=[dict(line, seller_id=f"S_{i}") for i in range(n)],
                  amount=n * line["amount"], shipping=0)
    r = _one("marketplace.orders", "OrderCaptured", rec)
    assert r.reason_code == Reason.OUT_OF_BOUNDS.value and "lines has 1,001 entries" in r.detail


def test_a_refund_with_a_10kb_order_id_is_out_of_bounds():
    r = _one("marketplace.refunds", "RefundIssued", refund("O" * 10_000, "R_1", [("S_1", 100, 0)]))
    assert r.reason_code == Reason.OUT_OF_BOUNDS.value


def test_a_message_larger_than_the_bound_is_rejected_without_decoding():
    value = REGISTRY.encode("OrderCaptured", capture("O_9")) + b"\x00" * bounds.MESSAGE_MAX_BYTES
    _, out = run([Inbound("marketplace.orders", 0, 3, value)])
    [r] = out.rejected
    assert r.reason_code == Reason.MESSAGE_TOO_LARGE.value and r.payload == value


@pytest.mark.parametrize("name, topic, record, reason", [
    ("RefundIssued", "marketplace.refunds", refund("O_404", "R_1", [("S_1", -100, 0)]), Reason.NEGATIVE_AMOUNT),
    ("RefundIssued", "marketplace.refunds", refund("O_404", "R:1", [("S_1", 100, 0)]), Reason.INVALID_FIELD),
    ("RefundIssued", "marketplace.refunds", {**refund("O_404", "R_1", [("S_1", 100, 0)]), "currency": "XYZ"},
     Reason.UNKNOWN_CURRENCY),
    ("DisputeOpened", "marketplace.disputes", dispute_opened("O_404", "D_1", -5), Reason.NEGATIVE_AMOUNT),
    ("DisputeOpened", "marketplace.disputes", dispute_opened("O_404", "D:1", 5), Reason.INVALID_FIELD),
    ("DisputeOpened", "marketplace.disputes", {**dispute_opened("O_404", "D_1", 5), "currency": "ZZZ"},
     Reason.UNKNOWN_CURRENCY),
])
def test_an_invalid_event_for_an_order_never_captured_is_rejected_not_parked(name, topic, record, reason):
    assert _one(topic, name, record).reason_code == reason.value


def test_a_valid_refund_for_an_order_never_captured_still_parks():
    _, out = run([Inbound("marketplace.refunds", 0, 0, REGISTRY.encode("RefundIssued",
                                                                       refund("O_404", "R_1", [("S_1", 100, 0)])))])
    assert len(out.parked) == 1 and not out.rejected


def test_an_event_id_is_unique_across_kinds_of_input_in_memory_too():
    """A capture reusing a profile's event_id conflicts (the journal-wide lookup is in
    the integration tests: store.journal.recorded_digests)."""
    prof = {"event_id": "evt_shared", "occurred_at": datetime(2026, 11, 1, tzinfo=timezone.utc), "seller_id": "S_1",
            "withholding_rate_bp": 250, "payout_minimum": 0, "payout_hold": False, "bank_account_ref": "B1"}
    _, out = run([Inbound("marketplace.sellers", 0, 0, REGISTRY.encode("SellerProfileUpdated", prof)),
                  Inbound("marketplace.orders", 0, 0, REGISTRY.encode("OrderCaptured",
                                                                      capture("O_5", event_id="evt_shared")))])
    assert len(out.profiles) == 1 and [r.reason_code for r in out.rejected] == [Reason.DUPLICATE_CONFLICT.value]


def test_an_unexpected_error_in_a_rule_rejects_that_message_only(monkeypatch):
    def broken(e, ctx):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(BY_NAME, "OrderCaptured", dataclasses.replace(BY_NAME["OrderCaptured"], rule=broken))
    ctx = Context(Policy(), {}, {}, {})
    good = Inbound("marketplace.refunds", 0, 1, REGISTRY.encode("RefundIssued", refund("O_1", "R_1", [("S_1", 1, 0)])))
    bad = Inbound("marketplace.orders", 0, 0, REGISTRY.encode("OrderCaptured", capture("O_1")))
    _, out = run([bad, good], ctx)
    [r] = out.rejected
    assert r.reason_code == Reason.INTERNAL_ERROR.value and r.source_offset == 0
    assert "ZeroDivisionError: a bug" in r.detail and "broken" in r.detail
    assert len(out.parked) == 1  # the message after it is still answered


def test_printable_escapes_control_characters_and_cuts_long_text():
    assert bounds.printable("a\x00b\nc") == "a\\x00b\\nc"
    assert bounds.printable("x" * 300, 128) == "x" * 128 + "...(+172 characters)"
    assert bounds.printable(None) is None


def test_every_schema_file_is_known_to_the_tests():
    assert {p.stem.split(".")[0] for p in SCHEMAS_DIR.rglob("*.avsc")} >= set(BY_NAME)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_values(_raw_schema("OrderCaptured")))
def test_the_captures_fast_bounds_check_passes_only_what_the_full_walk_passes(record):
    """capture_plainly_within is the hot path's shortcut: whatever it lets through, the
    field-by-field walk would have let through too."""
    answer = batch_module.decode_value(_encoded("OrderCaptured", record), REGISTRY)
    if answer[0] != batch_module.DECODED:
        return
    event = answer[2]
    full = True
    try:
        bounds._record(event)
    except bounds._Beyond:
        full = False
    assert not bounds.capture_plainly_within(event) or full


def test_the_captures_fast_bounds_check_lets_an_ordinary_capture_through():
    from services.domain.events import OrderCaptured

    assert bounds.capture_plainly_within(OrderCaptured.from_record(capture("O_1")))
