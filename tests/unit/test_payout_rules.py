"""Payout batches and bank confirmations (DESIGN.md), pure."""

from datetime import datetime, timezone

import pytest

from services.domain.batch_state import BatchState
from services.domain.errors import NoOp, Reason, Rejected
from services.domain.events import (CreatePayoutBatch, PayoutBatchConfirmed, PayoutResult, PayoutReturned,
                                    SellerProfileUpdated)
from services.domain.rules.payouts import (handle_create_payout_batch, handle_payout_batch_confirmed,
                                           handle_payout_returned)
from services.payouts import pain001
from services.payouts.files import Batch, Debtor, Line

AT = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)


def prof(seller, minimum=0, hold=False, bank="BANK-1"):
    return SellerProfileUpdated(f"p_{seller}", AT, seller, 0, minimum, hold, bank)


def create(payables, profiles, batch=None):
    batch = batch or BatchState("PB_20261125_BRL")
    txn = handle_create_payout_batch(CreatePayoutBatch("payout:2026-11-25:BRL", AT, "PB_20261125_BRL", "2026-11-25", "BRL"),
                                     batch, payables, profiles)
    batch.apply(txn)
    return txn, batch


def confirm(batch, results, eid="c1"):
    txn = handle_payout_batch_confirmed(PayoutBatchConfirmed(eid, AT, batch.batch_id, tuple(results)), batch)
    batch.apply(txn)
    return txn


def test_batch_takes_every_eligible_payable_and_nothing_else():
    payables = {"S_1": 15600, "S_2": 999, "S_3": 5000, "S_4": -300, "S_5": 7000, "S_6": 100}
    profiles = {"S_1": prof("S_1"), "S_2": prof("S_2", minimum=1000), "S_3": prof("S_3", hold=True),
                "S_4": prof("S_4"), "S_5": prof("S_5", bank=None), "S_6": None}
    txn, batch = create(payables, profiles)
    assert sorted(txn.postings) == sorted([("seller:S_1:payable", "BRL", 15600),
                                           ("payout:PB_20261125_BRL:in_flight", "BRL", -15600)])
    assert batch.lines == {"S_1": 15600}  # under minimum, on hold, in debt, no bank account, no profile: out


def test_no_one_due_is_a_no_op_and_a_second_batch_id_is_refused():
    with pytest.raises(NoOp):
        create({"S_1": 0}, {"S_1": prof("S_1")})
    _, batch = create({"S_1": 100}, {"S_1": prof("S_1")})
    with pytest.raises(Rejected) as exc:
        create({"S_1": 100}, {"S_1": prof("S_1")}, batch)
    assert exc.value.reason is Reason.DUPLICATE_CONFLICT


def test_confirmation_settles_to_the_payout_pool_and_returns_failures_to_payable():
    _, batch = create({"S_1": 15600, "S_2": 4000}, {"S_1": prof("S_1"), "S_2": prof("S_2")})
    txn = confirm(batch, [PayoutResult("S_1", 15600, "SETTLED", "REF1"), PayoutResult("S_2", 4000, "FAILED", None, "AC04")])
    assert sorted(txn.postings) == sorted([("payout:PB_20261125_BRL:in_flight", "BRL", 19600),
                                           ("ops:pool:payouts", "BRL", -15600), ("seller:S_2:payable", "BRL", -4000)])


def test_confirmations_may_come_in_parts_and_a_repeat_is_a_no_op():
    _, batch = create({"S_1": 100, "S_2": 200}, {"S_1": prof("S_1"), "S_2": prof("S_2")})
    confirm(batch, [PayoutResult("S_1", 100, "SETTLED", "R1")])
    with pytest.raises(NoOp):
        confirm(batch, [PayoutResult("S_1", 100, "SETTLED", "R1")], eid="c1-resent")
    txn = confirm(batch, [PayoutResult("S_1", 100, "SETTLED", "R1"), PayoutResult("S_2", 200, "SETTLED", "R2")], eid="c2")
    assert sorted(txn.postings) == sorted([("payout:PB_20261125_BRL:in_flight", "BRL", 200), ("ops:pool:payouts", "BRL", -200)])


@pytest.mark.parametrize("result, reason", [
    (PayoutResult("S_9", 100, "SETTLED"), Reason.CONFIRMATION_MISMATCH),
    (PayoutResult("S_1", 101, "SETTLED"), Reason.CONFIRMATION_MISMATCH),
    (PayoutResult("S_1", 100, "MAYBE"), Reason.INVALID_FIELD),
])
def test_a_confirmation_that_does_not_match_the_batch_is_rejected(result, reason):
    _, batch = create({"S_1": 100}, {"S_1": prof("S_1")})
    with pytest.raises(Rejected) as exc:
        confirm(batch, [result])
    assert exc.value.reason is reason


