"""RefundIssued: before release the named escrow parts go back to the gateway pool;
after release the money is clawed back from what is left of each part."""

from __future__ import annotations

from services.domain import accounts
from services.domain.errors import Reason, Rejected
from services.domain.events import RefundIssued
from services.domain.journal import Transaction, TxKind, credit, debit, transaction_id_for
from services.domain.money import div_half_even, take_pro_rata
from services.domain.order_state import PLATFORM, SHIPPING, OrderState, payable_part, withholding_part
from services.domain.rules.common import (finish, from_parts, require_capture, require_currency, require_id,
                                          require_known_currency)


def _validate_refund(e: RefundIssued) -> dict[str, list[int]]:
    """What a refund must satisfy whatever the order's state, in precedence order."""
    require_id("order_id", e.order_id)
    require_id("refund_id", e.refund_id)
    for ln in e.lines:
        require_id("seller_id", ln.seller_id)
    require_known_currency(e.currency)
    if e.shipping < 0 or any(ln.amount < 0 or ln.platform_fee < 0 for ln in e.lines):
        raise Rejected(Reason.NEGATIVE_AMOUNT, "a refund line or shipping is negative")
    if e.shipping + sum(ln.amount for ln in e.lines) <= 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, "a refund must return a positive amount")
    per_seller: dict[str, list[int]] = {}
    for ln in e.lines:
        if ln.platform_fee > ln.amount:
            raise Rejected(Reason.FEE_EXCEEDS_AMOUNT, f"refund line of {ln.seller_id}: fee > amount")
        acc = per_seller.setdefault(ln.seller_id, [0, 0])
        acc[0] += ln.amount - ln.platform_fee  # the seller's share
        acc[1] += ln.platform_fee
    return per_seller


def handle_refund_issued(e: RefundIssued, state: OrderState) -> Transaction:
    """Before release: reverse only the escrow parts named, Cr ops:pool:{gateway}.
    After release: claw back from what is still there (_refund_after_release). A line
    returns at most the platform fee its own seller's items carried."""
    per_seller = _validate_refund(e)  # validation comes before parking
    require_capture(state, "refund")
    require_currency(state, e.currency)
    if state.platform_fees_left is not None:
        for seller, (_share, fee) in per_seller.items():
            if fee > state.platform_fees_left.get(seller, 0):
                raise Rejected(Reason.REFUND_EXCEEDS_HELD,
                               f"refund line of {seller} returns a platform fee of {fee}; {seller}'s items carry"
                               f" {state.platform_fees_left.get(seller, 0)} not yet refunded")
    if state.is_released:
        return _refund_after_release(e, state, per_seller)
    cur, oid = state.currency, state.order_id
    wanted = {accounts.escrow_seller(oid, s): share for s, (share, _fee) in per_seller.items()}
    wanted[accounts.escrow_platform(oid)] = sum(fee for _s, fee in per_seller.values())
    wanted[accounts.escrow_shipping(oid)] = e.shipping
    postings = []
    for account, amount in wanted.items():
        if amount == 0:
            continue
        held = state.balances.get(account, 0)
        if amount > held:
            raise Rejected(Reason.REFUND_EXCEEDS_HELD, f"refund of {amount} from {account}, which holds {held}")
        postings.append(debit(account, cur, amount))
    total = sum(p.amount_minor for p in postings)
    postings.append(credit(accounts.pool(state.gateway), cur, total))
    txn = Transaction(transaction_id_for(e.event_id), TxKind.REFUND, e.event_id, e.occurred_at, tuple(postings),
                      order_id=oid, reverses_transaction_id=state.capture_txn,
                      metadata={"refund_id": e.refund_id, "reason_code": e.reason_code,
                                "platform_fees": _fees(per_seller), "sales": sales_returned(state, per_seller)})
    return finish(state, txn)


def _refund_after_release(e: RefundIssued, state: OrderState, per_seller: dict[str, list[int]]) -> Transaction:
    """Each seller's share from what is still there of their payable and withholding, in
    proportion to what is left of them (half-even; a refund of all that is left takes
    exactly that); the platform fee from the take rate, shipping from the shipping payable."""
    cur, left = state.currency, state.left
    taken: dict[str, int] = {}
    clawed: dict[str, int] = {}
    for seller, (share, _fee) in per_seller.items():
        if share == 0:
            continue
        pay, wh = left.get(payable_part(seller), 0), left.get(withholding_part(seller), 0)
        if share > pay + wh:
            raise Rejected(Reason.REFUND_EXCEEDS_HELD,
                           f"claw-back of {share} from {seller}, who has {pay + wh} of this order left")
        w = wh if share == pay + wh else min(wh, div_half_even(share * wh, pay + wh))
        taken[payable_part(seller)], taken[withholding_part(seller)] = share - w, w
        clawed[seller] = w
    platform = sum(fee for _s, fee in per_seller.values())
    if platform > left.get(PLATFORM, 0):
        raise Rejected(Reason.REFUND_EXCEEDS_HELD, f"platform fee refund {platform} > {left.get(PLATFORM, 0)} left")
    if e.shipping > left.get(SHIPPING, 0):
        raise Rejected(Reason.REFUND_EXCEEDS_HELD, f"shipping refund {e.shipping} > {left.get(SHIPPING, 0)} left")
    taken[PLATFORM], taken[SHIPPING] = platform, e.shipping
    postings = from_parts(taken, cur)
    total = sum(p.amount_minor for p in postings)
    postings.append(credit(accounts.pool(state.gateway), cur, total))
    txn = Transaction(transaction_id_for(e.event_id), TxKind.REFUND_AFTER_RELEASE, e.event_id, e.occurred_at,
                      tuple(postings), order_id=state.order_id, reverses_transaction_id=state.release_txn,
                      metadata={"refund_id": e.refund_id, "reason_code": e.reason_code,
                                "withholding_clawback": (clawed), "parts": {p: x for p, x in taken.items() if x},
                                "platform_fees": _fees(per_seller), "sales": sales_returned(state, per_seller)})
    return finish(state, txn)


def sales_returned(state: OrderState, per_seller: dict[str, list[int]]) -> dict[str, dict[str, list[int]]]:
    """For reporting: seller -> category -> [what the buyer got back, of it the platform's
    fee], each seller's refund split over their categories in proportion to what is left
    of each (half-even; all that is left takes each whole), the fee likewise; what goes
    beyond what is left of the categories (a capture posted before sales were recorded)
    counts under no category ('')."""
    out: dict[str, dict[str, list[int]]] = {}
    for seller, (share, fee) in per_seller.items():
        cells = state.sales_left.get(seller, {})
        names = sorted(cells)
        gross_left = [max(cells[c][0], 0) for c in names]
        fee_left = [max(cells[c][1], 0) for c in names]
        split: dict[str, list[int]] = {}
        for i, (amount, lefts) in enumerate(((share + fee, gross_left), (fee, fee_left))):
            within = min(amount, sum(lefts))
            for name, x in zip(names, take_pro_rata(within, lefts) if lefts else []):
                split.setdefault(name, [0, 0])[i] += x
            if amount > within:
                split.setdefault("", [0, 0])[i] += amount - within
        split = {c: v for c, v in split.items() if v[0] or v[1]}
        if split:
            out[seller] = split
    return out


def _fees(per_seller: dict[str, list[int]]) -> dict[str, int]:
    return {s: fee for s, (_share, fee) in per_seller.items() if fee}
