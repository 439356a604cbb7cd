"""Connections and the translation of driver errors into ours."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal

import psycopg
from psycopg.adapt import Loader

from services.domain.errors import PermanentError, TransientError

# SQLSTATE classes worth a retry: connection exceptions, serialization/deadlock,
# operator intervention (admin shutdown), insufficient resources.
_TRANSIENT_CLASSES = ("08", "40", "57", "53")

# Lookups by `= ANY(array of ids)` are planned for each batch, never prepared: psycopg
# prepares a statement run five times, and PostgreSQL then keeps a generic plan chosen
# while the journal was small (a new ledger, the first seconds of a run): a sequential
# scan comparing every row with every id. Once the journal held 30,000 transactions a
# lookup of 5,000 ids took 4.2 s that way and 14 ms planned afresh; posting fell behind.
PREPARE_ID_LOOKUPS = False


class WholeNumericLoader(Loader):
    """numeric -> int when it is whole (money totals: read-model columns in numeric(38, 0),
    sums), Decimal otherwise. Money stays integers in minor units on this side too."""

    def load(self, data) -> int | Decimal:
        text = bytes(data).decode()
        return Decimal(text) if "." in text or text.isalpha() else int(text)


def connect(url: str, *, autocommit: bool = True, application_name: str = "splitbook",
            role: str | None = None, connect_timeout_s: int = 5, durable_commits: bool = True) -> psycopg.Connection:
    """role: run the session as this least-privilege role (migrations/0007_roles.sql).
    durable_commits=False: a commit does not wait for its WAL to reach the disk
    (synchronous_commit off), for what can be recomputed: a crash of PostgreSQL may lose
    the last commits of that session, never a part of one, and never anyone else's."""
    settings = ([f"-c role={role}"] if role else []) + ([] if durable_commits else ["-c synchronous_commit=off"])
    options = {"options": " ".join(settings)} if settings else {}
    try:
        conn = psycopg.connect(url, autocommit=autocommit, application_name=application_name,
                               connect_timeout=connect_timeout_s, **options)
    except psycopg.OperationalError as e:
        raise TransientError(f"cannot reach PostgreSQL at {_where(url)}: {_first_line(e)}") from e
    conn.adapters.register_loader("numeric", WholeNumericLoader)
    return conn


def _where(url: str) -> str:
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an unparsable DATABASE_URL)"
    return f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"


def _first_line(e: Exception) -> str:
    """'connection failed: connection to server at "h", port p failed: Connection refused
    (more lines)' -> 'Connection refused'."""
    lines = str(e).strip().splitlines()
    return lines[0].rpartition(": ")[2].strip() if lines else type(e).__name__


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
