"""The audit log: who did what to which subject, append-only."""

from __future__ import annotations

import psycopg

from services.adapters.postgres import controls as store


def record(conn: psycopg.Connection, actor: str, action: str, subject: str, **detail) -> None:
    store.audit(conn, actor, action, subject, detail)
