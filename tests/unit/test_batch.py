"""Batch preparation: idempotency by event_id, conflicts, rejections, no I/O."""

from services.adapters.avro import SchemaRegistry
from services.domain.errors import Reason
from services.domain.rules.capture import Policy
from services.posting.batch import Context, Inbound, apply_rules, decode
from tests.helpers import capture

REGISTRY = SchemaRegistry.from_dir()
TOPIC = "marketplace.orders"


def msg(rec_or_bytes, offset):
    value = rec_or_bytes if isinstance(rec_or_bytes, bytes) else REGISTRY.encode("OrderCaptured", rec_or_bytes)
    return Inbound(TOPIC, 0, offset, value)


def prepare(messages, posted=None):
    decoded = [decode(m, REGISTRY, lambda t: t) for m in messages]
    return apply_rules(decoded, Context(Policy(), dict(posted or {}), {}, {}))


def test_the_same_event_twice_in_a_batch_is_staged_once():
    out = prepare([msg(capture("O_1"), 0), msg(capture("O_1"), 1)])
    assert len(out.staged) == 1 and out.duplicates == 1 and not out.rejected


def test_same_event_id_with_other_content_is_a_duplicate_conflict():
    other = capture("O_1", amount=20100, shipping=2100)
    out = prepare([msg(capture("O_1"), 0), msg(other, 1)])
    assert len(out.staged) == 1
    assert [r.reason_code for r in out.rejected] == [Reason.DUPLICATE_CONFLICT.value]
    assert out.rejected[0].source_offset == 1 and out.rejected[0].payload == msg(other, 1).value


def test_an_event_already_in_the_journal_is_a_no_op():
    rec = capture("O_1")
    posted_digest = decode(msg(rec, 5), REGISTRY, lambda t: t).digest
    out = prepare([msg(rec, 5)], posted={rec["event_id"]: posted_digest})
    assert not out.staged and out.duplicates == 1 and not out.rejected


def test_digest_is_the_same_for_v1_and_v2_encodings_of_one_event():
    rec = capture("O_1")
    v1 = {k: v for k, v in rec.items() if k != "channel"}
    v1["lines"] = [{k: v for k, v in ln.items() if k != "currency"} for ln in rec["lines"]]
    a = decode(Inbound(TOPIC, 0, 0, REGISTRY.encode("OrderCaptured", v1, version=1)), REGISTRY, lambda t: t)
    b = decode(Inbound(TOPIC, 0, 1, REGISTRY.encode("OrderCaptured", rec)), REGISTRY, lambda t: t)
    assert a.digest == b.digest
    c = decode(Inbound(TOPIC, 0, 2, REGISTRY.encode("OrderCaptured", {**rec, "shipping": 2001, "amount": 20001})),
               REGISTRY, lambda t: t)
    assert c.digest != a.digest


def test_poison_between_good_messages_is_rejected_and_the_good_ones_stage():
    out = prepare([msg(capture("O_1"), 0), msg(b"not avro", 1), msg(capture("O_2"), 2)])
    assert [s.transaction.order_id for s in out.staged] == ["O_1", "O_2"]
    assert [(r.reason_code, r.source_offset, r.payload) for r in out.rejected] == [
        (Reason.SCHEMA_INVALID.value, 1, b"not avro")]


def test_a_record_on_the_wrong_topic_is_rejected():
    m = Inbound("marketplace.refunds", 0, 0, REGISTRY.encode("OrderCaptured", capture("O_1")))
    out = apply_rules([decode(m, REGISTRY, lambda t: t)], Context(Policy(), {}, {}, {}))
    assert out.rejected[0].reason_code == Reason.SCHEMA_INVALID.value
