"""A seller's rolling reserve in one currency, as the journal has it: what the reserve
account holds and, per release that fed it, the amount and the end of its period.

A reserve release may move to the payable only what the balance holds beyond the
amounts still within their period (locked). Covering a negative payable draws on the
balance, so it uses up the amounts whose periods end first: what is released later is
balance - locked, never more than the balance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.domain import accounts
from services.domain.journal import Transaction, TxKind


@dataclass
class ReserveState:
    seller_id: str
    currency: str
    balance: int = 0  # natural balance of seller:{s}:reserve
    holds: list[tuple[datetime, int]] = field(default_factory=list)  # (held until, amount) of each release

    def locked(self, as_of: datetime) -> int:
        """What the reserve must still hold at as_of: the amounts whose period has not ended."""
        return sum(amount for until, amount in self.holds if until > as_of)

    def releasable(self, as_of: datetime) -> int:
        return max(0, self.balance - self.locked(as_of))

    def last_end(self, as_of: datetime) -> datetime | None:
        """The latest period end at or before as_of (what a release as of then covers)."""
        ended = [until for until, _ in self.holds if until <= as_of]
        return max(ended) if ended else None

    def apply(self, t: Transaction) -> None:
        """Fold one journal transaction (in journal order); others' postings are ignored."""
        account = accounts.seller_reserve(self.seller_id)
        for a, currency, amount in t.postings:
            if a == account and currency == self.currency:
                self.balance -= amount  # a liability: a credit adds to it
        if t.kind == TxKind.RELEASE and self.seller_id in t.metadata.get("reserve", {}):
            if t.postings[0].currency == self.currency:
                amount, until = t.metadata["reserve"][self.seller_id]
                self.holds.append((_aware(until), int(amount)))


def _aware(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
