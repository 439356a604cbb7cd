"""The exceptions queue: list, show, assign, resolve. Resolving never edits the journal;
it may link the correcting transaction (e.g. an approved adjustment)."""

from __future__ import annotations

import uuid

import psycopg

from services.adapters.postgres import controls as store
from services.adapters.postgres import journal
from services.controls import audit
from services.domain.errors import ConfigError, NotFound


def list_(conn: psycopg.Connection, status: str | None, reason: str | None, limit: int) -> list[tuple]:
    return store.list_exceptions(conn, status, reason, limit)


def show(conn: psycopg.Connection, exception_id: int) -> dict:
    row = store.exception(conn, exception_id) if 0 < exception_id < 2**63 else None
    if row is None:
        raise NotFound(f"no exception {exception_id}")
    return row


def assign(conn: psycopg.Connection, exception_id: int, assignee: str, actor: str) -> None:
    with conn.transaction():
        current = show(conn, exception_id)
        if current["status"] in ("resolved", "written_off"):
            raise ConfigError(f"exception {exception_id} is already {current['status']}")
        store.assign_exception(conn, exception_id, assignee)
        audit.record(conn, actor, "exception_assigned", str(exception_id), assignee=assignee)


def resolve(conn: psycopg.Connection, exception_id: int, actor: str, note: str, write_off: bool = False,
            transaction_id: str | None = None) -> None:
    if transaction_id and not _is_uuid(transaction_id):
        raise ConfigError(f"--transaction {transaction_id!r} is not a journal transaction id (a UUID)")
    with conn.transaction():
        current = show(conn, exception_id)
        if current["status"] in ("resolved", "written_off"):
            raise ConfigError(f"exception {exception_id} is already {current['status']}")
        if transaction_id and not journal.has_transaction(conn, transaction_id):
            raise ConfigError(f"no journal transaction {transaction_id} to link")
        status = "written_off" if write_off else "resolved"
        store.close_exception(conn, exception_id, status, note, transaction_id)
        audit.record(conn, actor, f"exception_{status}", str(exception_id), note=note, transaction_id=transaction_id)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
