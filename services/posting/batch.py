"""One batch of messages -> staged transactions, profiles, parked events and
rejections. No I/O here: the consumer loads what the batch needs (digests already
posted, the orders' states, the sellers' profiles) into a Context first."""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres.journal import Staged
from services.adapters.postgres.rejections import RejectedMessage
from services.domain import accounts, bounds
from services.domain.batch_state import BatchState
from services.domain.errors import NoOp, Park, Reason, Rejected
from services.domain.events import SellerProfileUpdated
from services.domain.order_state import OrderState
from services.domain.reserve_state import ReserveState
from services.domain.rules.capture import Policy
from services.domain.rules.profiles import in_force
from services.posting.lane import CaptureLane, LaneCapture
from services.posting.registry import BY_NAME, EventType


class Inbound(NamedTuple):
    """A consumed (or parked) message, detached from the Kafka client."""

    topic: str
    partition: int
    offset: int
    value: bytes | None


class Decoded(NamedTuple):
    msg: Inbound
    type: EventType
    event: Any
    event_id: str
    digest: bytes

    @property
    def order_id(self) -> str | None:
        return getattr(self.event, "order_id", None)


@dataclass(frozen=True, slots=True)
class Parked:
    msg: Inbound
    event_id: str
    order_id: str
    reason: str
    detail: str


@dataclass
class Context:
    """What the rules may read, loaded for the batch and kept current as it is staged."""

    policy: Policy
    digests: dict[str, bytes]  # event_id -> digest, of what is already posted/recorded
    orders: dict[str, OrderState]
    profiles: dict[str, list[SellerProfileUpdated]]  # per seller, by occurred_at
    batches: dict[str, BatchState] = field(default_factory=dict)
    payables: dict[str, dict[str, int]] = field(default_factory=dict)  # currency -> seller -> payable
    reserves: dict[str, dict[str, ReserveState]] = field(default_factory=dict)  # currency -> seller -> reserve
    # captures the lane staged (services/posting/lane.py), their orders' states not folded yet
    lane_orders: dict[str, LaneCapture] = field(default_factory=dict)
    lane: CaptureLane | None = None

    def order(self, order_id: str) -> OrderState:
        state = self.orders.get(order_id)
        if state is None:
            state = self.orders[order_id] = OrderState(order_id)
        if self.lane_orders and order_id in self.lane_orders:  # folded now that a rule asks
            state.apply(self.lane.transaction(self.lane_orders.pop(order_id)))
        return state

    def has_order(self, order_id: str) -> bool:
        """True when the order's state is known here (folded, or a lane capture's)."""
        return order_id in self.orders or order_id in self.lane_orders

    def captured(self, order_id: str) -> bool:
        """Whether the order is captured, without folding a lane capture's state."""
        if order_id in self.lane_orders:
            return True
        state = self.orders.get(order_id)
        return state is not None and state.captured

    def batch(self, batch_id: str) -> BatchState:
        state = self.batches.get(batch_id)
        if state is None:
            state = self.batches[batch_id] = BatchState(batch_id)
        return state

    def profile_at(self, seller: str, as_of: datetime) -> SellerProfileUpdated | None:
        return in_force(self.profiles.get(seller, ()), as_of)

    def withholding_bp(self, sellers, as_of: datetime) -> dict[str, int]:
        out = {}
        for s in sellers:
            p = self.profile_at(s, as_of)
            out[s] = p.withholding_rate_bp if p else self.policy.default_withholding_bp
        return out

    def reserve_terms(self, sellers, as_of: datetime) -> dict[str, tuple[int, int]]:
        """seller -> (reserve rate bp, period days) in force at as_of, for those with a reserve."""
        out = {}
        for s in sellers:
            p = self.profile_at(s, as_of)
            if p is not None and p.reserve_rate_bp:
                out[s] = (p.reserve_rate_bp, p.reserve_period_days)
        return out

    def reserve(self, currency: str, seller: str) -> ReserveState:
        book = self.reserves.setdefault(currency, {})
        state = book.get(seller)
        if state is None:
            state = book[seller] = ReserveState(seller, currency)
        return state

    def observe(self, txn) -> None:
        """Keep the loaded state current with a transaction just staged."""
        if type(txn) is LaneCapture:  # a new order's capture: folded when a rule asks for it
            self.lane_orders[txn.order_id] = txn
            return
        if txn.order_id:
            self.order(txn.order_id).apply(txn)
        if txn.batch_id:
            self.batch(txn.batch_id).apply(txn)
        if self.reserves:  # loaded only for a reserve release or a payout batch
            for seller in {s for a, c, _ in txn.postings if c in self.reserves and (s := accounts.reserve_seller(a))}:
                self.reserve(txn.postings[0].currency, seller).apply(txn)
        if not self.payables:  # loaded only for a payout batch
            return
        for account, currency, amount in txn.postings:
            seller = accounts.payable_seller(account) if currency in self.payables else None
            if seller:
                book = self.payables[currency]
                book[seller] = book.get(seller, 0) - amount


@dataclass
class Outcome:
    staged: list[Staged] = field(default_factory=list)
    profiles: list[tuple[SellerProfileUpdated, bytes]] = field(default_factory=list)
    rejected: list[RejectedMessage] = field(default_factory=list)
    parked: list[Parked] = field(default_factory=list)
    unparked: list[Inbound] = field(default_factory=list)  # parked earlier, settled now
    settled: list[tuple[str, int, int]] = field(default_factory=list)  # their rows, to delete from parked
    duplicates: int = 0
    noops: int = 0
    redelivered: int = 0  # skipped: offsets below what PostgreSQL has stored


