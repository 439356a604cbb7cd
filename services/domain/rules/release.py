"""ReleaseEscrow: the escrow window has passed, the order's escrow becomes the sellers'
payables (less withholding at each seller's rate, and less the share a seller's rolling
reserve holds for its period), the platform's revenue and the carrier's payable."""

from __future__ import annotations

from datetime import timedelta

from services.domain import accounts
from services.domain.errors import NoOp, Reason, Rejected
from services.domain.events import ReleaseEscrow
from services.domain.journal import Posting, Transaction, TxKind, credit, debit, transaction_id_for
from services.domain.money import basis_points_of
from services.domain.order_state import OrderState
from services.domain.rules.common import finish, require_capture, require_id


def handle_release_escrow(cmd: ReleaseEscrow, state: OrderState, withholding_bp: dict[str, int],
                          reserves: dict[str, tuple[int, int]] | None = None) -> Transaction:
    """Dr escrow:seller:{s}, Cr seller:{s}:payable + ops:tax:withholding (the seller's
    rate in force at cmd.occurred_at) + seller:{s}:reserve (reserves: seller -> (rate bp,
    period days) in force then; the reserve takes its rate of the net, half-even, and
    holds it until cmd.occurred_at + the period); Dr escrow:platform, Cr revenue;
    Dr escrow:shipping, Cr ops:payable:shipping."""
    require_id("order_id", cmd.order_id)
    require_capture(state, "release")
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
    reserved: dict[str, list] = {}
    for account, held in state.escrow().items():
        if held <= 0:
            continue
        part = accounts.escrow_of(account)
        postings.append(debit(account, cur, held))
        if part.part == "seller":
            seller = part.seller_id
            w = basis_points_of(held, withholding_bp.get(seller, 0))
            withheld[seller] = w
            rate, days = (reserves or {}).get(seller, (0, 0))
            r = basis_points_of(held - w, rate)
            if r:
                until = cmd.occurred_at + timedelta(days=days)
                reserved[seller] = [r, until.isoformat()]
                postings.append(credit(accounts.seller_reserve(seller), cur, r))
            if held - w - r:
                postings.append(credit(accounts.seller_payable(seller), cur, held - w - r))
            if w:
                postings.append(credit(accounts.TAX_WITHHOLDING, cur, w))
        elif part.part == "platform":
            postings.append(credit(accounts.REVENUE_TAKERATE, cur, held))
        else:
            postings.append(credit(accounts.PAYABLE_SHIPPING, cur, held))
    if not postings:
        raise NoOp(f"order {state.order_id} holds nothing in escrow")
    metadata = {"withholding": withheld, **({"reserve": reserved} if reserved else {})}
    txn = Transaction(transaction_id_for(cmd.event_id), TxKind.RELEASE, cmd.event_id, cmd.occurred_at, tuple(postings),
                      order_id=state.order_id, metadata=metadata)
    return finish(state, txn)
