"""Rolling reserves (DESIGN.md, seller:{s}:reserve), pure: the release's reserve share,
the reserve release after its period, covering a negative payable when a payout batch is
made, a seller on hold, and the profile's bounds."""

from datetime import timedelta

import pytest

from services.domain.batch_state import BatchState
from services.domain.errors import NoOp, Reason, Rejected
from services.domain.events import CreatePayoutBatch, ReleaseEscrow, ReleaseReserve, SellerProfileUpdated
from services.domain.reserve_state import ReserveState
from services.domain.rules.payouts import handle_create_payout_batch
from services.domain.rules.profiles import handle_seller_profile_updated
from services.domain.rules.release import handle_release_escrow
from services.domain.rules.reserves import handle_release_reserve
from tests.unit.test_lifecycle_rules import DUE, as_dict, captured

RESERVE = "seller:S_114:reserve"


def profile(hold=False, rate=1_000, days=90):
    return SellerProfileUpdated("p1", DUE - timedelta(days=60), "S_114", 250, 0, hold, "BANK-1",
                                reserve_rate_bp=rate, reserve_period_days=days)


def released(rate=1_000, days=90):
    state, _ = captured()
    txn = handle_release_escrow(ReleaseEscrow("release:O_8821", DUE, "O_8821"), state, {"S_114": 250},
                                {"S_114": (rate, days)})
    state.apply(txn)
    reserve = ReserveState("S_114", "BRL")
    reserve.apply(txn)
    return txn, reserve


def release_reserve(reserve, at, hold=False):
    return handle_release_reserve(ReleaseReserve(f"reserve:S_114:BRL:{at:%Y%m%d}", at, "S_114", "BRL"), reserve,
                                  profile(hold=hold))


def test_the_seed_release_holds_ten_percent_of_the_net_for_ninety_days():
    txn, reserve = released()
    # 160.00 share - 4.00 withholding = 156.00 net: 15.60 held, 140.40 payable
    assert as_dict(txn)["seller:S_114:payable"] == -14040
    assert as_dict(txn)[RESERVE] == -1560
    assert as_dict(txn)["ops:tax:withholding"] == -400
    assert txn.metadata["reserve"] == {"S_114": [1560, (DUE + timedelta(days=90)).isoformat()]}
    assert (reserve.balance, reserve.locked(DUE), reserve.locked(DUE + timedelta(days=90))) == (1560, 1560, 0)


def test_the_reserve_share_is_half_even_and_a_full_reserve_leaves_no_payable_posting():
    txn, _ = released(rate=3_333)  # 15600 * 0.3333 = 5199.48 -> 5199
    assert as_dict(txn)[RESERVE] == -5199 and as_dict(txn)["seller:S_114:payable"] == -(15600 - 5199)
    txn, _ = released(rate=10_000)
    assert RESERVE in as_dict(txn) and "seller:S_114:payable" not in as_dict(txn)


def test_nothing_is_released_before_the_period_ends_and_all_of_it_after():
    _, reserve = released()
    with pytest.raises(NoOp):
        release_reserve(reserve, DUE + timedelta(days=90) - timedelta(seconds=1))
    txn = release_reserve(reserve, DUE + timedelta(days=90))
    assert as_dict(txn) == {RESERVE: 1560, "seller:S_114:payable": -1560}
    reserve.apply(txn)
    with pytest.raises(NoOp):  # released once
        release_reserve(reserve, DUE + timedelta(days=91))


def test_a_seller_on_hold_keeps_the_reserve():
    _, reserve = released()
    with pytest.raises(NoOp, match="on hold"):
        release_reserve(reserve, DUE + timedelta(days=120), hold=True)


def test_a_release_frees_only_what_is_past_its_period_after_a_covering_drew_on_the_reserve():
    reserve = ReserveState("S_1", "BRL", balance=700, holds=[(DUE, 500), (DUE + timedelta(days=30), 500)])
    # 300 was drawn to cover a negative payable: of the 700 left, 500 is still locked
    assert reserve.releasable(DUE) == 200
    assert reserve.releasable(DUE - timedelta(seconds=1)) == 0
    assert reserve.releasable(DUE + timedelta(days=30)) == 700


def payout(payables, reserves, hold=False):
    profiles = {s: SellerProfileUpdated(f"p_{s}", DUE, s, 0, 0, hold and s == "S_2", "BANK-1") for s in payables}
    return handle_create_payout_batch(CreatePayoutBatch("b1", DUE, "PB_1", "2026-11-25", "BRL"), BatchState("PB_1"),
                                      payables, profiles, reserves)


def test_a_payout_batch_covers_a_negative_payable_from_the_reserve_up_to_what_it_holds():
    txn = payout({"S_1": 10_000, "S_2": -800, "S_3": -5_000}, {"S_2": 1_000, "S_3": 1_200})
    assert txn.metadata["lines"] == {"S_1": 10_000}
    assert txn.metadata["covered"] == {"S_2": 800, "S_3": 1_200}
    assert as_dict(txn) == {"seller:S_1:payable": 10_000, "payout:PB_1:in_flight": -10_000,
                            "seller:S_2:reserve": 800, "seller:S_2:payable": -800,
                            "seller:S_3:reserve": 1_200, "seller:S_3:payable": -1_200}


def test_a_seller_on_hold_is_not_covered_and_no_payout_means_no_covering():
    txn = payout({"S_1": 10_000, "S_2": -800}, {"S_2": 1_000}, hold=True)
    assert "covered" not in txn.metadata
    with pytest.raises(NoOp):
        payout({"S_2": -800}, {"S_2": 1_000})


@pytest.mark.parametrize("rate, days, what", [(-1, 30, "reserve rate"), (10_001, 30, "reserve rate"),
                                              (500, 0, "needs a period"), (500, 731, "reserve period"),
                                              (0, -1, "reserve period")])
def test_a_profile_with_a_reserve_out_of_bounds_is_refused(rate, days, what):
    with pytest.raises(Rejected, match=what) as exc:
        handle_seller_profile_updated(profile(rate=rate, days=days))
    assert exc.value.reason is Reason.INVALID_FIELD


def test_the_scheduler_s_command_id_names_what_it_covers_and_stays_an_id():
    from services.release.reserves import command_id

    at = DUE + timedelta(days=90)
    assert command_id("S_114", "BRL", at, 1560) == f"reserve:S_114:BRL:{at:%Y%m%dT%H%M%S}Z:1560"
    assert command_id("S_114", "BRL", at, 1561) != command_id("S_114", "BRL", at, 1560)  # an adjustment's own
    long = command_id("S" * 128, "BRL", at, 10**12)
    assert len(long) <= 128 and long == command_id("S" * 128, "BRL", at, 10**12) and long.startswith("reserve:")
