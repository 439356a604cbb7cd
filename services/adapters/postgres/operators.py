"""Operators and the hashes of their tokens (migration 0017)."""

from __future__ import annotations

import psycopg


def add(conn: psycopg.Connection, name: str, role: str, token_sha256: bytes, created_by: str) -> bool:
    """False when an operator of that name exists (revoked ones too: names are not reused)."""
    return conn.execute(
        "INSERT INTO operators (name, role, token_sha256, created_by) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (name) DO NOTHING RETURNING name", (name, role, token_sha256, created_by)).fetchone() is not None


def by_token(conn: psycopg.Connection, token_sha256: bytes) -> tuple[str, str] | None:
    """(name, role) of the active operator holding the token."""
    return conn.execute("SELECT name, role FROM operators WHERE token_sha256 = %s AND revoked_at IS NULL",
                        (token_sha256,)).fetchone()


def list_(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT name, role, created_at::timestamp(0), created_by, revoked_at::timestamp(0)"
                        " FROM operators ORDER BY name").fetchall()


def revoke(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("UPDATE operators SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL"
                        " RETURNING name", (name,)).fetchone() is not None


def active_admins(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM operators WHERE role = 'admin' AND revoked_at IS NULL").fetchone()[0]
