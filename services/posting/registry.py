"""Every event type the posting consumer takes, registered in one place and keyed by
its name (its domain class's and its Avro record's): the topic it arrives on, the rule that posts it, what makes a second copy
a duplicate, and what state the rule reads. Adding an event type is its schema, its
rule file and one entry here (plus the read models that show it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from services.adapters.kafka import topics
from services.domain import events
from services.domain.errors import Reason, Rejected
from services.domain.journal import Transaction
from services.domain.rules.adjustments import handle_manual_adjustment
from services.domain.rules.capture import handle_order_captured
from services.domain.rules.deposits import handle_settle_gateway_deposit
from services.domain.rules.disputes import handle_dispute_opened, handle_dispute_resolved
from services.domain.rules.payouts import (handle_create_payout_batch, handle_payout_batch_confirmed,
                                           handle_payout_returned)
from services.domain.rules.profiles import handle_seller_profile_updated
from services.domain.rules.refunds import handle_refund_issued
from services.domain.rules.release import handle_release_escrow
from services.domain.rules.reserves import handle_release_reserve


class Needs(Enum):
    """State a rule reads besides the event, loaded for the batch before the rules run."""

    ORDER = "the order's transactions (event.order_id)"
    SELLER_PROFILES = "the profiles of the order's sellers, or of event.seller_id"
    BATCH = "the payout batch's transactions (event.batch_id)"
    PAYABLES = "every seller's payable in event.currency (read after the batch before is written)"
    RESERVES = ("every seller's reserve in event.currency, with the amounts still within their period at"
                " event.occurred_at (read after the batch before is written)")


@dataclass(frozen=True)
class EventType:
    event: type  # the domain class; its name is the Avro record's
    topic: str  # the logical topic it arrives on (settings.topic adds the prefix)
    rule: Callable[[Any, Any], Transaction | events.SellerProfileUpdated]  # (event, Context) -> result
    needs: frozenset[Needs] = frozenset()
    identity: Callable[[Any], str] = repr  # what "the same payload" means: its digest is the duplicate test

    @property
    def name(self) -> str:
        return self.event.__name__

    def from_record(self, record: dict) -> Any:
        return self.event.from_record(record)


def _capture(e: events.OrderCaptured, ctx) -> Transaction:
    if ctx.order(e.order_id).captured:
        raise Rejected(Reason.DUPLICATE_CONFLICT, f"order {e.order_id} was already captured by another event")
    return handle_order_captured(e, ctx.policy)


def _release(e: events.ReleaseEscrow, ctx) -> Transaction:
    state = ctx.order(e.order_id)
    sellers = state.sellers_in_escrow()
    return handle_release_escrow(e, state, ctx.withholding_bp(sellers, e.occurred_at),
                                 ctx.reserve_terms(sellers, e.occurred_at))


def _release_reserve(e: events.ReleaseReserve, ctx) -> Transaction:
    return handle_release_reserve(e, ctx.reserve(e.currency, e.seller_id), ctx.profile_at(e.seller_id, e.occurred_at))


def _create_payout_batch(e: events.CreatePayoutBatch, ctx) -> Transaction:
    payables = ctx.payables.get(e.currency, {})
    profiles = {s: ctx.profile_at(s, e.occurred_at) for s in payables}
    reserves = {s: r.balance for s, r in ctx.reserves.get(e.currency, {}).items()}
    return handle_create_payout_batch(e, ctx.batch(e.batch_id), payables, profiles, reserves)


_TYPES = [
    EventType(events.OrderCaptured, topics.ORDERS, _capture, frozenset({Needs.ORDER}),
              identity=events.OrderCaptured.identity),
    EventType(events.RefundIssued, topics.REFUNDS, lambda e, ctx: handle_refund_issued(e, ctx.order(e.order_id)),
              frozenset({Needs.ORDER})),
    EventType(events.DisputeOpened, topics.DISPUTES, lambda e, ctx: handle_dispute_opened(e, ctx.order(e.order_id)),
              frozenset({Needs.ORDER})),
    EventType(events.DisputeResolved, topics.DISPUTES,
              lambda e, ctx: handle_dispute_resolved(e, ctx.order(e.order_id)), frozenset({Needs.ORDER})),
    EventType(events.SellerProfileUpdated, topics.SELLERS, lambda e, ctx: handle_seller_profile_updated(e),
              frozenset({Needs.SELLER_PROFILES})),
    # A release is the same command whatever as-of time the scheduler stamped on it.
    EventType(events.ReleaseEscrow, topics.COMMANDS, _release, frozenset({Needs.ORDER, Needs.SELLER_PROFILES}),
              identity=lambda e: repr((e.event_id, e.order_id))),
    EventType(events.ReleaseReserve, topics.COMMANDS, _release_reserve,
              frozenset({Needs.RESERVES, Needs.SELLER_PROFILES}),
              identity=lambda e: repr((e.event_id, e.seller_id, e.currency))),
    EventType(events.CreatePayoutBatch, topics.COMMANDS, _create_payout_batch,
              frozenset({Needs.BATCH, Needs.PAYABLES, Needs.RESERVES, Needs.SELLER_PROFILES}),
              identity=lambda e: repr((e.event_id, e.batch_id, e.currency))),
    EventType(events.SettleGatewayDeposit, topics.COMMANDS, lambda e, ctx: handle_settle_gateway_deposit(e)),
    # The same adjustment, whoever approved it last.
    EventType(events.ManualAdjustment, topics.COMMANDS, lambda e, ctx: handle_manual_adjustment(e),
              identity=lambda e: repr((e.event_id, e.currency, e.postings))),
    EventType(events.PayoutBatchConfirmed, topics.BANK_CONFIRMATIONS,
              lambda e, ctx: handle_payout_batch_confirmed(e, ctx.batch(e.batch_id)), frozenset({Needs.BATCH})),
    EventType(events.PayoutReturned, topics.BANK_CONFIRMATIONS,
              lambda e, ctx: handle_payout_returned(e, ctx.batch(e.batch_id)), frozenset({Needs.BATCH})),
]

BY_NAME: dict[str, EventType] = {t.name: t for t in _TYPES}


def input_topics() -> list[str]:
    return sorted({t.topic for t in _TYPES})