def digest(identity: str) -> bytes:
    return hashlib.sha256(identity.encode()).digest()


def _reject(msg: Inbound, reason: Reason, detail: str, event_id: str | None = None,
            order_id: str | None = None) -> RejectedMessage:
    return RejectedMessage(reason.value, detail, msg.topic, msg.partition, msg.offset, msg.value,
                           event_id, order_id)


# decode_value's answers: (tag, name or reason, ...), plain tuples that pickle cheaply
# (the decoder process sends them back to the posting consumer).
DECODED, UNDECODABLE, BAD_RECORD, OUT_OF_BOUNDS = "ok", "undecodable", "bad_record", "out_of_bounds"


def decode_value(value: bytes | None, registry: SchemaRegistry) -> tuple:
    """The CPU-bound part of decoding, which needs neither the message's topic nor any
    I/O: (DECODED, name, event, event_id, digest) | (BAD_RECORD, name, detail, event_id,
    order_id) | (OUT_OF_BOUNDS, name, detail, event_id, order_id) | (UNDECODABLE, reason,
    detail, None, None). Bounds come first: nothing outside them reaches a lookup."""
    if value is not None and len(value) > bounds.MESSAGE_MAX_BYTES:
        return (UNDECODABLE, Reason.MESSAGE_TOO_LARGE,
                f"{len(value):,} bytes (at most {bounds.MESSAGE_MAX_BYTES:,})", None, None)
    try:
        name, record = registry.decode(value)
    except Rejected as r:
        return (UNDECODABLE, r.reason, r.detail, None, None)
    event_type = BY_NAME.get(name)
    try:
        if event_type is None:
            raise ValueError(f"no posting rule for {name}")
        event = event_type.from_record(record)
    except Exception as e:  # a record the event cannot be built from, whatever the cause
        return (BAD_RECORD, name, f"{name}: {e!r}", record.get("event_id"), record.get("order_id"))
    try:
        bounds.check_event(event)
    except bounds.OutOfBounds as e:
        return (OUT_OF_BOUNDS, name, str(e), record.get("event_id"), record.get("order_id"))
    return (DECODED, name, event, record["event_id"], digest(event_type.identity(event)))


def finish_decode(msg: Inbound, decoded: tuple, topic_of: Callable[[str], str]) -> Decoded | RejectedMessage:
    """decode_value's answer for msg -> Decoded, or the rejection (a record type on a topic
    that has no rule for it is rejected before anything else is said about it)."""
    tag, name, a, b, c = decoded
    if tag == UNDECODABLE:
        return _reject(msg, name, a)
    event_type = BY_NAME.get(name)
    if event_type is None or topic_of(event_type.topic) != msg.topic:
        return _reject(msg, Reason.SCHEMA_INVALID, f"no posting rule for {name} on {msg.topic}", b, c)
    if tag == BAD_RECORD:
        return _reject(msg, Reason.SCHEMA_INVALID, a, b)
    if tag == OUT_OF_BOUNDS:
        return _reject(msg, Reason.OUT_OF_BOUNDS, a, b, c)
    return Decoded(msg, event_type, a, b, c)


def decode(msg: Inbound, registry: SchemaRegistry, topic_of: Callable[[str], str]) -> Decoded | RejectedMessage:
    return finish_decode(msg, decode_value(msg.value, registry), topic_of)


def quarantined(msg: Inbound, detail: str, event_id: str | None = None,
                order_id: str | None = None) -> RejectedMessage:
    """msg as an INTERNAL_ERROR exception (the database refused what it posts)."""
    return _reject(msg, Reason.INTERNAL_ERROR, detail, event_id, order_id)


def _summary(e: Exception) -> str:
    """The exception and the innermost frames that raised it, on one line."""
    frames = traceback.extract_tb(e.__traceback__)[-3:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{type(e).__name__}: {e} (at {where})"


def apply_rules(decoded: list[Decoded | RejectedMessage], ctx: Context, out: Outcome | None = None) -> Outcome:
    """Apply each event in order. Updates ctx (digests, order states, profiles) as it goes,
    so later events in the batch see earlier ones."""
    out = out or Outcome()
    for d in decoded:
        if isinstance(d, RejectedMessage):
            out.rejected.append(d)
            continue
        prior = ctx.digests.get(d.event_id)
        if prior is not None:
            if prior == d.digest:
                out.duplicates += 1
            else:
                out.rejected.append(_reject(d.msg, Reason.DUPLICATE_CONFLICT,
                                            f"event {d.event_id} was already posted with a different payload",
                                            d.event_id, d.order_id))
            continue
        try:
            result = d.type.rule(d.event, ctx)
            if isinstance(result, SellerProfileUpdated):
                ctx.profiles.setdefault(result.seller_id, []).append(result)
                ctx.profiles[result.seller_id].sort(key=lambda p: p.occurred_at)
                out.profiles.append((result, d.digest))
            else:
                ctx.observe(result)
                out.staged.append(Staged(result, d.digest))
        except Rejected as r:
            out.rejected.append(_reject(d.msg, r.reason, r.detail, d.event_id, d.order_id))
            continue
        except Park as p:
            out.parked.append(Parked(d.msg, d.event_id, d.order_id, p.reason.value, p.detail))
            continue
        except NoOp:
            out.noops += 1
        except Exception as e:  # a bug must not stop the ledger: this message is quarantined
            out.rejected.append(_reject(d.msg, Reason.INTERNAL_ERROR, _summary(e), d.event_id, d.order_id))
            continue
        ctx.digests[d.event_id] = d.digest
    return out
