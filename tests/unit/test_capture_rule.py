"""The capture posting rule (DESIGN.md, OrderCaptured) and its rejections."""


from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.domain.errors import Reason, Rejected
from services.domain.events import CaptureLine, OrderCaptured
from services.domain.invariants import check_balanced
from services.domain.journal import Posting, Transaction, transaction_id_for
from services.domain.rules.capture import Policy, handle_order_captured

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
POLICY = Policy()


def seed_order(**changes) -> OrderCaptured:
    e = OrderCaptured(
        event_id="evt_capture_O_8821", occurred_at=T0, order_id="O_8821", gateway="card", currency="BRL",
        amount=20000, gateway_fee=600, shipping=2000,
        lines=(CaptureLine("S_114", "I_1", 18000, 2000),),
    )
    return e._replace(**changes)


def test_seed_worked_example_posts_exactly_the_five_postings_of_the_design():
    txn = handle_order_captured(seed_order(), POLICY)
    assert sorted(txn.postings, key=lambda p: p.account) == sorted([
        Posting("ops:pool:card", "BRL", 19400),
        Posting("ops:expense:mdr:card", "BRL", 600),
        Posting("order:O_8821:escrow:seller:S_114", "BRL", -16000),
        Posting("order:O_8821:escrow:shipping", "BRL", -2000),
        Posting("order:O_8821:escrow:platform", "BRL", -2000),
    ], key=lambda p: p.account)
    assert txn.kind == "capture" and txn.order_id == "O_8821"
    assert txn.transaction_id == transaction_id_for("evt_capture_O_8821")
    assert not any("revenue" in p.account for p in txn.postings)  # nothing is revenue yet


def test_capture_records_when_the_escrow_window_ends():
    txn = handle_order_captured(seed_order(), Policy(escrow_window=timedelta(days=14)))
    assert txn.metadata["release_due_at"] == (T0 + timedelta(days=14)).isoformat()


def test_lines_of_one_seller_are_summed_into_one_escrow_account():
    e = seed_order(amount=32000, lines=(CaptureLine("S_1", "a", 10000, 1000), CaptureLine("S_2", "b", 10000, 1500),
                                        CaptureLine("S_1", "c", 10000, 1000)))
    txn = handle_order_captured(e, POLICY)
    escrow = {p.account: p.amount_minor for p in txn.postings if ":seller:" in p.account}
    assert escrow == {"order:O_8821:escrow:seller:S_1": -18000, "order:O_8821:escrow:seller:S_2": -8500}


def test_zero_fee_and_zero_shipping_post_no_zero_lines():
    txn = handle_order_captured(seed_order(amount=18000, gateway_fee=0, shipping=0), POLICY)
    assert all(p.amount_minor != 0 for p in txn.postings)
    assert {p.account for p in txn.postings} == {
        "ops:pool:card", "order:O_8821:escrow:seller:S_114", "order:O_8821:escrow:platform"}


@pytest.mark.parametrize("changes, reason", [
    ({"amount": 20001}, Reason.AMOUNT_MISMATCH),
    ({"amount": -20000}, Reason.NEGATIVE_AMOUNT),
    ({"amount": 0, "shipping": 0, "gateway_fee": 0, "lines": (CaptureLine("S_1", "i", 0, 0),)}, Reason.NEGATIVE_AMOUNT),
    ({"gateway_fee": -1}, Reason.NEGATIVE_AMOUNT),
    ({"currency": "XYZ"}, Reason.UNKNOWN_CURRENCY),
    ({"lines": (CaptureLine("S_114", "I_1", 18000, 2000, "USD"),)}, Reason.CURRENCY_MISMATCH),
    ({"gateway_fee": 20001}, Reason.FEE_EXCEEDS_AMOUNT),
    ({"lines": (CaptureLine("S_114", "I_1", 18000, 18001),)}, Reason.FEE_EXCEEDS_AMOUNT),
    ({"lines": ()}, Reason.INVALID_FIELD),
    ({"order_id": "O:1"}, Reason.INVALID_FIELD),
    ({"lines": (CaptureLine("S 1", "I_1", 18000, 2000),)}, Reason.INVALID_FIELD),
])
def test_invalid_capture_is_rejected_with_its_reason(changes, reason):
    with pytest.raises(Rejected) as exc:
        handle_order_captured(seed_order(**changes), POLICY)
    assert exc.value.reason is reason


def test_highest_precedence_reason_wins_when_several_apply():
    # unknown currency AND amount mismatch AND negative fee: UNKNOWN_CURRENCY is declared first
    with pytest.raises(Rejected) as exc:
        handle_order_captured(seed_order(currency="XYZ", amount=1, gateway_fee=-5), POLICY)
    assert exc.value.reason is Reason.UNKNOWN_CURRENCY
    order = list(Reason)
    assert order.index(Reason.SCHEMA_INVALID) < order.index(Reason.DUPLICATE_CONFLICT) < order.index(Reason.AMOUNT_MISMATCH)


def test_invariant_1_an_unbalanced_transaction_is_refused():
    txn = Transaction(transaction_id_for("x"), "capture", "x", T0,
                      (Posting("ops:pool:card", "BRL", 100), Posting("order:O:escrow:shipping", "BRL", -99)))
    with pytest.raises(Rejected) as exc:
        check_balanced(txn)
    assert exc.value.reason is Reason.UNBALANCED


