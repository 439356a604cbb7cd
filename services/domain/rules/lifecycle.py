"""Posting rules between capture and payout: release, refunds, disputes (DESIGN.md).

Each takes the event and the order's state (folded from the journal) and returns a
balanced transaction, or raises Rejected (a reason code), Park (wait for the capture
or the dispute's opening) or NoOp (nothing to post)."""

from __future__ import annotations

import json
from services.domain import accounts
from services.domain.errors import NoOp, Park, Reason, Rejected
from services.domain.events import DisputeOpened, DisputeResolved, RefundIssued, ReleaseEscrow
from services.domain.invariants import check_escrow_not_negative, check_transaction
from services.domain.journal import Posting, Transaction, credit, debit, transaction_id_for
from services.domain.money import div_half_even, is_currency, take_pro_rata
from services.domain.order_state import (PAYABLE, PLATFORM, SHIPPING, WITHHOLDING, OrderState, dumps_parts, part_account, part_kind,
                          part_seller, payable_part, withholding_part)


def _dumps(d: dict) -> str:
    return json.dumps(d, separators=(",", ":"), sort_keys=True)


def _finish(state: OrderState, txn: Transaction) -> Transaction:
    """Invariants 1, 5 and 3 (on the balances this transaction would leave)."""
    check_transaction(txn)
    check_escrow_not_negative(state, txn)
    return txn


def _require_capture(state: OrderState, what: str) -> None:
    if not state.captured:
        raise Park(Reason.UNKNOWN_ORDER, f"{what}: order {state.order_id} has no posted capture yet")


def _require_id(name: str, value: str) -> None:
    if not accounts.is_valid_id(value):
        raise Rejected(Reason.INVALID_FIELD, f"{name} {value!r} is not a usable id")


def _require_known_currency(currency: str | None) -> None:
    if currency is not None and not is_currency(currency):
        raise Rejected(Reason.UNKNOWN_CURRENCY, f"{currency!r} is not an ISO 4217 currency")


def _require_currency(state: OrderState, currency: str | None) -> None:
    if currency is None:
        return
    if currency != state.currency:
        raise Rejected(Reason.CURRENCY_MISMATCH, f"event in {currency}, order {state.order_id} in {state.currency}")


# -- release --------------------------------------------------------------------------

def handle_release_escrow(cmd: ReleaseEscrow, state: OrderState, withholding_bp: dict[str, int]) -> Transaction:
    """Dr escrow:seller:{s}, Cr seller:{s}:payable + ops:tax:withholding (the seller's
    rate in force at cmd.occurred_at); Dr escrow:platform, Cr revenue; Dr escrow:shipping,
    Cr ops:payable:shipping."""
    _require_id("order_id", cmd.order_id)
    _require_capture(state, "release")
    if state.is_released:
        raise NoOp(f"order {state.order_id} is already released")
    if state.release_due_at is not None and cmd.occurred_at < state.release_due_at:
        raise Rejected(Reason.RELEASE_BEFORE_WINDOW,
                       f"escrow window of {state.order_id} ends {state.release_due_at.isoformat()}")
    if state.open_disputes:
        raise Rejected(Reason.DISPUTE_OPEN, f"order {state.order_id} has open disputes {sorted(state.open_disputes)}")
    cur = state.currency
    postings: list[Posting] = []
    withheld: dict[str, int] = {}
    for account, held in state.escrow().items():
        if held <= 0:
            continue
        parts = account.split(":")
        postings.append(debit(account, cur, held))
        if parts[3] == "seller":
            seller = parts[4]
            w = div_half_even(held * withholding_bp.get(seller, 0), 10_000)
            withheld[seller] = w
            if held - w:
                postings.append(credit(accounts.seller_payable(seller), cur, held - w))
            if w:
                postings.append(credit(accounts.TAX_WITHHOLDING, cur, w))
        elif parts[3] == "platform":
            postings.append(credit(accounts.REVENUE_TAKERATE, cur, held))
        else:
            postings.append(credit(accounts.PAYABLE_SHIPPING, cur, held))
    if not postings:
        raise NoOp(f"order {state.order_id} holds nothing in escrow")
    txn = Transaction(transaction_id_for(cmd.event_id), "release", cmd.event_id, cmd.occurred_at, tuple(postings),
                      order_id=state.order_id, metadata={"withholding": _dumps(withheld)})
    return _finish(state, txn)


# -- refunds --------------------------------------------------------------------------

def _validate_refund(e: RefundIssued) -> dict[str, list[int]]:
    """What a refund must satisfy whatever the order's state, in precedence order."""
    _require_id("order_id", e.order_id)
    _require_id("refund_id", e.refund_id)
    for ln in e.lines:
        _require_id("seller_id", ln.seller_id)
    _require_known_currency(e.currency)
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
    _require_capture(state, "refund")
    _require_currency(state, e.currency)
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
    txn = Transaction(transaction_id_for(e.event_id), "refund", e.event_id, e.occurred_at, tuple(postings),
                      order_id=oid, reverses_transaction_id=state.capture_txn,
                      metadata={"refund_id": e.refund_id, "reason_code": e.reason_code,
                                "platform_fees": _fees(per_seller)})
    return _finish(state, txn)


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
    postings = _from_parts(taken, cur)
    total = sum(p.amount_minor for p in postings)
    postings.append(credit(accounts.pool(state.gateway), cur, total))
    txn = Transaction(transaction_id_for(e.event_id), "refund_after_release", e.event_id, e.occurred_at,
                      tuple(postings), order_id=state.order_id, reverses_transaction_id=state.release_txn,
                      metadata={"refund_id": e.refund_id, "reason_code": e.reason_code,
                                "withholding_clawback": _dumps(clawed), "parts": dumps_parts(taken),
                                "platform_fees": _fees(per_seller)})
    return _finish(state, txn)


