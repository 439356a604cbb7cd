"""DisputeOpened and DisputeResolved: the disputed amount is held apart while the
dispute is open; won, it goes back where it came from; lost, it leaves with the
chargeback."""

from __future__ import annotations

from services.domain import accounts
from services.domain.errors import Park, Reason, Rejected
from services.domain.events import DisputeOpened, DisputeResolved
from services.domain.journal import Transaction, TxKind, credit, debit, transaction_id_for
from services.domain.money import take_pro_rata
from services.domain.order_state import PAYABLE, WITHHOLDING, OrderState, part_kind, part_seller
from services.domain.rules.common import (finish, from_parts, require_capture, require_currency, require_id,
                                          require_known_currency)


def handle_dispute_opened(e: DisputeOpened, state: OrderState) -> Transaction:
    """The disputed amount moves to order:{id}:dispute:hold: from the escrow accounts pro
    rata before release, from the sellers' payables (pro rata to what they were released
    and not clawed back) after release."""
    require_id("order_id", e.order_id)  # validation comes before parking
    require_id("dispute_id", e.dispute_id)
    require_known_currency(e.currency)
    if e.amount <= 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, f"disputed amount must be positive, got {e.amount}")
    require_capture(state, "dispute")
    if e.dispute_id in state.open_disputes or e.dispute_id in state.resolved_disputes:
        raise Rejected(Reason.DUPLICATE_CONFLICT, f"dispute {e.dispute_id} was already opened")
    require_currency(state, e.currency)
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
        postings = from_parts(taken, cur)
        metadata["parts"] = {p: x for p, x in taken.items() if x}
        metadata["hold"] = {part_seller(p): x for p, x in taken.items() if part_kind(p) == PAYABLE}
        metadata["withholding"] = {part_seller(p): -x for p, x in taken.items() if part_kind(p) == WITHHOLDING}
    else:
        postings = [debit(a, cur, x) for a, x in taken.items()]
        metadata["hold"] = {accounts.seller_of(a): x for a, x in taken.items() if accounts.seller_of(a)}
    postings.append(credit(accounts.dispute_hold(oid), cur, e.amount))
    txn = Transaction(transaction_id_for(e.event_id), TxKind.DISPUTE_OPENED, e.event_id, e.occurred_at, tuple(postings),
                      order_id=oid, metadata=metadata)
    return finish(state, txn)


def handle_dispute_resolved(e: DisputeResolved, state: OrderState) -> Transaction:
    """Won: the hold goes back exactly where it came from. Lost: it leaves the gateway
    pool with the chargeback, and a chargeback fee (if any) is an expense."""
    require_id("order_id", e.order_id)  # validation comes before parking
    require_id("dispute_id", e.dispute_id)
    if e.outcome not in ("won", "lost"):
        raise Rejected(Reason.INVALID_FIELD, f"dispute outcome must be won or lost, got {e.outcome!r}")
    if e.chargeback_fee < 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, f"chargeback fee is negative: {e.chargeback_fee}")
    require_capture(state, "dispute resolution")
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
                "hold": {s: -a for s, a in opened.by_seller.items()}}
    returned = {p: x for p, x in opened.parts.items() if part_kind(p) == WITHHOLDING}
    if e.outcome == "won" and returned:  # the withholding the dispute held goes back to the tax office
        metadata["withholding"] = {part_seller(p): x for p, x in returned.items()}
    txn = Transaction(transaction_id_for(e.event_id), TxKind.DISPUTE_RESOLVED, e.event_id, e.occurred_at,
                      tuple(postings), order_id=state.order_id, reverses_transaction_id=opened.transaction_id,
                      metadata=metadata)
    return finish(state, txn)
