"""OrderCaptured: the buyer paid; the money sits in escrow per seller, platform and
shipping, and the gateway pool owes it (less its fee). Nothing is revenue yet.

Checks run in the precedence order of errors.Reason, so the reason reported is
the highest-precedence one that applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.domain import accounts
from services.domain.errors import Reason, Rejected
from services.domain.events import OrderCaptured
from services.domain.invariants import check_capture_allocation, check_transaction
from services.domain.journal import Posting, Transaction, TxKind, transaction_id_for
from services.domain.money import is_currency
from services.domain.rules.common import require_id


@dataclass(frozen=True, slots=True)
class Policy:
    """Marketplace settings the rules depend on."""

    escrow_window: timedelta = timedelta(days=30)
    default_withholding_bp: int = 0  # for a seller with no profile in force


def validate_capture(e: OrderCaptured) -> None:
    """Raise Rejected with the highest-precedence reason that applies, if any."""
    if _plainly_valid(e):
        return
    _validate_in_order(e)


def _plainly_valid(e: OrderCaptured) -> bool:
    """One pass that answers True only when no check of _validate_in_order can fail: the
    common case, on the hot path. Anything else goes through the checks in order."""
    cur, amount, fee, shipping = e.currency, e.amount, e.gateway_fee, e.shipping
    if not (e.lines and is_currency(cur) and amount > 0 and 0 <= fee <= amount and shipping >= 0):
        return False
    total = 0
    ids = [e.order_id, e.gateway]
    for seller_id, _item, line_amount, platform_fee, line_currency, _category in e.lines:
        if not 0 <= platform_fee <= line_amount or (line_currency is not None and line_currency != cur):
            return False
        total += line_amount
        ids.append(seller_id)
    return amount == total + shipping and accounts.all_valid_ids(ids)


def _validate_in_order(e: OrderCaptured) -> None:
    # INVALID_FIELD
    require_id("order_id", e.order_id)
    require_id("gateway", e.gateway)
    if not e.lines:
        raise Rejected(Reason.INVALID_FIELD, "capture has no lines")
    for ln in e.lines:
        require_id("seller_id", ln.seller_id)
    # UNKNOWN_CURRENCY
    if not is_currency(e.currency):
        raise Rejected(Reason.UNKNOWN_CURRENCY, f"{e.currency!r} is not an ISO 4217 currency")
    for ln in e.lines:
        if ln.currency is not None and not is_currency(ln.currency):
            raise Rejected(Reason.UNKNOWN_CURRENCY, f"line currency {ln.currency!r} is not ISO 4217")
    # CURRENCY_MISMATCH
    for ln in e.lines:
        if ln.currency is not None and ln.currency != e.currency:
            raise Rejected(
                Reason.CURRENCY_MISMATCH,
                f"line {ln.item_id} is in {ln.currency}, the order in {e.currency}",
            )
    # NEGATIVE_AMOUNT
    if e.amount <= 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, f"captured amount must be positive, got {e.amount}")
    for name, value in (("gateway_fee", e.gateway_fee), ("shipping", e.shipping)):
        if value < 0:
            raise Rejected(Reason.NEGATIVE_AMOUNT, f"{name} is negative: {value}")
    for ln in e.lines:
        if ln.amount < 0 or ln.platform_fee < 0:
            raise Rejected(Reason.NEGATIVE_AMOUNT, f"line {ln.item_id} has a negative amount or fee")
    # FEE_EXCEEDS_AMOUNT
    if e.gateway_fee > e.amount:
        raise Rejected(Reason.FEE_EXCEEDS_AMOUNT, f"gateway fee {e.gateway_fee} > amount {e.amount}")
    for ln in e.lines:
        if ln.platform_fee > ln.amount:
            raise Rejected(
                Reason.FEE_EXCEEDS_AMOUNT,
                f"line {ln.item_id}: platform fee {ln.platform_fee} > line amount {ln.amount}",
            )
    # AMOUNT_MISMATCH
    lines_total = sum(ln.amount for ln in e.lines)
    if e.amount != lines_total + e.shipping:
        raise Rejected(
            Reason.AMOUNT_MISMATCH,
            f"amount {e.amount} != lines {lines_total} + shipping {e.shipping}",
        )


def sales_of(e: OrderCaptured) -> dict[str, dict[str, list[int]]]:
    """seller -> category ('' for none) -> [gross (the lines' amounts), platform fee]."""
    out: dict[str, dict[str, list[int]]] = {}
    for ln in e.lines:
        cell = out.setdefault(ln.seller_id, {}).setdefault(ln.category or "", [0, 0])
        cell[0] += ln.amount
        cell[1] += ln.platform_fee
    return out


def handle_order_captured(e: OrderCaptured, policy: Policy) -> Transaction:
    """Dr pool (amount - fee), Dr mdr (fee); Cr escrow per seller (line - platform fee),
    Cr escrow:shipping, Cr escrow:platform (sum of platform fees). Nothing is revenue yet."""
    validate_capture(e)
    cur, order_id = e.currency, e.order_id
    seller_share: dict[str, int] = {}
    seller_fees: dict[str, int] = {}
    platform_total = 0
    for seller_id, _item, amount, platform_fee, _currency, _category in e.lines:
        seller_share[seller_id] = seller_share.get(seller_id, 0) + amount - platform_fee
        if platform_fee:
            seller_fees[seller_id] = seller_fees.get(seller_id, 0) + platform_fee
        platform_total += platform_fee

    # Posting(...) directly: amount > 0 debits, < 0 credits (this runs per capture, hot).
    postings: list[Posting] = []
    if e.amount - e.gateway_fee:
        postings.append(Posting(accounts.pool(e.gateway), cur, e.amount - e.gateway_fee))
    if e.gateway_fee:
        postings.append(Posting(accounts.mdr_expense(e.gateway), cur, e.gateway_fee))
    for seller_id, share in seller_share.items():
        if share:
            postings.append(Posting(accounts.escrow_seller(order_id, seller_id), cur, -share))
    if e.shipping:
        postings.append(Posting(accounts.escrow_shipping(order_id), cur, -e.shipping))
    if platform_total:
        postings.append(Posting(accounts.escrow_platform(order_id), cur, -platform_total))

    # whose platform fee is whose: a refund line may return only its own seller's
    metadata = {"gateway": e.gateway, "release_due_at": (e.occurred_at + policy.escrow_window).isoformat(),
                "platform_fees": seller_fees}
    # reporting dimensions (the views of migration 0022): where the order came from, and
    # per seller and category what the buyer paid and the platform's fee on it
    if e.channel is not None:
        metadata["channel"] = e.channel
    if e.has_dimensions:
        if e.region is not None:
            metadata["region"] = e.region
        metadata["sales"] = sales_of(e)
    txn = Transaction(
        transaction_id=transaction_id_for(e.event_id),
        kind=TxKind.CAPTURE,
        event_id=e.event_id,
        occurred_at=e.occurred_at,
        postings=tuple(postings),
        order_id=e.order_id,
        metadata=metadata,
    )
    check_transaction(txn)
    check_capture_allocation(txn, e.amount)
    return txn
