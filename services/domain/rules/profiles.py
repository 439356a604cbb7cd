"""SellerProfileUpdated: a seller's withholding rate, payout minimum, hold, payee
(legal name, tax document, bank account) and rolling reserve from a moment on. Recorded beside the journal
(it moves no money); the payee is checked here, on arrival, so a payout file never
carries an account a bank would bounce."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.domain import payees
from services.domain.errors import Reason, Rejected
from services.domain.events import SellerProfileUpdated
from services.domain.rules.common import require_id

RESERVE_PERIOD_MAX_DAYS = 730  # two years: longer than any card network's chargeback window


def in_force(versions: Sequence[SellerProfileUpdated], as_of: datetime) -> SellerProfileUpdated | None:
    """The profile in force at as_of: the last of versions (in effective order) from then or before."""
    found = None
    for p in versions:
        if p.occurred_at <= as_of:
            found = p
    return found


def handle_seller_profile_updated(e: SellerProfileUpdated) -> SellerProfileUpdated:
    """The profile, validated and in canonical form: what the payout and release rules
    and the bank files read."""
    require_id("seller_id", e.seller_id)
    if not 0 <= e.withholding_rate_bp <= 10_000:
        raise Rejected(Reason.INVALID_FIELD, f"withholding rate {e.withholding_rate_bp} bp is not within 0..10000")
    if e.payout_minimum < 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, f"payout minimum is negative: {e.payout_minimum}")
    if not 0 <= e.reserve_rate_bp <= 10_000:
        raise Rejected(Reason.INVALID_FIELD, f"reserve rate {e.reserve_rate_bp} bp is not within 0..10000")
    if not 0 <= e.reserve_period_days <= RESERVE_PERIOD_MAX_DAYS:
        raise Rejected(Reason.INVALID_FIELD,
                       f"reserve period {e.reserve_period_days} days is not within 0..{RESERVE_PERIOD_MAX_DAYS}")
    if e.reserve_rate_bp and not e.reserve_period_days:
        raise Rejected(Reason.INVALID_FIELD, f"a reserve of {e.reserve_rate_bp} bp needs a period of at least one day")
    return e._replace(
        legal_name=None if e.legal_name is None else payees.check_legal_name(e.legal_name),
        tax_document=None if e.tax_document is None else payees.check_document(e.tax_document),
        bank_account=None if e.bank_account is None else payees.check_account(e.bank_account))