def _fees(per_seller: dict[str, list[int]]) -> str:
    return _dumps({s: fee for s, (_share, fee) in per_seller.items() if fee})


def _from_parts(taken: dict[str, int], cur: str) -> list[Posting]:
    """Debits of the accounts the parts taken sit in, one per account."""
    per_account: dict[str, int] = {}
    for part, amount in taken.items():
        per_account[part_account(part)] = per_account.get(part_account(part), 0) + amount
    return [debit(a, cur, amount) for a, amount in per_account.items() if amount]


# -- disputes -------------------------------------------------------------------------

def handle_dispute_opened(e: DisputeOpened, state: OrderState) -> Transaction:
    """The disputed amount moves to order:{id}:dispute:hold: from the escrow accounts pro
    rata before release, from the sellers' payables (pro rata to what they were released
    and not clawed back) after release."""
    _require_id("order_id", e.order_id)  # validation comes before parking
    _require_id("dispute_id", e.dispute_id)
    _require_known_currency(e.currency)
    if e.amount <= 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, f"disputed amount must be positive, got {e.amount}")
    _require_capture(state, "dispute")
    if e.dispute_id in state.open_disputes or e.dispute_id in state.resolved_disputes:
        raise Rejected(Reason.DUPLICATE_CONFLICT, f"dispute {e.dispute_id} was already opened")
    _require_currency(state, e.currency)
    oid, cur = state.order_id, state.currency
    if state.is_released:
        parts = [p for p in state.after_release_parts() if state.left.get(p, 0) > 0]
        lefts = [state.left[p] for p in parts]
    else:
        parts = sorted(a for a, b in state.escrow().items() if b > 0)
        lefts = [state.balances[a] for a in parts]
    if e.amount > sum(lefts):
        raise Rejected(Reason.DISPUTE_EXCEEDS_HELD, f"dispute of {e.amount} on {oid}, which has {sum(lefts)} left")
    taken = {p: x for p, x in zip(parts, take_pro_rata(e.amount, lefts)) if x}
    metadata = {"dispute_id": e.dispute_id, "reason": e.reason,
                "phase": "released" if state.is_released else "escrow"}
    if state.is_released:  # the tax follows the money: the withholding part is held too
        postings = _from_parts(taken, cur)
        metadata["parts"] = dumps_parts(taken)
        metadata["hold"] = _dumps({part_seller(p): x for p, x in taken.items() if part_kind(p) == PAYABLE})
        metadata["withholding"] = _dumps({part_seller(p): -x for p, x in taken.items() if part_kind(p) == WITHHOLDING})
    else:
        postings = [debit(a, cur, x) for a, x in taken.items()]
        metadata["hold"] = _dumps({_seller_of(a): x for a, x in taken.items() if _seller_of(a)})
    postings.append(credit(accounts.dispute_hold(oid), cur, e.amount))
    txn = Transaction(transaction_id_for(e.event_id), "dispute_opened", e.event_id, e.occurred_at, tuple(postings),
                      order_id=oid, metadata=metadata)
    return _finish(state, txn)


def handle_dispute_resolved(e: DisputeResolved, state: OrderState) -> Transaction:
    """Won: the hold goes back exactly where it came from. Lost: it leaves the gateway
    pool with the chargeback, and a chargeback fee (if any) is an expense."""
    _require_id("order_id", e.order_id)  # validation comes before parking
    _require_id("dispute_id", e.dispute_id)
    if e.outcome not in ("won", "lost"):
        raise Rejected(Reason.INVALID_FIELD, f"dispute outcome must be won or lost, got {e.outcome!r}")
    if e.chargeback_fee < 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, f"chargeback fee is negative: {e.chargeback_fee}")
    _require_capture(state, "dispute resolution")
    if e.dispute_id in state.resolved_disputes:
        raise Rejected(Reason.DUPLICATE_CONFLICT, f"dispute {e.dispute_id} on {state.order_id} was already resolved")
    opened = state.open_disputes.get(e.dispute_id)
    if opened is None:
        raise Park(Reason.UNKNOWN_DISPUTE, f"dispute {e.dispute_id} on {state.order_id} is not open")
    cur, hold = state.currency, accounts.dispute_hold(state.order_id)
    postings = [debit(hold, cur, opened.amount)]
    if e.outcome == "won":
        postings += [credit(a, cur, amount) for a, amount in opened.sources]
    else:
        postings.append(credit(accounts.pool(state.gateway), cur, opened.amount))
        if e.chargeback_fee:
            postings += [debit(accounts.chargeback_expense(state.gateway), cur, e.chargeback_fee),
                         credit(accounts.pool(state.gateway), cur, e.chargeback_fee)]
    metadata = {"dispute_id": e.dispute_id, "outcome": e.outcome,
                "hold": _dumps({s: -a for s, a in opened.by_seller.items()})}
    returned = {p: x for p, x in opened.parts.items() if part_kind(p) == WITHHOLDING}
    if e.outcome == "won" and returned:  # the withholding the dispute held goes back to the tax office
        metadata["withholding"] = _dumps({part_seller(p): x for p, x in returned.items()})
    txn = Transaction(transaction_id_for(e.event_id), "dispute_resolved", e.event_id, e.occurred_at,
                      tuple(postings), order_id=state.order_id, reverses_transaction_id=opened.transaction_id,
                      metadata=metadata)
    return _finish(state, txn)


def _seller_of(account: str) -> str | None:
    parts = account.split(":")
    if parts[0] == "seller":
        return parts[1]
    if parts[0] == "order" and parts[2:4] == ["escrow", "seller"]:
        return parts[4]
    return None
