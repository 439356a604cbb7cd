"""Rolling reserves (DESIGN.md, seller:{s}:reserve).

At release a seller's reserve rate of their net share goes to seller:{s}:reserve
(rules/release.py). ReleaseReserve, from the reserve scheduler, moves what the reserve
holds beyond the amounts still within their period to the payable. When a payout batch
is made, a seller whose payable is negative (claw-backs, chargebacks after release) has
it covered from the reserve (rules/payouts.py, cover). A seller on hold keeps its
reserve whole: neither released nor drawn on."""

from __future__ import annotations

from services.domain import accounts
from services.domain.errors import NoOp, Reason, Rejected
from services.domain.events import ReleaseReserve, SellerProfileUpdated
from services.domain.invariants import check_transaction
from services.domain.journal import Transaction, TxKind, credit, debit, transaction_id_for
from services.domain.money import is_currency
from services.domain.reserve_state import ReserveState
from services.domain.rules.common import require_id


def handle_release_reserve(cmd: ReleaseReserve, reserve: ReserveState,
                           profile: SellerProfileUpdated | None) -> Transaction:
    """Dr seller:{s}:reserve, Cr seller:{s}:payable: balance - locked as of cmd.occurred_at."""
    require_id("seller_id", cmd.seller_id)
    if not is_currency(cmd.currency):
        raise Rejected(Reason.UNKNOWN_CURRENCY, f"{cmd.currency!r} is not an ISO 4217 currency")
    if profile is not None and profile.payout_hold:
        raise NoOp(f"{cmd.seller_id} is on hold: the reserve stays")
    amount = reserve.releasable(cmd.occurred_at)
    if amount <= 0:
        raise NoOp(f"{cmd.seller_id}'s reserve holds nothing past its period as of {cmd.occurred_at.isoformat()}")
    locked = reserve.locked(cmd.occurred_at)
    txn = Transaction(transaction_id_for(cmd.event_id), TxKind.RESERVE_RELEASE, cmd.event_id, cmd.occurred_at,
                      (debit(accounts.seller_reserve(cmd.seller_id), cmd.currency, amount),
                       credit(accounts.seller_payable(cmd.seller_id), cmd.currency, amount)),
                      metadata={"seller_id": cmd.seller_id, "released": str(amount), "still_held": str(locked),
                                "as_of": cmd.occurred_at.isoformat()})
    check_transaction(txn)
    return txn


def cover(payables: dict[str, int], reserves: dict[str, int],
          profiles: dict[str, SellerProfileUpdated | None]) -> dict[str, int]:
    """seller -> what their reserve covers of a negative payable (at most the reserve;
    none for a seller on hold)."""
    out = {}
    for seller, payable in sorted(payables.items()):
        held = reserves.get(seller, 0)
        profile = profiles.get(seller)
        if payable < 0 < held and not (profile is not None and profile.payout_hold):
            out[seller] = min(-payable, held)
    return out
