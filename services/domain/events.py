"""Events and commands as the domain sees them (decoded from Avro by an adapter)."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from typing import NamedTuple

from services.domain.payees import BankAccount

# Events are NamedTuples: immutable, comparable, and cheap to build on the hot path.


class CaptureLine(NamedTuple):
    seller_id: str
    item_id: str
    amount: int
    platform_fee: int
    currency: str | None = None  # schema v2: optional, must equal the order's currency
    category: str | None = None  # schema v3: a reporting dimension


class OrderCaptured(NamedTuple):
    event_id: str
    occurred_at: datetime
    order_id: str
    gateway: str
    currency: str
    amount: int
    gateway_fee: int
    shipping: int
    lines: tuple[CaptureLine, ...]
    channel: str | None = None  # schema v2 (recorded from v3 support on): a reporting dimension
    region: str | None = None  # schema v3: a reporting dimension

    @classmethod
    def from_record(cls, r: dict) -> "OrderCaptured":
        return cls(
            r["event_id"], r["occurred_at"], r["order_id"], r["gateway"], r["currency"], r["amount"],
            r["gateway_fee"], r["shipping"],
            tuple(CaptureLine(ln["seller_id"], ln["item_id"], ln["amount"], ln["platform_fee"], ln.get("currency"),
                              ln.get("category")) for ln in r["lines"]),
            r.get("channel"), r.get("region"),
        )

    @property
    def has_dimensions(self) -> bool:
        """A region or a line's category: what schema v3 added (the channel alone is v2's)."""
        return self.region is not None or any(ln.category is not None for ln in self.lines)

    def identity(self) -> str:
        """What "the same payload" means (its SHA-256 is the duplicate test): the repr of the
        event as it was before schema v3, its dimensions added only when it has some, so
        that a capture posted before them is still a duplicate of itself (the compiled
        lane writes the same text: services/native/src/lib.rs, identity)."""
        core = repr(_CaptureV2(*self[:8], tuple(_LineV2(*ln[:5]) for ln in self.lines)))
        if not self.has_dimensions:
            return core
        return f"{core} dimensions={(self.channel, self.region, tuple(ln.category for ln in self.lines))!r}"


# OrderCaptured and CaptureLine as they were before schema v3: their reprs are the
# identity of a capture without dimensions (OrderCaptured.identity)
_LineV2 = namedtuple("CaptureLine", CaptureLine._fields[:5])
_CaptureV2 = namedtuple("OrderCaptured", OrderCaptured._fields[:9])


class RefundLine(NamedTuple):
    seller_id: str
    amount: int  # refunded to the buyer for this seller's items
    platform_fee: int  # the part of amount that was the platform's fee


class RefundIssued(NamedTuple):
    event_id: str
    occurred_at: datetime
    refund_id: str
    order_id: str
    lines: tuple[RefundLine, ...]
    shipping: int
    reason_code: str
    currency: str | None = None

    @classmethod
    def from_record(cls, r: dict) -> "RefundIssued":
        return cls(
            r["event_id"], r["occurred_at"], r["refund_id"], r["order_id"],
            tuple(RefundLine(ln["seller_id"], ln["amount"], ln["platform_fee"]) for ln in r["lines"]),
            r["shipping"], r["reason_code"], r.get("currency"),
        )


class DisputeOpened(NamedTuple):
    event_id: str
    occurred_at: datetime
    dispute_id: str
    order_id: str
    amount: int
    reason: str
    currency: str | None = None

    @classmethod
    def from_record(cls, r: dict) -> "DisputeOpened":
        return cls(r["event_id"], r["occurred_at"], r["dispute_id"], r["order_id"], r["amount"], r["reason"],
                   r.get("currency"))


class DisputeResolved(NamedTuple):
    event_id: str
    occurred_at: datetime
    dispute_id: str
    order_id: str
    outcome: str  # "won" (money returns) or "lost" (money leaves with the chargeback)
    chargeback_fee: int = 0

    @classmethod
    def from_record(cls, r: dict) -> "DisputeResolved":
        return cls(r["event_id"], r["occurred_at"], r["dispute_id"], r["order_id"], r["outcome"],
                   r.get("chargeback_fee") or 0)


class SellerProfileUpdated(NamedTuple):
    event_id: str
    occurred_at: datetime
    seller_id: str
    withholding_rate_bp: int
    payout_minimum: int
    payout_hold: bool
    bank_account_ref: str | None = None
    legal_name: str | None = None  # schema v2: the payee, as the bank knows them
    tax_document: str | None = None  # schema v2: CPF or CNPJ
    bank_account: BankAccount | None = None  # schema v2: where the payouts go
    reserve_rate_bp: int = 0  # schema v3: share of the net held in seller:{s}:reserve at release
    reserve_period_days: int = 0  # schema v3: how long each reserved amount is held

    @classmethod
    def from_record(cls, r: dict) -> "SellerProfileUpdated":
        return cls(r["event_id"], r["occurred_at"], r["seller_id"], r["withholding_rate_bp"], r["payout_minimum"],
                   r["payout_hold"], r.get("bank_account_ref"), r.get("legal_name"), r.get("tax_document"),
                   BankAccount.from_record(r.get("bank_account")), r.get("reserve_rate_bp", 0),
                   r.get("reserve_period_days", 0))

    @property
    def can_be_paid(self) -> bool:
        """It names an account to pay into (a structured one, or version 1's reference)."""
        return self.bank_account is not None or bool(self.bank_account_ref)

    @property
    def order_id(self) -> None:
        return None


class ReleaseEscrow(NamedTuple):
    """A command from the release scheduler: release the order's escrow as of occurred_at."""

    event_id: str
    occurred_at: datetime
    order_id: str

    @classmethod
    def from_record(cls, r: dict) -> "ReleaseEscrow":
        return cls(r["event_id"], r["occurred_at"], r["order_id"])


class ReleaseReserve(NamedTuple):
    """A command from the reserve scheduler: release what seller_id's reserve in currency
    holds beyond the amounts still within their period as of occurred_at."""

    event_id: str
    occurred_at: datetime
    seller_id: str
    currency: str

    @classmethod
    def from_record(cls, r: dict) -> "ReleaseReserve":
        return cls(r["event_id"], r["occurred_at"], r["seller_id"], r["currency"])

    @property
    def order_id(self) -> None:
        return None


class CreatePayoutBatch(NamedTuple):
    """Command from the payout scheduler: pay every eligible seller's payable in currency."""

    event_id: str
    occurred_at: datetime
    batch_id: str
    batch_date: str  # ISO date the batch is for
    currency: str

    @classmethod
    def from_record(cls, r: dict) -> "CreatePayoutBatch":
        return cls(r["event_id"], r["occurred_at"], r["batch_id"], r["batch_date"], r["currency"])

    @property
    def order_id(self) -> None:
        return None


class PayoutResult(NamedTuple):
    seller_id: str
    amount: int
    status: str  # SETTLED | FAILED
    bank_reference: str | None = None
    reason: str | None = None


class PayoutBatchConfirmed(NamedTuple):
    event_id: str
    occurred_at: datetime
    batch_id: str
    results: tuple[PayoutResult, ...]

    @classmethod
    def from_record(cls, r: dict) -> "PayoutBatchConfirmed":
        return cls(r["event_id"], r["occurred_at"], r["batch_id"],
                   tuple(PayoutResult(x["seller_id"], x["amount"], x["status"], x.get("bank_reference"),
                                      x.get("reason")) for x in r["results"]))

    @property
    def order_id(self) -> None:
        return None


class PayoutReturned(NamedTuple):
    """A settled payout transfer came back from the bank (its statement says so)."""

    event_id: str
    occurred_at: datetime
    batch_id: str
    seller_id: str
    amount: int
    bank_reference: str
    reason: str | None = None

    @classmethod
    def from_record(cls, r: dict) -> "PayoutReturned":
        return cls(r["event_id"], r["occurred_at"], r["batch_id"], r["seller_id"], r["amount"], r["bank_reference"],
                   r.get("reason"))

    @property
    def order_id(self) -> None:
        return None


class ManualAdjustment(NamedTuple):
    event_id: str
    occurred_at: datetime
    adjustment_id: str
    reason_code: str
    reason: str
    proposer: str
    approvers: tuple[str, ...]
    currency: str
    postings: tuple[tuple[str, int], ...]  # (account, signed amount)

    @classmethod
    def from_record(cls, r: dict) -> "ManualAdjustment":
        return cls(r["event_id"], r["occurred_at"], r["adjustment_id"], r["reason_code"], r["reason"], r["proposer"],
                   tuple(r["approvers"]), r["currency"], tuple((p["account"], p["amount"]) for p in r["postings"]))

    @property
    def order_id(self) -> None:
        return None


class SettleGatewayDeposit(NamedTuple):
    event_id: str
    occurred_at: datetime
    gateway: str
    bank_account: str
    currency: str
    amount: int
    report_sha256: str

    @classmethod
    def from_record(cls, r: dict) -> "SettleGatewayDeposit":
        return cls(r["event_id"], r["occurred_at"], r["gateway"], r["bank_account"], r["currency"], r["amount"],
                   r["report_sha256"])

    @property
    def order_id(self) -> None:
        return None
