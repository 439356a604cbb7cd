"""Release, refunds and disputes (DESIGN.md, Events and their postings), pure."""

from datetime import timedelta

import pytest

from services.domain.errors import NoOp, Park, Reason, Rejected
from services.domain.events import CaptureLine, DisputeOpened, DisputeResolved, RefundIssued, RefundLine, ReleaseEscrow
from services.domain.order_state import OrderState
from services.domain.rules.capture import Policy, handle_order_captured
from services.domain.rules.disputes import handle_dispute_opened, handle_dispute_resolved
from services.domain.rules.refunds import handle_refund_issued
from services.domain.rules.release import handle_release_escrow
from tests.unit.test_capture_rule import T0, seed_order

DUE = T0 + timedelta(days=30)


def captured(order=None) -> tuple[OrderState, object]:
    txn = handle_order_captured(order or seed_order(), Policy())
    state = OrderState("O_8821")
    state.apply(txn)
    return state, txn


def release(state, bp=None, at=DUE):
    txn = handle_release_escrow(ReleaseEscrow("release:O_8821", at, "O_8821"), state, bp or {"S_114": 250})
    state.apply(txn)
    return txn


def refund(state, lines, shipping=0, eid="r1"):
    txn = handle_refund_issued(RefundIssued(f"evt_{eid}", DUE, eid, "O_8821", tuple(lines), shipping, "RETURN"), state)
    state.apply(txn)
    return txn


def as_dict(txn):
    return {p.account: p.amount_minor for p in txn.postings}


def test_seed_release_pays_156_withholds_4_and_recognises_20_revenue():
    state, _ = captured()
    txn = release(state)
    assert as_dict(txn) == {
        "order:O_8821:escrow:seller:S_114": 16000, "seller:S_114:payable": -15600, "ops:tax:withholding": -400,
        "order:O_8821:escrow:platform": 2000, "ops:revenue:takerate": -2000,
        "order:O_8821:escrow:shipping": 2000, "ops:payable:shipping": -2000,
    }
    assert all(b == 0 for b in state.escrow().values())


def test_release_before_the_window_is_rejected():
    state, _ = captured()
    with pytest.raises(Rejected) as exc:
        release(state, at=DUE - timedelta(seconds=1))
    assert exc.value.reason is Reason.RELEASE_BEFORE_WINDOW


def test_releasing_twice_is_a_no_op():
    state, _ = captured()
    release(state)
    with pytest.raises(NoOp):
        release(state)


def test_release_of_an_order_with_an_open_dispute_is_refused():
    state, _ = captured()
    state.apply(handle_dispute_opened(DisputeOpened("d1", T0, "D1", "O_8821", 5000, "fraud"), state))
    with pytest.raises(Rejected) as exc:
        release(state)
    assert exc.value.reason is Reason.DISPUTE_OPEN


def test_release_before_capture_parks():
    with pytest.raises(Park) as exc:
        handle_release_escrow(ReleaseEscrow("release:O_1", DUE, "O_1"), OrderState("O_1"), {})
    assert exc.value.reason is Reason.UNKNOWN_ORDER


def test_seed_partial_refund_reverses_only_seller_and_platform_escrow_pointing_at_the_capture():
    state, capture_txn = captured()
    txn = refund(state, [RefundLine("S_114", 18000, 2000)], shipping=0)
    assert as_dict(txn) == {"order:O_8821:escrow:seller:S_114": 16000, "order:O_8821:escrow:platform": 2000,
                            "ops:pool:card": -18000}
    assert txn.reverses_transaction_id == capture_txn.transaction_id
    assert state.balances["order:O_8821:escrow:shipping"] == 2000  # shipping untouched


def test_refund_beyond_what_escrow_holds_is_rejected():
    state, _ = captured()
    refund(state, [RefundLine("S_114", 10000, 1000)])
    with pytest.raises(Rejected) as exc:
        refund(state, [RefundLine("S_114", 10000, 1000)], eid="r2")  # 9000 + 9000 > 16000
    assert exc.value.reason is Reason.REFUND_EXCEEDS_HELD


def test_refund_after_release_claws_back_from_payable_withholding_and_revenue_in_proportion():
    state, _ = captured()
    release_txn = release(state)  # 160.00 -> 156.00 payable + 4.00 withholding (2.5 %)
    txn = refund(state, [RefundLine("S_114", 9000, 1000)], shipping=2000)  # share 80.00, fee 10.00
    assert as_dict(txn) == {"seller:S_114:payable": 7800, "ops:tax:withholding": 200,
                            "ops:revenue:takerate": 1000, "ops:payable:shipping": 2000, "ops:pool:card": -11000}
    assert txn.kind == "refund_after_release" and txn.reverses_transaction_id == release_txn.transaction_id


