"""Reporting dimensions (OrderCaptured v3), pure: a capture records its channel, region
and per seller and category what the buyer paid and the platform's fee; a refund
records what it returned split over the seller's categories, exactly, never more than a
category had, and a seller refunded in full leaves nothing in any category; a capture
without dimensions keeps the digest it had before them."""

from hypothesis import given, settings
from hypothesis import strategies as st

from services.domain.events import CaptureLine, RefundIssued, RefundLine
from services.domain.order_state import OrderState
from services.domain.rules.capture import Policy, handle_order_captured
from services.domain.rules.refunds import handle_refund_issued
from tests.unit.test_capture_rule import T0, seed_order

CATEGORIES = ("books", "toys", "garden", None)


def test_a_capture_records_its_dimensions_per_seller_and_category():
    e = seed_order(amount=32000, shipping=2000, channel="app", region="BR-SP", lines=(
        CaptureLine("S_1", "a", 10000, 1000, category="books"), CaptureLine("S_2", "b", 10000, 1500),
        CaptureLine("S_1", "c", 10000, 1000, category="toys")))
    md = handle_order_captured(e, Policy()).metadata
    assert (md["channel"], md["region"]) == ("app", "BR-SP")
    assert md["sales"] == {"S_1": {"books": [10000, 1000], "toys": [10000, 1000]}, "S_2": {"": [10000, 1500]}}


def test_a_capture_without_dimensions_keeps_its_digest_and_records_only_its_channel():
    e = seed_order(channel="web")
    assert "category" not in e.identity() and "channel" not in e.identity()
    assert e.identity() == repr(seed_order()).replace(", channel=None, region=None", "").replace(
        ", category=None", "")
    md = handle_order_captured(e, Policy()).metadata
    assert md["channel"] == "web" and "sales" not in md and "region" not in md
    assert "dimensions=" in seed_order(region="BR-RJ").identity()


lines = st.lists(st.tuples(st.sampled_from(["S_1", "S_2"]), st.sampled_from(CATEGORIES), st.integers(1, 50_000),
                           st.integers(0, 100)), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(lines, st.lists(st.tuples(st.sampled_from(["S_1", "S_2"]), st.integers(1, 100), st.integers(0, 100)),
                       max_size=6), st.booleans())
def test_refunds_split_exactly_over_the_categories_and_a_full_refund_leaves_nothing(drawn, refunds, to_the_end):
    cl = tuple(CaptureLine(s, f"i{n}", amount, amount * pct // 100, category=c)
               for n, (s, c, amount, pct) in enumerate(drawn))
    e = seed_order(amount=sum(x.amount for x in cl), shipping=0, gateway_fee=0, lines=cl, region="BR-SP")
    state = OrderState(e.order_id)
    state.apply(handle_order_captured(e, Policy()))
    gross = {s: {c: v[0] for c, v in cells.items()} for s, cells in state.sales_left.items()}
    steps = [(s, pct, fpct) for s, pct, fpct in refunds]
    if to_the_end:
        steps += [(s, 100, 100) for s in gross]
    for n, (seller, pct, fpct) in enumerate(steps):
        if seller not in gross:
            continue
        left_share = state.escrow().get(f"order:{e.order_id}:escrow:seller:{seller}", 0)
        left_fee = state.platform_fees_left.get(seller, 0)
        share, fee = left_share * pct // 100, left_fee * fpct // 100
        if share + fee == 0:
            continue
        txn = handle_refund_issued(RefundIssued(f"r{n}", T0, f"R{n}", e.order_id, (RefundLine(seller, share + fee, fee),),
                                                0, "RETURN"), state)
        returned = txn.metadata["sales"][seller]
        assert sum(g for g, _f in returned.values()) == share + fee and sum(f for _g, f in returned.values()) == fee
        state.apply(txn)
        for category, (g, f) in state.sales_left[seller].items():
            assert 0 <= g <= gross[seller][category] and f >= 0  # never more than a category had
    if to_the_end:
        assert all(v == [0, 0] for cells in state.sales_left.values() for v in cells.values())
