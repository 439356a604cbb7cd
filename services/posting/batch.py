"""One batch of messages -> staged transactions and rejections. No I/O here: the
consumer passes in what the journal already holds for the batch's event ids."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.domain.errors import Reason, Rejected
from services.domain.rules import Policy
from services.store.exceptions import RejectedMessage
from services.store.journal import Staged
from services.wire.avro import SchemaRegistry

from .handlers import HANDLERS, Handler


@dataclass(frozen=True, slots=True)
class Inbound:
    """A consumed message, detached from the Kafka client."""

    topic: str
    partition: int
    offset: int
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Decoded:
    msg: Inbound
    handler: Handler
    event: Any
    event_id: str
    digest: bytes


@dataclass
class Outcome:
    staged: list[Staged] = field(default_factory=list)
    rejected: list[RejectedMessage] = field(default_factory=list)
    duplicates: int = 0
    redelivered: int = 0  # skipped: offsets below what PostgreSQL has stored


def digest(event: Any) -> bytes:
    """A digest of the event as the domain reads it (its repr: type, then every field in
    order). Stable across compatible schema versions, since the wire's optional extras
    that the ledger does not use are not part of the domain event."""
    return hashlib.sha256(repr(event).encode()).digest()


def _reject(msg: Inbound, reason: Reason, detail: str, event_id: str | None = None,
            order_id: str | None = None) -> RejectedMessage:
    return RejectedMessage(reason.value, detail, msg.topic, msg.partition, msg.offset, msg.value,
                           event_id, order_id)


def decode(msg: Inbound, registry: SchemaRegistry, topic_of: Callable[[str], str]) -> Decoded | RejectedMessage:
    try:
        name, record = registry.decode(msg.value)
    except Rejected as r:
        return _reject(msg, r.reason, r.detail)
    handler = HANDLERS.get(name)
    if handler is None or topic_of(handler.topic) != msg.topic:
        return _reject(msg, Reason.SCHEMA_INVALID, f"no posting rule for {name} on {msg.topic}",
                       record.get("event_id"), record.get("order_id"))
    try:
        event = handler.from_record(record)
    except (KeyError, TypeError, ValueError) as e:
        return _reject(msg, Reason.SCHEMA_INVALID, f"{name}: {e!r}", record.get("event_id"))
    return Decoded(msg, handler, event, record["event_id"], digest(event))


def apply_rules(decoded: Sequence[Decoded | RejectedMessage], posted: Mapping[str, bytes],
                policy: Policy) -> Outcome:
    """posted: event_id -> digest already in the journal, for this batch's event ids."""
    out = Outcome()
    seen: dict[str, bytes] = dict(posted)
    for d in decoded:
        if isinstance(d, RejectedMessage):
            out.rejected.append(d)
            continue
        order_id = getattr(d.event, "order_id", None)
        prior = seen.get(d.event_id)
        if prior is not None:
            if prior == d.digest:
                out.duplicates += 1
            else:
                out.rejected.append(_reject(
                    d.msg, Reason.DUPLICATE_CONFLICT,
                    f"event {d.event_id} was already posted with a different payload", d.event_id, order_id))
            continue
        try:
            txn = d.handler.rule(d.event, policy)
        except Rejected as r:
            out.rejected.append(_reject(d.msg, r.reason, r.detail, d.event_id, order_id))
            continue
        seen[d.event_id] = d.digest
        out.staged.append(Staged(txn, d.digest))
    return out