def test_a_line_cannot_be_re_decided():
    _, batch = create({"S_1": 100}, {"S_1": prof("S_1")})
    confirm(batch, [PayoutResult("S_1", 100, "FAILED", None, "AC04")])
    with pytest.raises(Rejected) as exc:
        confirm(batch, [PayoutResult("S_1", 100, "SETTLED", "R")], eid="c2")
    assert exc.value.reason is Reason.CONFIRMATION_MISMATCH


def test_confirmation_of_an_unknown_batch_is_rejected():
    with pytest.raises(Rejected) as exc:
        confirm(BatchState("PB_X"), [PayoutResult("S_1", 100, "SETTLED")])
    assert exc.value.reason is Reason.UNKNOWN_BATCH


def test_pain001_round_trips_with_count_and_control_sum():
    b = Batch("PB_20261125_BRL", "2026-11-25", "BRL", "2026-11-25T09:00:00",
              (Line("S_1", 15600, "BANK-1"), Line("S_2", 5, "BANK-2")))
    for version in pain001.VERSIONS:
        xml = pain001.render(b, Debtor(pain001_version=version))
        assert b"<CtrlSum>156.05</CtrlSum>" in xml and b"<NbOfTxs>2</NbOfTxs>" in xml
        read = pain001.parse(xml)
        assert (read.message_id, read.version, read.execution_date, read.currency) == (
            b.batch_id, version, b.batch_date, "BRL")
        assert [(t.end_to_end_id, t.amount_minor, t.creditor_name, t.account) for t in read.transfers] == [
            ("PB_20261125_BRL-S_1", 15600, "S_1", "BANK-1"), ("PB_20261125_BRL-S_2", 5, "S_2", "BANK-2")]


def test_a_batch_pays_at_most_the_bound_and_leaves_the_rest_payable_for_the_next():
    from services.domain.bounds import POSTINGS_MAX, RESULTS_MAX

    sellers = [f"S_{i:06d}" for i in range(RESULTS_MAX + 7)]
    txn, batch = create({s: 100 for s in sellers}, {s: prof(s) for s in sellers})
    assert len(batch.lines) == RESULTS_MAX and len(txn.postings) == RESULTS_MAX + 1 <= POSTINGS_MAX
    assert set(batch.lines) == set(sellers[:RESULTS_MAX])  # in seller order; the last 7 wait
    rest = {s: 100 for s in sellers[RESULTS_MAX:]}
    txn2, batch2 = create(rest, {s: prof(s) for s in rest}, BatchState("PB_20261126_BRL"))
    assert set(batch2.lines) == set(rest)


def returned(batch, seller="S_1", amount=15600, ref="BR1", eid="ret1"):
    txn = handle_payout_returned(PayoutReturned(eid, AT, batch.batch_id, seller, amount, ref, "AC04"), batch)
    batch.apply(txn)
    return txn


def test_a_returned_transfer_puts_the_money_back_on_the_payable_and_is_returned_once():
    _txn, batch = create({"S_1": 15600}, {"S_1": prof("S_1")})
    confirm(batch, [PayoutResult("S_1", 15600, "SETTLED", "BR1")])
    txn = returned(batch)
    assert sorted(txn.postings) == sorted([("ops:pool:payouts", "BRL", 15600), ("seller:S_1:payable", "BRL", -15600)])
    assert txn.metadata["returned"] == {"S_1": [15600, "AC04"]} and batch.outcome["S_1"] == ("RETURNED", "AC04")
    with pytest.raises(NoOp):
        returned(batch, eid="ret2")  # the same return, in another statement


@pytest.mark.parametrize("kwargs", [{"ref": "BR_OTHER"}, {"amount": 100}, {"seller": "S_9"}])
def test_a_return_that_matches_no_settled_transfer_is_rejected(kwargs):
    _txn, batch = create({"S_1": 15600}, {"S_1": prof("S_1")})
    confirm(batch, [PayoutResult("S_1", 15600, "SETTLED", "BR1")])
    with pytest.raises(Rejected) as r:
        returned(batch, **kwargs)
    assert r.value.reason == Reason.CONFIRMATION_MISMATCH


def test_a_failed_transfer_cannot_be_returned_and_an_unknown_batch_is_refused():
    _txn, batch = create({"S_1": 15600}, {"S_1": prof("S_1")})
    confirm(batch, [PayoutResult("S_1", 15600, "FAILED", None, "AC04")])
    with pytest.raises(Rejected):
        returned(batch)
    with pytest.raises(Rejected) as r:
        returned(BatchState("PB_X"))
    assert r.value.reason == Reason.UNKNOWN_BATCH
