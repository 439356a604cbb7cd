"""Events and commands as the domain sees them (decoded from Avro by an adapter)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

# Events are NamedTuples: immutable, comparable, and cheap to build on the hot path.


class CaptureLine(NamedTuple):
    seller_id: str
    item_id: str
    amount: int
    platform_fee: int
    currency: str | None = None  # schema v2: optional, must equal the order's currency


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

    @classmethod
    def from_record(cls, r: dict) -> "OrderCaptured":
        return cls(
            r["event_id"], r["occurred_at"], r["order_id"], r["gateway"], r["currency"], r["amount"],
            r["gateway_fee"], r["shipping"],
            tuple(CaptureLine(ln["seller_id"], ln["item_id"], ln["amount"], ln["platform_fee"], ln.get("currency"))
                  for ln in r["lines"]),
        )
