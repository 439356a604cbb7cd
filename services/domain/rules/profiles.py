"""SellerProfileUpdated: a seller's withholding rate, payout minimum, hold and bank
account from a moment on. Recorded beside the journal (it moves no money)."""

from __future__ import annotations

from services.domain.errors import Reason, Rejected
from services.domain.events import SellerProfileUpdated
from services.domain.rules.common import require_id


def handle_seller_profile_updated(e: SellerProfileUpdated) -> SellerProfileUpdated:
    """The profile, validated: what the payout and release rules will read."""
    require_id("seller_id", e.seller_id)
    if not 0 <= e.withholding_rate_bp <= 10_000:
        raise Rejected(Reason.INVALID_FIELD, f"withholding rate {e.withholding_rate_bp} bp is not within 0..10000")
    if e.payout_minimum < 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, f"payout minimum is negative: {e.payout_minimum}")
    return e
