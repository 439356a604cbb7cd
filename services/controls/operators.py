"""Operators: who acts on the ledger. `add` makes an operator with a role and returns its
API token once (only its SHA-256 is stored); `acting` turns a token into the operator
taking an action, or refuses — Unauthenticated (401) for no, an unknown or a revoked
token, Forbidden (403) for a role without the right. The audit log records the operator
the token belongs to, never a typed name."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import psycopg

from services.adapters.postgres import operators as store
from services.controls import audit
from services.domain.access import Role, allowed
from services.domain.errors import ConfigError, Forbidden, Unauthenticated

TOKEN_PREFIX = "sbk_"
_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


@dataclass(frozen=True)
class Operator:
    name: str
    role: Role


def token_sha256(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def add(conn: psycopg.Connection, name: str, role: str, created_by: str) -> str:
    """A new operator; its token, which is shown once and never stored."""
    if _NAME.fullmatch(name) is None:
        raise ConfigError(f"operator name {name!r} must be 1 to 64 letters, digits or . _ @ -")
    try:
        Role.named(role)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with conn.transaction():
        if not store.add(conn, name, role.lower(), token_sha256(token), created_by):
            raise ConfigError(f"an operator named {name} exists already (names are not reused)")
        audit.record(conn, created_by, "operator_added", name, role=role.lower())
    return token


def revoke(conn: psycopg.Connection, name: str, by: str) -> None:
    with conn.transaction():
        if not store.revoke(conn, name):
            raise ConfigError(f"no active operator named {name}")
        audit.record(conn, by, "operator_revoked", name)


def list_(conn: psycopg.Connection) -> list[tuple]:
    return store.list_(conn)


def bootstrapping(conn: psycopg.Connection) -> bool:
    """No active admin yet: the first one may be added by whoever runs the server's CLI."""
    return store.active_admins(conn) == 0


def authenticate(conn: psycopg.Connection, token: str | None) -> Operator:
    if not token:
        raise Unauthenticated("no operator token (the CLI reads SPLITBOOK_TOKEN; the API an"
                              " 'Authorization: Bearer' header)")
    found = store.by_token(conn, token_sha256(token.strip()))
    if found is None:
        raise Unauthenticated("the operator token is unknown or revoked")
    return Operator(found[0], Role.named(found[1]))


def authorize(op: Operator, action: str) -> Operator:
    if not allowed(op.role, action):
        raise Forbidden(f"{op.name} ({op.role.name.lower()}) may not {action.replace('.', ' ')}")
    return op


def acting(conn: psycopg.Connection, token: str | None, action: str) -> Operator:
    """The authenticated operator taking action, or Unauthenticated / Forbidden."""
    return authorize(authenticate(conn, token), action)
