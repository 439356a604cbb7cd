"""The decoder helper process answers exactly what decoding in-process answers."""

import multiprocessing

from services.adapters.avro import SchemaRegistry
from services.posting.batch import Inbound, decode
from services.posting.overlap import DecodeAhead
from tests.helpers import capture, dispute_opened

REGISTRY = SchemaRegistry.from_dir()


def messages() -> list[Inbound]:
    values = [
        REGISTRY.encode("OrderCaptured", capture("O_1")),
        b"garbage",
        b"\xc3\x01" + b"\x01" * 8 + b"??",  # unknown writer fingerprint
        REGISTRY.encode("OrderCaptured", capture("O_2", amount=20001)),  # decodes; the rules reject it later
        REGISTRY.encode("DisputeOpened", dispute_opened("O_1", "D_1", 500)),  # a rule exists, not for this topic
        REGISTRY.encode("OrderCaptured", capture("O_3"), version=1),
        None,
    ]
    return [Inbound("marketplace.orders", 0, i, v) for i, v in enumerate(values)]


def test_the_helper_process_decodes_as_this_process_does_and_is_gone_after_close():
    batch = messages()
    decoder = DecodeAhead(REGISTRY, lambda topic: topic, min_batch=1)
    try:
        here = decoder.submit(batch)()  # decoded here while the helper starts
        assert multiprocessing.active_children(), "a batch at min_batch starts the helper"
        helped = decoder.submit(batch)()
        assert helped == here == [decode(m, REGISTRY, lambda topic: topic) for m in batch]
        assert [type(d).__name__ for d in helped] == [
            "Decoded", "RejectedMessage", "RejectedMessage", "Decoded", "RejectedMessage", "Decoded", "RejectedMessage"]
        assert helped[4].detail == "no posting rule for DisputeOpened on marketplace.orders"
    finally:
        decoder.close()
    assert not multiprocessing.active_children()


def test_small_batches_are_decoded_here_without_a_helper():
    decoder = DecodeAhead(REGISTRY, lambda topic: topic, min_batch=100)
    assert len(decoder.submit(messages())()) == 7
    assert decoder._helper is None and not multiprocessing.active_children()


def test_with_the_capture_lane_plain_captures_are_the_lanes_and_everything_else_is_decoded_as_before():
    from services.domain.rules.capture import Policy
    from services.posting.lane import CaptureLane, LaneCapture

    batch = messages() + [Inbound("marketplace.refunds", 0, 9, REGISTRY.encode("RefundIssued", {
        "event_id": "evt_r", "occurred_at": capture("O_1")["occurred_at"], "refund_id": "R_1", "order_id": "O_1",
        "lines": [], "shipping": 0, "reason_code": "X", "currency": None}))]
    decoder = DecodeAhead(REGISTRY, lambda topic: topic, min_batch=100, lane=CaptureLane(REGISTRY, Policy()))
    try:
        answers = decoder.submit(batch)()
    finally:
        decoder.close()
    reference = [decode(m, REGISTRY, lambda topic: topic) for m in batch]
    lane = [i for i, a in enumerate(answers) if type(getattr(a, "event", None)) is LaneCapture]
    assert lane == [0]  # the plain v2 capture; O_2 does not add up (the reference decodes it, the rules reject it)
    for i, (ours, theirs) in enumerate(zip(answers, reference)):
        if i in lane:
            assert (ours.msg, ours.event_id, ours.digest, ours.order_id) == (
                theirs.msg, theirs.event_id, theirs.digest, theirs.order_id)
        else:
            assert ours == theirs