def test_claw_back_rounds_half_even_and_the_payable_takes_the_remainder():
    order = seed_order(amount=10001, gateway_fee=0, shipping=0, lines=(CaptureLine("S_114", "I", 10001, 0),))
    state, _ = captured(order)
    release(state, bp={"S_114": 250})  # withholding 250.025 -> 250
    txn = refund(state, [RefundLine("S_114", 3, 0)])  # 3 * 250 / 10001 = 0.07 -> 0
    assert as_dict(txn) == {"seller:S_114:payable": 3, "ops:pool:card": -3}
    txn = refund(state, [RefundLine("S_114", 202, 0)], eid="r2")  # 202 * 250 / 10001 = 5.0497 -> 5
    assert as_dict(txn) == {"seller:S_114:payable": 197, "ops:tax:withholding": 5, "ops:pool:card": -202}
    assert sum(as_dict(txn).values()) == 0


def test_claw_back_beyond_what_was_released_is_rejected():
    state, _ = captured()
    release(state)
    with pytest.raises(Rejected) as exc:
        refund(state, [RefundLine("S_114", 19000, 2000)])
    assert exc.value.reason is Reason.REFUND_EXCEEDS_HELD


def test_dispute_before_release_moves_escrow_pro_rata_to_the_hold_and_won_returns_it():
    state, _ = captured()
    opened = handle_dispute_opened(DisputeOpened("d1", T0, "D1", "O_8821", 10000, "not received"), state)
    state.apply(opened)
    assert as_dict(opened) == {"order:O_8821:escrow:seller:S_114": 8000, "order:O_8821:escrow:platform": 1000,
                               "order:O_8821:escrow:shipping": 1000, "order:O_8821:dispute:hold": -10000}
    won = handle_dispute_resolved(DisputeResolved("d2", T0, "D1", "O_8821", "won"), state)
    state.apply(won)
    assert as_dict(won) == {k: -v for k, v in as_dict(opened).items()}
    assert won.reverses_transaction_id == opened.transaction_id
    assert state.balances["order:O_8821:escrow:seller:S_114"] == 16000 and not state.open_disputes


def test_dispute_lost_leaves_the_pool_with_its_chargeback_fee():
    state, _ = captured()
    state.apply(handle_dispute_opened(DisputeOpened("d1", T0, "D1", "O_8821", 20000, "fraud"), state))
    lost = handle_dispute_resolved(DisputeResolved("d2", T0, "D1", "O_8821", "lost", 1500), state)
    assert sorted(lost.postings) == sorted([
        ("order:O_8821:dispute:hold", "BRL", 20000), ("ops:pool:card", "BRL", -20000),
        ("ops:expense:chargeback:card", "BRL", 1500), ("ops:pool:card", "BRL", -1500)])


def test_dispute_after_release_is_taken_from_every_part_in_proportion_to_what_is_left():
    state, _ = captured()
    release(state)  # payable 156.00, withholding 4.00, take rate 20.00, shipping 20.00
    opened = handle_dispute_opened(DisputeOpened("d1", DUE, "D1", "O_8821", 5000, "fraud"), state)
    assert as_dict(opened) == {"seller:S_114:payable": 3900, "ops:tax:withholding": 100, "ops:revenue:takerate": 500,
                               "ops:payable:shipping": 500, "order:O_8821:dispute:hold": -5000}
    assert opened.metadata["hold"] == {"S_114": 3900} and opened.metadata["withholding"] == {"S_114": -100}
    state.apply(opened)
    won = handle_dispute_resolved(DisputeResolved("d2", DUE, "D1", "O_8821", "won"), state)
    assert as_dict(won) == {k: -v for k, v in as_dict(opened).items()}  # back exactly where it came from
    assert won.metadata["withholding"] == {"S_114": 100}
    state.apply(won)
    assert state.left == {"payable:S_114": 15600, "withholding:S_114": 400, "platform": 2000, "shipping": 2000}


