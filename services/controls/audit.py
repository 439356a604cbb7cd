"""The audit log: append-only (the database refuses UPDATE and DELETE)."""

from __future__ import annotations

import json

import psycopg


def record(conn: psycopg.Connection, actor: str, action: str, subject: str, **detail) -> None:
    conn.execute("INSERT INTO audit_log (actor, action, subject, detail) VALUES (%s, %s, %s, %s)",
                 (actor, action, subject, json.dumps(detail, default=str)))
