"""What the order rules share: the checks in their precedence order, and the last word
(invariants 1, 5 and 3) on the transaction a rule built."""

from __future__ import annotations

from services.domain import accounts
from services.domain.errors import Park, Reason, Rejected
from services.domain.invariants import check_escrow_not_negative, check_transaction
from services.domain.journal import Posting, Transaction, debit
from services.domain.money import is_currency
from services.domain.order_state import OrderState, part_account


def finish(state: OrderState, txn: Transaction) -> Transaction:
    """Invariants 1, 5 and 3 (on the balances this transaction would leave)."""
    check_transaction(txn)
    check_escrow_not_negative(state, txn)
    return txn


def require_capture(state: OrderState, what: str) -> None:
    if not state.captured:
        raise Park(Reason.UNKNOWN_ORDER, f"{what}: order {state.order_id} has no posted capture yet")


def require_id(name: str, value: str) -> None:
    if not accounts.is_valid_id(value):
        raise Rejected(Reason.INVALID_FIELD, f"{name} {value!r} is not a usable id ([A-Za-z0-9_.-], 1-128)")


def require_known_currency(currency: str | None) -> None:
    if currency is not None and not is_currency(currency):
        raise Rejected(Reason.UNKNOWN_CURRENCY, f"{currency!r} is not an ISO 4217 currency")


def require_currency(state: OrderState, currency: str | None) -> None:
    if currency is None:
        return
    if currency != state.currency:
        raise Rejected(Reason.CURRENCY_MISMATCH, f"event in {currency}, order {state.order_id} in {state.currency}")


def from_parts(taken: dict[str, int], cur: str) -> list[Posting]:
    """Debits of the accounts the parts taken sit in, one per account."""
    per_account: dict[str, int] = {}
    for part, amount in taken.items():
        per_account[part_account(part)] = per_account.get(part_account(part), 0) + amount
    return [debit(a, cur, amount) for a, amount in per_account.items() if amount]
