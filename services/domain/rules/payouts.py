"""Payout rules (DESIGN.md, CreatePayoutBatch and PayoutBatchConfirmed).

The ledger makes the batch from what it posted: every seller whose payable is
positive, at least their minimum, not on hold and with a bank account moves to
payout:{batch}:in_flight in one transaction. The bank's confirmation then settles
lines to ops:pool:payouts or returns failed ones to the seller's payable. A batch also
covers each negative payable it finds from the seller's reserve (rules/reserves.py)."""

from __future__ import annotations

from services.domain import accounts
from services.domain.batch_state import BatchState
from services.domain.bounds import POSTINGS_MAX, RESULTS_MAX
from services.domain.errors import NoOp, Reason, Rejected
from services.domain.events import CreatePayoutBatch, PayoutBatchConfirmed, PayoutReturned, SellerProfileUpdated
from services.domain.invariants import check_transaction
from services.domain.journal import Transaction, TxKind, credit, debit, transaction_id_for
from services.domain.money import is_currency
from services.domain.rules.reserves import cover


def eligible(payable: int, profile: SellerProfileUpdated | None) -> bool:
    return (payable > 0 and profile is not None and not profile.payout_hold
            and profile.can_be_paid and payable >= profile.payout_minimum)


def handle_create_payout_batch(cmd: CreatePayoutBatch, batch: BatchState, payables: dict[str, int],
                               profiles: dict[str, SellerProfileUpdated | None],
                               reserves: dict[str, int] | None = None) -> Transaction:
    """payables: seller -> payable balance in cmd.currency; profiles: the one in force;
    reserves: seller -> reserve balance in cmd.currency. The transaction pays the lines
    (Dr payable, Cr in_flight) and covers negative payables (Dr reserve, Cr payable;
    metadata "covered"); with no line to pay nothing is posted, and the covering waits
    for the next batch that pays someone."""
    if not accounts.is_valid_id(cmd.batch_id):
        raise Rejected(Reason.INVALID_FIELD, f"batch_id {cmd.batch_id!r} is not a usable id")
    if not is_currency(cmd.currency):
        raise Rejected(Reason.UNKNOWN_CURRENCY, f"{cmd.currency!r} is not an ISO 4217 currency")
    if batch.exists:
        raise Rejected(Reason.DUPLICATE_CONFLICT, f"batch {cmd.batch_id} was already created by another command")
    lines = {s: amount for s, amount in sorted(payables.items()) if eligible(amount, profiles.get(s))}
    if len(lines) > RESULTS_MAX:  # one batch pays at most this many; the rest wait for the next batch
        lines = dict(list(lines.items())[:RESULTS_MAX])
    if not lines:
        raise NoOp(f"no seller is due a payout in {cmd.currency}")
    cur = cmd.currency
    postings = [debit(accounts.seller_payable(s), cur, amount) for s, amount in lines.items()]
    postings.append(credit(accounts.payout_in_flight(cmd.batch_id), cur, sum(lines.values())))
    covered = cover(payables, reserves or {}, profiles)
    room = (POSTINGS_MAX - len(postings)) // 2  # the journal's bound; the rest is covered by the next batch
    covered = dict(list(covered.items())[:room])
    for s, amount in covered.items():
        postings += [debit(accounts.seller_reserve(s), cur, amount), credit(accounts.seller_payable(s), cur, amount)]
    metadata = {"batch_date": cmd.batch_date, "lines": lines, **({"covered": covered} if covered else {})}
    txn = Transaction(transaction_id_for(cmd.event_id), TxKind.PAYOUT_BATCH, cmd.event_id, cmd.occurred_at,
                      tuple(postings), batch_id=cmd.batch_id, metadata=metadata)
    check_transaction(txn)
    return txn


