"""Connections and the translation of driver errors into ours."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg

from services.domain.errors import PermanentError, TransientError

# SQLSTATE classes worth a retry: connection exceptions, serialization/deadlock,
# operator intervention (admin shutdown), insufficient resources.
_TRANSIENT_CLASSES = ("08", "40", "57", "53")


def connect(url: str, *, autocommit: bool = True, application_name: str = "splitbook",
            role: str | None = None) -> psycopg.Connection:
    """role: run the session as this least-privilege role (migrations/0007_roles.sql)."""
    options = {"options": f"-c role={role}"} if role else {}
    try:
        return psycopg.connect(url, autocommit=autocommit, application_name=application_name, **options)
    except psycopg.OperationalError as e:
        raise TransientError(f"cannot connect to PostgreSQL: {e}".strip()) from e


def is_transient(e: psycopg.Error) -> bool:
    if isinstance(e, psycopg.OperationalError) and e.sqlstate is None:
        return True  # connection dropped: no server answer at all
    return (e.sqlstate or "")[:2] in _TRANSIENT_CLASSES


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Turn psycopg errors into TransientError / PermanentError at the boundary."""
    try:
        yield
    except psycopg.Error as e:
        if is_transient(e):
            raise TransientError(f"PostgreSQL: {e}".strip()) from e
        raise PermanentError(f"PostgreSQL: {e}".strip()) from e
