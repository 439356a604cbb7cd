"""The ledger's invariants, written once (DESIGN.md, Invariants). A violation is
rejected, never posted. The database enforces 1, 5 and 6 again on its own.

1. Every transaction balances: sum(debits) = sum(credits), per currency.
2. At capture: sum(escrow credited) = amount captured, and pool + fee = amount.
3. An escrow account (and a dispute hold) never goes below zero.
4. Per seller: payable + reserve + in_flight + paid_out = released share - withholding
   - claw-backs - disputes after release.             (payouts, issue 4; reserves, 16)
5. Every transaction references its source (order_id, batch_id or event_id).
6. The journal is append-only (database trigger; corrections are new transactions).
"""

from __future__ import annotations

from services.domain.bounds import POSTING_MAX_MINOR, POSTINGS_MAX
from services.domain.errors import Reason, Rejected
from services.domain.journal import Transaction


def check_escrow_not_negative(state, txn: Transaction) -> None:
    """Invariant 3: the order's escrow and hold accounts, after txn, are all >= 0."""
    own = f"order:{state.order_id}:"
    after: dict[str, int] = {}
    for account, _c, amount in txn.postings:
        if account.startswith(own):
            after[account] = after.get(account, state.balances.get(account, 0)) - amount
    below = {a: b for a, b in after.items() if b < 0}
    if below:
        raise Rejected(Reason.UNBALANCED, f"would leave below zero: {below}")


def check_balanced(txn: Transaction) -> None:
    """Invariant 1 (and no zero or empty posting sets)."""
    if len(txn.postings) < 2:
        raise Rejected(Reason.UNBALANCED, f"transaction {txn.event_id} has fewer than two postings")
    totals: dict[str, int] = {}
    for account, currency, amount in txn.postings:
        if not amount:
            raise Rejected(Reason.UNBALANCED, f"zero posting on {account}")
        totals[currency] = totals.get(currency, 0) + amount
    if any(totals.values()):
        unbalanced = {c: t for c, t in totals.items() if t}
        raise Rejected(Reason.UNBALANCED, f"debits - credits per currency = {unbalanced}")


def check_capture_allocation(txn: Transaction, amount_minor: int) -> None:
    """Invariant 2: what came in is allocated in full, and pool + fee = amount."""
    escrow = received = 0
    for account, _currency, amount in txn.postings:
        if ":escrow:" in account:
            escrow -= amount
        if amount > 0:
            received += amount
    if escrow != amount_minor or received != amount_minor:
        raise Rejected(
            Reason.UNBALANCED,
            f"capture allocates escrow {escrow} and receives {received}, expected {amount_minor}",
        )


def check_references_source(txn: Transaction) -> None:
    """Invariant 5."""
    if not (txn.order_id or txn.batch_id or txn.event_id):
        raise Rejected(Reason.INVALID_FIELD, "transaction references no order, batch or event")


def check_within_bounds(txn: Transaction) -> None:
    """What the journal can hold: at most POSTINGS_MAX postings, each a bigint."""
    if len(txn.postings) > POSTINGS_MAX:
        raise Rejected(Reason.OUT_OF_BOUNDS, f"{len(txn.postings):,} postings (at most {POSTINGS_MAX:,})")
    for account, _currency, amount in txn.postings:
        if not -POSTING_MAX_MINOR <= amount <= POSTING_MAX_MINOR:
            raise Rejected(Reason.OUT_OF_BOUNDS, f"posting of {amount} on {account} does not fit a bigint")


def check_transaction(txn: Transaction) -> None:
    check_within_bounds(txn)
    check_balanced(txn)
    check_references_source(txn)