def handle_payout_batch_confirmed(e: PayoutBatchConfirmed, batch: BatchState) -> Transaction:
    """One transaction per confirmation message: settled lines Dr in_flight, Cr
    ops:pool:payouts; failed lines Dr in_flight, Cr seller:{s}:payable."""
    if not batch.exists:
        raise Rejected(Reason.UNKNOWN_BATCH, f"batch {e.batch_id} was never created by the ledger")
    if not e.results:
        raise Rejected(Reason.INVALID_FIELD, "a confirmation without results")
    fresh = []
    for r in e.results:
        if r.status not in ("SETTLED", "FAILED"):
            raise Rejected(Reason.INVALID_FIELD, f"status {r.status!r} is not SETTLED or FAILED")
        expected = batch.lines.get(r.seller_id)
        if expected is None:
            raise Rejected(Reason.CONFIRMATION_MISMATCH, f"{r.seller_id} is not in batch {e.batch_id}")
        if r.amount != expected:
            raise Rejected(Reason.CONFIRMATION_MISMATCH,
                           f"{r.seller_id}: confirmed {r.amount}, batch {e.batch_id} has {expected} in flight")
        done = batch.outcome.get(r.seller_id)
        if done is not None:
            if done[0] != r.status:
                raise Rejected(Reason.CONFIRMATION_MISMATCH,
                               f"{r.seller_id} in {e.batch_id} was already confirmed {done[0]}, now {r.status}")
            continue  # the same line confirmed again: nothing to do
        fresh.append(r)
    if len({r.seller_id for r in fresh}) != len(fresh):
        raise Rejected(Reason.CONFIRMATION_MISMATCH, "a seller appears twice in one confirmation")
    if not fresh:
        raise NoOp(f"every line of this confirmation of {e.batch_id} is already confirmed")
    cur, in_flight = batch.currency, accounts.payout_in_flight(e.batch_id)
    settled = {r.seller_id: [r.amount, r.bank_reference] for r in fresh if r.status == "SETTLED"}
    failed = {r.seller_id: [r.amount, r.reason] for r in fresh if r.status == "FAILED"}
    postings = [debit(in_flight, cur, sum(r.amount for r in fresh))]
    if settled:
        postings.append(credit(accounts.POOL_PAYOUTS, cur, sum(a for a, _ in settled.values())))
    postings += [credit(accounts.seller_payable(s), cur, a) for s, (a, _) in failed.items()]
    txn = Transaction(transaction_id_for(e.event_id), TxKind.PAYOUT_CONFIRMATION, e.event_id, e.occurred_at,
                      tuple(postings), batch_id=e.batch_id, reverses_transaction_id=None,
                      metadata={"batch_date": batch.batch_date, "settled": settled,
                                "failed": failed})
    check_transaction(txn)
    return txn


def handle_payout_returned(e: PayoutReturned, batch: BatchState) -> Transaction:
    """Dr ops:pool:payouts, Cr seller:{s}:payable: a settled transfer the bank returned is
    money back, owed to the seller again (the next batch pays it, to a corrected account)."""
    if not batch.exists:
        raise Rejected(Reason.UNKNOWN_BATCH, f"batch {e.batch_id} was never created by the ledger")
    if e.amount <= 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, f"a return of {e.amount}")
    done = batch.outcome.get(e.seller_id)
    if done is not None and done[0] == "RETURNED":
        raise NoOp(f"{e.seller_id}'s transfer in {e.batch_id} was already returned")
    if done is None or done[0] != "SETTLED" or done[1] != e.bank_reference:
        raise Rejected(Reason.CONFIRMATION_MISMATCH,
                       f"{e.seller_id} in {e.batch_id} has no settled transfer with reference {e.bank_reference}")
    if e.amount != batch.lines.get(e.seller_id):
        raise Rejected(Reason.CONFIRMATION_MISMATCH,
                       f"{e.seller_id}: returned {e.amount}, batch {e.batch_id} paid {batch.lines.get(e.seller_id)}")
    cur = batch.currency
    txn = Transaction(transaction_id_for(e.event_id), TxKind.PAYOUT_RETURN, e.event_id, e.occurred_at,
                      (debit(accounts.POOL_PAYOUTS, cur, e.amount), credit(accounts.seller_payable(e.seller_id), cur, e.amount)),
                      batch_id=e.batch_id,
                      metadata={"batch_date": batch.batch_date, "returned": {e.seller_id: [e.amount, e.reason or ""]},
                                "bank_reference": e.bank_reference})
    check_transaction(txn)
    return txn
