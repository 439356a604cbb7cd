"""Which record types the posting consumer takes, from which topics, and how."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.domain import events
from services.adapters.kafka import topics


@dataclass(frozen=True)
class Handler:
    topic: str
    from_record: Callable[[dict], Any]
    kind: str  # capture | release | refund | dispute_opened | dispute_resolved | profile

    def identity(self, event: Any) -> str:
        """What 'the same payload' means for idempotency. A release command is the same
        command whatever as-of time the scheduler stamped on it."""
        if self.kind == "release":
            return repr((event.event_id, event.order_id))
        if self.kind == "adjustment":  # the same adjustment, whoever approved it last
            return repr((event.event_id, event.currency, event.postings))
        if self.kind == "payout_batch":
            return repr((event.event_id, event.batch_id, event.currency))
        return repr(event)


HANDLERS: dict[str, Handler] = {
    "OrderCaptured": Handler(topics.ORDERS, events.OrderCaptured.from_record, "capture"),
    "RefundIssued": Handler(topics.REFUNDS, events.RefundIssued.from_record, "refund"),
    "DisputeOpened": Handler(topics.DISPUTES, events.DisputeOpened.from_record, "dispute_opened"),
    "DisputeResolved": Handler(topics.DISPUTES, events.DisputeResolved.from_record, "dispute_resolved"),
    "SellerProfileUpdated": Handler(topics.SELLERS, events.SellerProfileUpdated.from_record, "profile"),
    "ReleaseEscrow": Handler(topics.COMMANDS, events.ReleaseEscrow.from_record, "release"),
    "CreatePayoutBatch": Handler(topics.COMMANDS, events.CreatePayoutBatch.from_record, "payout_batch"),
    "SettleGatewayDeposit": Handler(topics.COMMANDS, events.SettleGatewayDeposit.from_record, "deposit"),
    "ManualAdjustment": Handler(topics.COMMANDS, events.ManualAdjustment.from_record, "adjustment"),
    "PayoutBatchConfirmed": Handler(topics.BANK_CONFIRMATIONS, events.PayoutBatchConfirmed.from_record,
                                    "payout_confirmation"),
}


def input_topics() -> list[str]:
    return sorted({h.topic for h in HANDLERS.values()})
