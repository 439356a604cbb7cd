"""Maker-checker adjustments: propose (maker), approve (checker, not the maker; two
checkers above a threshold), then the ledger posts the approved adjustment from
ledger.commands like any command. Every step, refusals included, is audited."""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.adapters.postgres import controls as store
from services.controls import audit
from services.domain.errors import ConfigError, NotFound
from services.domain.rules.adjustments import required_approvals, validate
from services.entrypoints.settings import Settings


def propose(conn: psycopg.Connection, proposer: str, reason_code: str, reason: str, currency: str,
            postings: list[tuple[str, int]], two_approvals_above_minor: int, exception_id: int | None = None) -> str:
    amount = validate(currency, postings)  # Rejected -> the CLI prints its reason
    if exception_id is not None and (not 0 < exception_id < 2**63 or store.exception(conn, exception_id) is None):
        raise NotFound(f"no exception {exception_id} for the adjustment to correct")
    adjustment_id = f"ADJ_{uuid.uuid4().hex[:10].upper()}"
    needed = required_approvals(amount, two_approvals_above_minor)
    with conn.transaction():
        store.insert_adjustment(conn, adjustment_id, proposer, reason_code, reason, currency, postings, amount, needed,
                                exception_id)
        audit.record(conn, proposer, "adjustment_proposed", adjustment_id, currency=currency, postings=postings,
                     amount_minor=amount, required_approvals=needed, reason_code=reason_code, reason=reason)
    return adjustment_id


def approve(settings: Settings, conn: psycopg.Connection, producer: Producer, registry: SchemaRegistry,
            adjustment_id: str, approver: str, at: datetime) -> str:
    """Returns 'approved' (posted), 'waiting' (needs another approver) or 'repeated'."""
    with conn.transaction():
        row = store.lock_adjustment(conn, adjustment_id)
        if row is None:
            raise NotFound(f"no adjustment {adjustment_id}")
        proposer, reason_code, reason, currency, postings, needed = row
        if store.adjustment_status(conn, adjustment_id) == "refused":
            raise ConfigError(f"{adjustment_id} was refused; it cannot be approved")
        if approver == proposer:
            audit.record(conn, approver, "adjustment_approval_refused", adjustment_id, why="proposer cannot approve")
    if approver == proposer:
        raise ConfigError(f"{approver} proposed {adjustment_id} and cannot approve it (four eyes)")
    with conn.transaction():
        store.lock_adjustment(conn, adjustment_id)
        inserted = store.add_approval(conn, adjustment_id, approver)
        approvers = store.approvers(conn, adjustment_id)
        audit.record(conn, approver, "adjustment_approved" if inserted else "adjustment_approval_repeated",
                     adjustment_id, approvals=len(approvers), required=needed)
        if len(approvers) < needed:
            return "waiting"
        store.mark_approved(conn, adjustment_id)
        # Published inside the transaction's scope: if publishing fails, the approval rolls back.
        command = {"event_id": f"adjustment:{adjustment_id}", "occurred_at": at, "adjustment_id": adjustment_id,
                   "reason_code": reason_code, "reason": reason, "proposer": proposer, "approvers": approvers[:needed],
                   "currency": currency, "postings": [{"account": a, "amount": int(v)} for a, v in postings]}
        publish(producer, settings.topic(topics.COMMANDS), registry, [command], name="ManualAdjustment")
        audit.record(conn, approver, "adjustment_submitted", adjustment_id, event_id=command["event_id"])
    return "approved" if inserted else "repeated"


def refuse(conn: psycopg.Connection, adjustment_id: str, by: str, note: str) -> None:
    """An approver turns a pending adjustment down, with a note: it is never posted."""
    if not note.strip():
        raise ConfigError("a refusal needs a note saying why")
    with conn.transaction():
        status = store.adjustment_status(conn, adjustment_id)
        if status is None:
            raise NotFound(f"no adjustment {adjustment_id}")
        if not store.mark_refused(conn, adjustment_id, by, note.strip()[:1000]):
            raise ConfigError(f"{adjustment_id} is {status}, not pending: it cannot be refused")
        audit.record(conn, by, "adjustment_refused", adjustment_id, note=note.strip()[:1000])


def list_(conn: psycopg.Connection) -> list[tuple]:
    """Every adjustment, oldest first, with who approved it."""
    return store.list_adjustments(conn)