def test_a_second_dispute_after_release_holds_only_what_the_first_did_not():
    """Issue 11, finding 1, on seed 003: D1 160.00 holds, D2 160.00 is refused, D1 is lost,
    and a full refund is refused: the pool pays out at most what the order captured."""
    state, _ = captured()
    release(state)
    state.apply(handle_dispute_opened(DisputeOpened("d1", DUE, "D1", "O_8821", 16000, "fraud"), state))
    with pytest.raises(Rejected) as exc:
        handle_dispute_opened(DisputeOpened("d2", DUE, "D2", "O_8821", 16000, "fraud"), state)
    assert exc.value.reason is Reason.DISPUTE_EXCEEDS_HELD
    state.apply(handle_dispute_resolved(DisputeResolved("d3", DUE, "D1", "O_8821", "lost"), state))
    with pytest.raises(Rejected) as exc:
        refund(state, [RefundLine("S_114", 18000, 2000)], shipping=2000)
    assert exc.value.reason is Reason.REFUND_EXCEEDS_HELD
    rest = refund(state, [RefundLine("S_114", 3600, 400)], shipping=400)  # exactly what the chargeback left
    assert as_dict(rest)["ops:pool:card"] == -4000
    assert all(v == 0 for v in state.left.values())


def test_a_full_chargeback_of_a_released_order_takes_every_part_withholding_included():
    """Findings 2 and 3: 200.00 on released O_8821 posts, and the tax office gives back its
    4.00 with the money."""
    state, _ = captured()
    release(state)
    opened = handle_dispute_opened(DisputeOpened("d1", DUE, "D1", "O_8821", 20000, "fraud"), state)
    assert as_dict(opened) == {"seller:S_114:payable": 15600, "ops:tax:withholding": 400, "ops:revenue:takerate": 2000,
                               "ops:payable:shipping": 2000, "order:O_8821:dispute:hold": -20000}
    state.apply(opened)
    lost = handle_dispute_resolved(DisputeResolved("d2", DUE, "D1", "O_8821", "lost"), state)
    assert as_dict(lost) == {"order:O_8821:dispute:hold": 20000, "ops:pool:card": -20000}


def test_partial_claw_backs_that_take_a_whole_share_leave_no_cent_behind():
    """Finding 4: 160.00 refunded after release as 53.33 + 53.33 + 53.34 claws back exactly
    the 4.00 withheld; payable and withholding end at zero."""
    state, _ = captured()
    release(state)
    txns = [refund(state, [RefundLine("S_114", a, 0)], eid=f"r{i}") for i, a in enumerate((5333, 5333, 5334))]
    assert [as_dict(t).get("ops:tax:withholding", 0) for t in txns] == [133, 133, 134]
    assert sum(as_dict(t)["seller:S_114:payable"] for t in txns) == 15600
    assert state.left["payable:S_114"] == 0 and state.left["withholding:S_114"] == 0


def test_a_claw_back_whose_payable_part_is_zero_is_still_recorded():
    """Finding 5: with 100 % withholding the same refund after release posts once."""
    state, _ = captured()
    release(state, bp={"S_114": 10_000})
    refund(state, [RefundLine("S_114", 16000, 0)])
    with pytest.raises(Rejected) as exc:
        refund(state, [RefundLine("S_114", 16000, 0)], eid="r2")
    assert exc.value.reason is Reason.REFUND_EXCEEDS_HELD


def test_a_second_resolution_of_a_resolved_dispute_is_a_conflict_not_parked():
    state, _ = captured()
    state.apply(handle_dispute_opened(DisputeOpened("d1", T0, "D1", "O_8821", 5000, "fraud"), state))
    state.apply(handle_dispute_resolved(DisputeResolved("d2", T0, "D1", "O_8821", "won"), state))
    with pytest.raises(Rejected) as exc:
        handle_dispute_resolved(DisputeResolved("d3", T0, "D1", "O_8821", "lost"), state)
    assert exc.value.reason is Reason.DUPLICATE_CONFLICT


def test_dispute_beyond_what_is_held_is_rejected():
    state, _ = captured()
    with pytest.raises(Rejected) as exc:
        handle_dispute_opened(DisputeOpened("d1", T0, "D1", "O_8821", 20001, "fraud"), state)
    assert exc.value.reason is Reason.DISPUTE_EXCEEDS_HELD


def test_resolution_of_a_dispute_not_yet_opened_parks():
    state, _ = captured()
    with pytest.raises(Park) as exc:
        handle_dispute_resolved(DisputeResolved("d2", T0, "D9", "O_8821", "won"), state)
    assert exc.value.reason is Reason.UNKNOWN_DISPUTE
