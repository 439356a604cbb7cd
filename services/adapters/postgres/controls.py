"""The SQL of the finance team's controls: the exceptions queue, maker-checker
adjustments and the audit log (append-only: the database refuses UPDATE and DELETE)."""

from __future__ import annotations

import json

import psycopg


def audit(conn: psycopg.Connection, actor: str, action: str, subject: str, detail: dict) -> None:
    conn.execute("INSERT INTO audit_log (actor, action, subject, detail) VALUES (%s, %s, %s, %s)",
                 (actor, action, subject, json.dumps(detail, default=str)))


# -- the exceptions queue -------------------------------------------------------------

def list_exceptions(conn: psycopg.Connection, status: str | None, reason: str | None, limit: int) -> list[tuple]:
    return conn.execute(
        "SELECT exception_id, created_at::timestamp(0), status, reason_code, coalesce(source_topic, source),"
        " coalesce(order_id, batch_id,"
        " seller_id, event_id, ''), amount_minor, assignee, left(detail, 60) FROM exceptions"
        " WHERE (%s::text IS NULL OR status = %s) AND (%s::text IS NULL OR reason_code = %s)"
        " ORDER BY exception_id LIMIT %s", (status, status, reason, reason, limit)).fetchall()


def exception(conn: psycopg.Connection, exception_id: int) -> dict | None:
    cur = conn.execute("SELECT * FROM exceptions WHERE exception_id = %s", (exception_id,))
    row = cur.fetchone()
    return None if row is None else dict(zip([d.name for d in cur.description], row))


def assign_exception(conn: psycopg.Connection, exception_id: int, assignee: str) -> None:
    conn.execute("UPDATE exceptions SET status = 'assigned', assignee = %s, updated_at = now()"
                 " WHERE exception_id = %s", (assignee, exception_id))


def close_exception(conn: psycopg.Connection, exception_id: int, status: str, note: str,
                    transaction_id: str | None) -> None:
    conn.execute("UPDATE exceptions SET status = %s, resolution_note = %s, resolved_transaction_id = %s,"
                 " updated_at = now() WHERE exception_id = %s", (status, note, transaction_id, exception_id))


# -- adjustments ----------------------------------------------------------------------

def insert_adjustment(conn: psycopg.Connection, adjustment_id: str, proposer: str, reason_code: str, reason: str,
                      currency: str, postings: list[tuple[str, int]], amount_minor: int, needed: int,
                      exception_id: int | None) -> None:
    conn.execute(
        "INSERT INTO adjustments (adjustment_id, proposer, reason_code, reason, currency, postings, amount_minor,"
        " required_approvals, exception_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (adjustment_id, proposer, reason_code, reason, currency, json.dumps(postings), amount_minor, needed,
         exception_id))


def lock_adjustment(conn: psycopg.Connection, adjustment_id: str) -> tuple | None:
    """(proposer, reason_code, reason, currency, postings, required_approvals), locked for
    the transaction; None when there is no such adjustment."""
    return conn.execute("SELECT proposer, reason_code, reason, currency, postings, required_approvals"
                        " FROM adjustments WHERE adjustment_id = %s FOR UPDATE", (adjustment_id,)).fetchone()


def add_approval(conn: psycopg.Connection, adjustment_id: str, approver: str) -> bool:
    """True when this approver had not approved it before."""
    return conn.execute("INSERT INTO adjustment_approvals (adjustment_id, approver) VALUES (%s, %s)"
                        " ON CONFLICT DO NOTHING RETURNING approver", (adjustment_id, approver)).fetchone() is not None


def approvers(conn: psycopg.Connection, adjustment_id: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT approver FROM adjustment_approvals WHERE adjustment_id = %s ORDER BY approved_at, approver",
        (adjustment_id,))]


def adjustment_status(conn: psycopg.Connection, adjustment_id: str) -> str | None:
    row = conn.execute("SELECT status FROM adjustments WHERE adjustment_id = %s", (adjustment_id,)).fetchone()
    return row[0] if row else None


def mark_refused(conn: psycopg.Connection, adjustment_id: str, by: str, note: str) -> bool:
    """True when it was pending (and now is refused)."""
    return conn.execute("UPDATE adjustments SET status = 'refused', refused_by = %s, refusal_note = %s"
                        " WHERE adjustment_id = %s AND status = 'pending' RETURNING adjustment_id",
                        (by, note, adjustment_id)).fetchone() is not None


def mark_approved(conn: psycopg.Connection, adjustment_id: str) -> None:
    conn.execute("UPDATE adjustments SET status = 'approved' WHERE adjustment_id = %s", (adjustment_id,))


def list_adjustments(conn: psycopg.Connection) -> list[tuple]:
    """Every adjustment, oldest first, with who approved it."""
    return conn.execute(
        "SELECT a.adjustment_id, a.created_at::timestamp(0), a.proposer, a.currency, a.amount_minor,"
        " a.required_approvals, a.status, coalesce(string_agg(p.approver, ', '), '') FROM adjustments a"
        " LEFT JOIN adjustment_approvals p USING (adjustment_id) GROUP BY a.adjustment_id ORDER BY 2"
    ).fetchall()
