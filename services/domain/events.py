"""Events and commands as the domain sees them (decoded from Avro by an adapter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CaptureLine:
    seller_id: str
    item_id: str
    amount: int
    platform_fee: int
    currency: str | None = None  # schema v2: optional, must equal the order's currency


@dataclass(frozen=True, slots=True)
class OrderCaptured:
    event_id: str
    occurred_at: datetime
    order_id: str
    gateway: str
    currency: str
    amount: int
    gateway_fee: int
    shipping: int
    lines: tuple[CaptureLine, ...]

    @classmethod
    def from_record(cls, r: dict) -> "OrderCaptured":
        return cls(
            event_id=r["event_id"],
            occurred_at=r["occurred_at"],
            order_id=r["order_id"],
            gateway=r["gateway"],
            currency=r["currency"],
            amount=r["amount"],
            gateway_fee=r["gateway_fee"],
            shipping=r["shipping"],
            lines=tuple(
                CaptureLine(
                    seller_id=ln["seller_id"],
                    item_id=ln["item_id"],
                    amount=ln["amount"],
                    platform_fee=ln["platform_fee"],
                    currency=ln.get("currency"),
                )
                for ln in r["lines"]
            ),
        )
