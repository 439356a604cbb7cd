"""What the ledger knows about one order, folded from its journal transactions.

The lifecycle rules read it; the posting consumer builds it from the journal for
the orders in a batch and keeps it current as the batch's transactions are staged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from services.domain import accounts
from services.domain.journal import Transaction, TxKind

# After release an order's money sits in parts: per seller a payable part and a
# withholding part, the platform's take rate, the shipping payable. Every transaction
# after release says in its metadata ("parts") what it took from each part, or gave back;
# this module builds those names and reads them back.
PLATFORM, SHIPPING = "platform", "shipping"
PAYABLE, WITHHOLDING = "payable", "withholding"


def payable_part(seller: str) -> str:
    return f"{PAYABLE}:{seller}"


def withholding_part(seller: str) -> str:
    return f"{WITHHOLDING}:{seller}"


def part_kind(part: str) -> str:
    """payable | withholding | platform | shipping"""
    return part.partition(":")[0]


def part_seller(part: str) -> str | None:
    kind, _, seller = part.partition(":")
    return seller if kind in (PAYABLE, WITHHOLDING) else None


def part_account(part: str) -> str:
    kind, _, seller = part.partition(":")
    if kind == PAYABLE:
        return accounts.seller_payable(seller)
    if kind == WITHHOLDING:
        return accounts.TAX_WITHHOLDING
    return accounts.REVENUE_TAKERATE if kind == PLATFORM else accounts.PAYABLE_SHIPPING


@dataclass
class OpenDispute:
    transaction_id: uuid.UUID
    amount: int
    sources: tuple[tuple[str, int], ...]  # (account, amount) debited into the hold
    by_seller: dict[str, int]  # the sellers' payable part of the hold
    parts: dict[str, int] = field(default_factory=dict)  # after release: what it took from each part


@dataclass
class OrderState:
    order_id: str
    currency: str | None = None
    gateway: str | None = None
    capture_txn: uuid.UUID | None = None
    release_due_at: datetime | None = None
    balances: dict[str, int] = field(default_factory=dict)  # natural balances of order:{id}:* accounts
    release_txn: uuid.UUID | None = None
    # after release: what is still there of each part (see payable_part and the others)
    left: dict[str, int] = field(default_factory=dict)
    open_disputes: dict[str, OpenDispute] = field(default_factory=dict)
    resolved_disputes: set[str] = field(default_factory=set)
    # per seller, the platform fee their items carried less what refunds returned (None:
    # a capture posted before fees were recorded per seller)
    platform_fees_left: dict[str, int] | None = None
    # reporting: per seller and category ('' for none), [gross, platform fee] the buyer paid
    # less what refunds returned (from the capture's "sales", or its seller shares and fees)
    sales_left: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def sellers_released(self) -> list[str]:
        return sorted({part_seller(p) for p in self.left} - {None})

    def after_release_parts(self) -> list[str]:
        """The parts in the order rounding remainders settle in: payables, withholdings,
        platform, shipping."""
        sellers = self.sellers_released()
        return [payable_part(s) for s in sellers] + [withholding_part(s) for s in sellers] + [PLATFORM, SHIPPING]

    def _fees_refunded(self, md: dict) -> None:
        if self.platform_fees_left is not None:
            for seller, fee in _json(md.get("platform_fees")).items():
                self.platform_fees_left[seller] = self.platform_fees_left.get(seller, 0) - int(fee)

    def _sales_refunded(self, md: dict) -> None:
        for seller, cells in _json(md.get("sales")).items():
            for category, (gross, fee) in cells.items():
                cell = self.sales_left.setdefault(seller, {}).setdefault(category, [0, 0])
                cell[0] -= int(gross)
                cell[1] -= int(fee)

    def _move_parts(self, moved: dict[str, int], sign: int) -> None:
        for part, amount in moved.items():
            self.left[part] = self.left.get(part, 0) + sign * int(amount)

    @property
    def captured(self) -> bool:
        return self.capture_txn is not None

    @property
    def is_released(self) -> bool:
        return self.release_txn is not None

    def escrow(self) -> dict[str, int]:
        prefix = f"order:{self.order_id}:escrow:"
        return {a: b for a, b in self.balances.items() if a.startswith(prefix)}

    def sellers_in_escrow(self) -> list[str]:
        """The sellers with an escrow account on this order."""
        return [s for s in map(accounts.escrow_seller_of, self.escrow()) if s]

    def apply(self, t: Transaction) -> None:
        """Fold one of this order's transactions (in journal order)."""
        own = f"order:{self.order_id}:"
        for account, _currency, amount in t.postings:
            if account.startswith(own):
                self.balances[account] = self.balances.get(account, 0) - amount  # liabilities
        md = t.metadata
        if t.kind == TxKind.CAPTURE:
            self.capture_txn = t.transaction_id
            self.currency = t.postings[0].currency
            self.gateway = md.get("gateway")
            due = md.get("release_due_at")
            self.release_due_at = datetime.fromisoformat(due) if isinstance(due, str) else due
            if "platform_fees" in md:
                self.platform_fees_left = {k: int(v) for k, v in _json(md["platform_fees"]).items()}
            self.sales_left = _sales(md, t)
        elif t.kind == TxKind.RELEASE:
            self.release_txn = t.transaction_id
            withheld = _json(md.get("withholding"))
            for account, _c, amount in t.postings:
                escrow = accounts.escrow_of(account) if amount > 0 else None
                if escrow is None:
                    continue
                if escrow.part == "seller":
                    s = escrow.seller_id
                    w = int(withheld.get(s, 0))
                    self._move_parts({payable_part(s): amount - w, withholding_part(s): w}, 1)
                else:
                    self._move_parts({PLATFORM if escrow.part == "platform" else SHIPPING: amount}, 1)
        elif t.kind == TxKind.REFUND:
            self._fees_refunded(md)
            self._sales_refunded(md)
        elif t.kind == TxKind.REFUND_AFTER_RELEASE:
            self._move_parts(_json(md.get("parts")) or _legacy_clawback(t), -1)
            self._fees_refunded(md)
            self._sales_refunded(md)
        elif t.kind == TxKind.DISPUTE_OPENED:
            taken = _json(md.get("parts"))
            if not taken and md.get("phase") == "released":  # journals before parts were recorded
                taken = {payable_part(accounts.payable_seller(a)): x for a, _, x in t.postings
                         if accounts.payable_seller(a)}
            self._move_parts(taken, -1)
            self.open_disputes[md["dispute_id"]] = OpenDispute(
                t.transaction_id,
                sum(a for _, _, a in t.postings if a > 0),
                tuple((acc, a) for acc, _, a in t.postings if a > 0),
                {k: int(v) for k, v in _json(md.get("hold")).items()},
                {k: int(v) for k, v in taken.items()},
            )
        elif t.kind == TxKind.DISPUTE_RESOLVED:
            opened = self.open_disputes.pop(md["dispute_id"], None)
            self.resolved_disputes.add(md["dispute_id"])
            if opened is not None and md.get("outcome") == "won":
                self._move_parts(opened.parts, 1)


