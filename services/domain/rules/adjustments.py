"""Manual adjustments: proposed by one operator, approved by another (two others above
a threshold), then posted like any command. They may not touch order escrow or payout
accounts, which move only through their own rules."""

from __future__ import annotations

from services.domain import accounts
from services.domain.bounds import AMOUNT_MAX_MINOR
from services.domain.errors import Reason, Rejected
from services.domain.events import ManualAdjustment
from services.domain.invariants import check_transaction
from services.domain.journal import Posting, Transaction, TxKind, transaction_id_for
from services.domain.money import is_currency

PROTECTED = ("order:", "payout:")


def validate(currency: str, postings: list[tuple[str, int]]) -> int:
    """Returns the adjustment's size (sum of debits); raises Rejected."""
    if not is_currency(currency):
        raise Rejected(Reason.UNKNOWN_CURRENCY, f"{currency!r} is not an ISO 4217 currency")
    if len(postings) < 2:
        raise Rejected(Reason.UNBALANCED, "an adjustment needs at least two postings")
    for account, amount in postings:
        if not accounts.is_address(account):
            raise Rejected(Reason.INVALID_FIELD, f"{account!r} is not an account address")
        if account.startswith(PROTECTED):
            raise Rejected(Reason.INVALID_FIELD, f"{account} moves only through its own posting rules")
        if amount == 0:
            raise Rejected(Reason.INVALID_FIELD, f"zero posting on {account}")
        if not -AMOUNT_MAX_MINOR <= amount <= AMOUNT_MAX_MINOR:
            raise Rejected(Reason.OUT_OF_BOUNDS, f"{amount} on {account} is beyond the ledger's bound of"
                                                 f" {AMOUNT_MAX_MINOR:,} minor units per amount")
    if sum(a for _, a in postings) != 0:
        raise Rejected(Reason.UNBALANCED, f"debits - credits = {sum(a for _, a in postings)}")
    return sum(a for _, a in postings if a > 0)


def required_approvals(amount_minor: int, two_above_minor: int) -> int:
    return 2 if amount_minor > two_above_minor else 1


def handle_manual_adjustment(cmd: ManualAdjustment) -> Transaction:
    validate(cmd.currency, list(cmd.postings))
    if not cmd.approvers or cmd.proposer in cmd.approvers:
        raise Rejected(Reason.INVALID_FIELD, f"adjustment {cmd.adjustment_id} lacks an approver other than its proposer")
    txn = Transaction(
        transaction_id_for(cmd.event_id), TxKind.ADJUSTMENT, cmd.event_id, cmd.occurred_at,
        tuple(Posting(a, cmd.currency, amount) for a, amount in cmd.postings),
        metadata={"adjustment_id": cmd.adjustment_id, "reason_code": cmd.reason_code, "reason": cmd.reason,
                  "proposer": cmd.proposer, "approvers": list(cmd.approvers)},
    )
    check_transaction(txn)
    return txn