def test_invariant_1_balances_per_currency_not_in_total():
    txn = Transaction(transaction_id_for("x"), "capture", "x", T0,
                      (Posting("ops:pool:card", "BRL", 100), Posting("ops:pool:paypal", "USD", -100)))
    with pytest.raises(Rejected):
        check_balanced(txn)


lines_st = st.lists(
    st.tuples(st.sampled_from(["S_1", "S_2", "S_3", "S_4"]), st.integers(0, 10**9), st.integers(0, 10_000)),
    min_size=1, max_size=8,
)


@settings(max_examples=300)
@given(lines=lines_st, shipping=st.integers(0, 10**7), fee_bp=st.integers(0, 10_000),
       gateway=st.sampled_from(["card", "pix", "boleto"]), currency=st.sampled_from(["BRL", "USD", "JPY"]))
def test_any_valid_capture_balances_and_escrows_exactly_the_amount(lines, shipping, fee_bp, gateway, currency):
    capture_lines = tuple(CaptureLine(s, f"I{i}", amt, amt * bp // 10_000) for i, (s, amt, bp) in enumerate(lines))
    amount = sum(ln.amount for ln in capture_lines) + shipping
    if amount == 0:
        return
    e = seed_order(lines=capture_lines, shipping=shipping, amount=amount, gateway=gateway, currency=currency,
                   gateway_fee=amount * fee_bp // 10_000)
    txn = handle_order_captured(e, POLICY)
    check_balanced(txn)  # invariant 1
    assert sum(p.amount_minor for p in txn.postings) == 0
    escrow = -sum(p.amount_minor for p in txn.postings if ":escrow:" in p.account)
    assert escrow == amount  # invariant 2: sum of escrow = amount captured
    pool = sum(p.amount_minor for p in txn.postings if p.account == f"ops:pool:{gateway}")
    fee = sum(p.amount_minor for p in txn.postings if p.account.startswith("ops:expense:mdr:"))
    assert pool + fee == amount  # invariant 2: pool + fee = amount captured
    assert all(p.currency == currency and p.amount_minor != 0 for p in txn.postings)


ids = st.sampled_from(["S_1", "S_2", "O_9", "card", "S_1", "card", "", "bad id", "x" * 129, "a:b"])
amounts = st.one_of(st.integers(min_value=3000, max_value=30_000), st.integers(min_value=-50, max_value=40_000))
fees = st.one_of(st.integers(min_value=0, max_value=3000), st.integers(min_value=-50, max_value=40_000))
lines = st.lists(st.builds(CaptureLine, ids, st.just("I_1"), amounts, fees,
                           st.sampled_from([None, None, "BRL", "BRL", "USD", "XXQ"])), max_size=4)


@settings(max_examples=600)
@given(ids, ids, st.sampled_from(["BRL", "BRL", "USD", "XXQ"]), st.one_of(st.none(), amounts), fees, fees, lines)
def test_the_fast_validity_check_never_differs_from_the_checks_in_order(order_id, gateway, currency, amount,
                                                                        fee, shipping, lines):
    """validate_capture's one-pass shortcut accepts only what every ordered check accepts,
    so the reason reported is always the highest-precedence one."""
    from services.domain.rules.capture import _validate_in_order, validate_capture

    if amount is None:  # most often the totals agree, so the other checks get their turn
        amount = sum(ln.amount for ln in lines) + shipping
    e = seed_order(order_id=order_id, gateway=gateway, currency=currency, amount=amount, gateway_fee=fee,
                   shipping=shipping, lines=tuple(lines))

    def reason(check):
        try:
            check(e)
        except Rejected as r:
            return r.reason
        return None

    assert reason(validate_capture) == reason(_validate_in_order)


def test_a_gateway_settlement_moves_the_net_to_the_bank_and_a_negative_net_back_to_the_gateway():
    from services.domain.events import SettleGatewayDeposit
    from services.domain.rules.deposits import handle_settle_gateway_deposit

    cmd = SettleGatewayDeposit("deposit:a", T0, "card", "main", "BRL", 19400, "ab" * 32)
    assert sorted(handle_settle_gateway_deposit(cmd).postings) == [("ops:bank:main", "BRL", 19400),
                                                                   ("ops:pool:card", "BRL", -19400)]
    refund_heavy = cmd._replace(event_id="deposit:b", amount=-1500)  # the gateway debited the bank
    assert sorted(handle_settle_gateway_deposit(refund_heavy).postings) == [("ops:bank:main", "BRL", -1500),
                                                                            ("ops:pool:card", "BRL", 1500)]
    with pytest.raises(Rejected) as exc:
        handle_settle_gateway_deposit(cmd._replace(amount=0))
    assert exc.value.reason is Reason.NEGATIVE_AMOUNT


@given(st.text(max_size=200))
def test_a_transaction_id_is_uuid5_of_its_event_id(event_id):
    import uuid

    from services.domain import journal

    made = transaction_id_for(event_id)
    assert made == uuid.uuid5(journal.TRANSACTION_ID_NAMESPACE, event_id)
    assert (str(made), made.version, made.variant, hash(made)) == (
        str(uuid.uuid5(journal.TRANSACTION_ID_NAMESPACE, event_id)), 5, uuid.RFC_4122, hash(uuid.uuid5(journal.TRANSACTION_ID_NAMESPACE, event_id)))
