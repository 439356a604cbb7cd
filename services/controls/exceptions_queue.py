"""The exceptions queue: list, show, assign, resolve. Resolving never edits the journal;
it may link the correcting transaction (e.g. an approved adjustment)."""

from __future__ import annotations

import uuid

import psycopg

from services.domain.errors import ConfigError

from services.controls import audit

STATUSES = ("open", "assigned", "resolved", "written_off")


def list_(conn: psycopg.Connection, status: str | None, reason: str | None, limit: int) -> list[tuple]:
    return conn.execute(
        "SELECT exception_id, created_at::timestamp(0), status, reason_code, coalesce(source_topic, source),"
        " coalesce(order_id, batch_id,"
        " seller_id, event_id, ''), amount_minor, assignee, left(detail, 60) FROM exceptions"
        " WHERE (%s::text IS NULL OR status = %s) AND (%s::text IS NULL OR reason_code = %s)"
        " ORDER BY exception_id LIMIT %s", (status, status, reason, reason, limit)).fetchall()


def show(conn: psycopg.Connection, exception_id: int) -> dict:
    cur = conn.execute("SELECT * FROM exceptions WHERE exception_id = %s", (exception_id,))
    row = cur.fetchone()
    if row is None:
        raise ConfigError(f"no exception {exception_id}")
    return dict(zip([d.name for d in cur.description], row))


def assign(conn: psycopg.Connection, exception_id: int, assignee: str, actor: str) -> None:
    with conn.transaction():
        current = show(conn, exception_id)
        if current["status"] in ("resolved", "written_off"):
            raise ConfigError(f"exception {exception_id} is already {current['status']}")
        conn.execute("UPDATE exceptions SET status = 'assigned', assignee = %s, updated_at = now()"
                     " WHERE exception_id = %s", (assignee, exception_id))
        audit.record(conn, actor, "exception_assigned", str(exception_id), assignee=assignee)


def resolve(conn: psycopg.Connection, exception_id: int, actor: str, note: str, write_off: bool = False,
            transaction_id: str | None = None) -> None:
    if transaction_id and not _is_uuid(transaction_id):
        raise ConfigError(f"--transaction {transaction_id!r} is not a journal transaction id (a UUID)")
    with conn.transaction():
        current = show(conn, exception_id)
        if current["status"] in ("resolved", "written_off"):
            raise ConfigError(f"exception {exception_id} is already {current['status']}")
        if transaction_id and conn.execute("SELECT 1 FROM journal_transactions WHERE transaction_id = %s",
                                           (transaction_id,)).fetchone() is None:
            raise ConfigError(f"no journal transaction {transaction_id} to link")
        status = "written_off" if write_off else "resolved"
        conn.execute("UPDATE exceptions SET status = %s, resolution_note = %s, resolved_transaction_id = %s,"
                     " updated_at = now() WHERE exception_id = %s", (status, note, transaction_id, exception_id))
        audit.record(conn, actor, f"exception_{status}", str(exception_id), note=note, transaction_id=transaction_id)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
