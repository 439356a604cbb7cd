"""What the ledger knows about one order, folded from its journal transactions.

The lifecycle rules read it; the posting consumer builds it from the journal for
the orders in a batch and keeps it current as the batch's transactions are staged."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from .journal import Transaction


@dataclass
class OpenDispute:
    transaction_id: uuid.UUID
    amount: int
    sources: tuple[tuple[str, int], ...]  # (account, amount) debited into the hold
    by_seller: dict[str, int]  # the sellers' part of the hold


@dataclass
class OrderState:
    order_id: str
    currency: str | None = None
    gateway: str | None = None
    capture_txn: uuid.UUID | None = None
    release_due_at: datetime | None = None
    balances: dict[str, int] = field(default_factory=dict)  # natural balances of order:{id}:* accounts
    release_txn: uuid.UUID | None = None
    # at release: per seller (share released, withholding); then what claw-backs left of them
    released: dict[str, tuple[int, int]] = field(default_factory=dict)
    released_left: dict[str, list[int]] = field(default_factory=dict)
    released_platform_left: int = 0
    released_shipping_left: int = 0
    open_disputes: dict[str, OpenDispute] = field(default_factory=dict)

    @property
    def captured(self) -> bool:
        return self.capture_txn is not None

    @property
    def is_released(self) -> bool:
        return self.release_txn is not None

    def escrow(self) -> dict[str, int]:
        prefix = f"order:{self.order_id}:escrow:"
        return {a: b for a, b in self.balances.items() if a.startswith(prefix)}

    def apply(self, t: Transaction) -> None:
        """Fold one of this order's transactions (in journal order)."""
        own = f"order:{self.order_id}:"
        for account, _currency, amount in t.postings:
            if account.startswith(own):
                self.balances[account] = self.balances.get(account, 0) - amount  # liabilities
        md = t.metadata
        if t.kind == "capture":
            self.capture_txn = t.transaction_id
            self.currency = t.postings[0].currency
            self.gateway = md.get("gateway")
            due = md.get("release_due_at")
            self.release_due_at = datetime.fromisoformat(due) if isinstance(due, str) else due
        elif t.kind == "release":
            self.release_txn = t.transaction_id
            withheld = _json(md.get("withholding"))
            for account, _c, amount in t.postings:
                parts = account.split(":")
                if amount > 0 and parts[2:4] == ["escrow", "seller"]:
                    self.released[parts[4]] = (amount, withheld.get(parts[4], 0))
                    self.released_left[parts[4]] = [amount, withheld.get(parts[4], 0)]
                elif amount > 0 and parts[2:4] == ["escrow", "platform"]:
                    self.released_platform_left += amount
                elif amount > 0 and parts[2:4] == ["escrow", "shipping"]:
                    self.released_shipping_left += amount
        elif t.kind == "refund_after_release":
            clawed = _json(md.get("withholding_clawback"))
            for account, _c, amount in t.postings:
                parts = account.split(":")
                if parts[0] == "seller" and amount > 0:
                    left = self.released_left[parts[1]]
                    left[0] -= amount + clawed.get(parts[1], 0)
                    left[1] -= clawed.get(parts[1], 0)
                elif account == "ops:revenue:takerate":
                    self.released_platform_left -= amount
                elif account == "ops:payable:shipping":
                    self.released_shipping_left -= amount
        elif t.kind == "dispute_opened":
            self.open_disputes[md["dispute_id"]] = OpenDispute(
                t.transaction_id,
                sum(a for _, _, a in t.postings if a > 0),
                tuple((acc, a) for acc, _, a in t.postings if a > 0),
                {k: int(v) for k, v in _json(md.get("hold")).items()},
            )
        elif t.kind == "dispute_resolved":
            self.open_disputes.pop(md["dispute_id"], None)


def _json(value) -> dict:
    if not value:
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


def fold(order_id: str, txns: list[Transaction]) -> OrderState:
    state = OrderState(order_id)
    for t in txns:
        state.apply(t)
    return state
