"""Which record types the posting consumer posts, from which topics, with which rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.domain.events import OrderCaptured
from services.domain.journal import Transaction
from services.domain.rules import Policy, handle_order_captured
from services.kafka import topics


@dataclass(frozen=True)
class Handler:
    topic: str
    from_record: Callable[[dict], Any]
    rule: Callable[[Any, Policy], Transaction]


HANDLERS: dict[str, Handler] = {
    "OrderCaptured": Handler(topics.ORDERS, OrderCaptured.from_record, handle_order_captured),
}


def input_topics() -> list[str]:
    return sorted({h.topic for h in HANDLERS.values()})