def _sales(md: dict, capture: Transaction) -> dict[str, dict[str, list[int]]]:
    """seller -> category -> [gross, platform fee] of a capture: its "sales" (a capture with
    dimensions), or per seller its escrow share plus its fee, under no category."""
    if "sales" in md:
        return {s: {c: [int(g), int(f)] for c, (g, f) in cells.items()} for s, cells in _json(md["sales"]).items()}
    fees = _json(md.get("platform_fees"))
    out = {}
    for account, _c, amount in capture.postings:
        seller = accounts.escrow_seller_of(account)
        if seller:
            fee = int(fees.get(seller, 0))
            out[seller] = {"": [-amount + fee, fee]}
    return out


def _legacy_clawback(t: Transaction) -> dict[str, int]:
    """What a claw-back took, for journals written before "parts" was recorded."""
    clawed = _json(t.metadata.get("withholding_clawback"))
    taken: dict[str, int] = {withholding_part(s): int(w) for s, w in clawed.items()}
    for account, _c, amount in t.postings:
        if accounts.payable_seller(account) and amount > 0:
            taken[payable_part(accounts.payable_seller(account))] = amount
        elif account == accounts.REVENUE_TAKERATE:
            taken[PLATFORM] = amount
        elif account == accounts.PAYABLE_SHIPPING:
            taken[SHIPPING] = amount
    return taken


def _json(value) -> dict:
    """A structured metadata value (the adapters decode the JSON), or {} when absent."""
    return dict(value) if value else {}


def fold(order_id: str, txns: list[Transaction]) -> OrderState:
    state = OrderState(order_id)
    for t in txns:
        state.apply(t)
    return state
