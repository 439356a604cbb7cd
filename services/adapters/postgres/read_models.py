"""The SQL of the read models: the add-deltas upsert every projection writes with, the
projection worker's position, and emptying the read models for a rebuild."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import psycopg
from psycopg import sql

try:
    from splitbook_native import copy_text
except ImportError:  # not built: psycopg formats every row
    copy_text = None

PROJECTION = "read_models"


class Formatted(NamedTuple):
    """Rows with their COPY text, formatted ahead of the write (text None: psycopg
    formats them row by row when they are written)."""

    rows: Sequence[tuple]
    text: bytes | None

    def __bool__(self) -> bool:
        return bool(self.rows)


def formatted(rows: Sequence[tuple]) -> Formatted:
    """The rows' COPY text, by the compiled extension when it takes their values (text,
    64-bit integers, None, datetimes); else None, for psycopg to format them."""
    try:
        return Formatted(rows, copy_text(rows) if copy_text is not None and rows else None)
    except TypeError:  # a row that is not a tuple
        return Formatted(rows, None)


def add_deltas(conn: psycopg.Connection, table: str, keys: Sequence[str], added: Sequence[str],
               replaced: Sequence[str], rows: Sequence[tuple] | Formatted, keep: Sequence[str] = (),
               new: Sequence[tuple] | Formatted = ()) -> None:
    """COPY a batch of deltas into a temp table, then one INSERT .. ON CONFLICT DO UPDATE
    that adds them to the read model's rows. rows hold keys + added + replaced + keep, in that order. `added` columns are summed
    into existing rows, `replaced` overwritten, `keep` set only when the row is new or the
    stored value is null.

    new: rows the caller expects to be new (an order's rows, made by its capture): COPYed
    straight into the table, at under half the cost of the upsert, in a savepoint; if
    one of them exists after all, the savepoint is rolled back and they are upserted
    with the others, so the result is the same either way."""
    cols = [*keys, *added, *replaced, *keep]
    ident = sql.Identifier(table)
    col_list = sql.SQL(", ").join(map(sql.Identifier, cols))
    if new:
        try:
            with conn.transaction(), conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(ident, col_list)) as cp:
                _copy(cp, new)
            new = ()
        except psycopg.errors.UniqueViolation:
            pass  # upserted with the others below
    if not rows and not new:
        return
    tmp = sql.Identifier(f"tmp_{table}")
    conn.execute(sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT {} FROM {} WITH NO DATA")
                 .format(tmp, col_list, ident))
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(tmp, col_list)) as cp:
        _copy(cp, rows)
        _copy(cp, new)
    sets = [sql.SQL("{c} = {t}.{c} + EXCLUDED.{c}").format(c=sql.Identifier(c), t=ident) for c in added]
    sets += [sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in replaced]
    sets += [sql.SQL("{c} = coalesce({t}.{c}, EXCLUDED.{c})").format(c=sql.Identifier(c), t=ident) for c in keep]
    conn.execute(
        sql.SQL("INSERT INTO {t} ({cols}) SELECT {cols} FROM {tmp} ON CONFLICT ({keys}) DO UPDATE SET {sets}").format(
            t=ident, cols=col_list, tmp=tmp, keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
            sets=sql.SQL(", ").join(sets),
        )
    )


def _copy(cp: psycopg.Copy, rows: Sequence[tuple] | Formatted) -> None:
    """The rows as COPY text: formatted already, by the extension, or by psycopg."""
    if not rows:
        return
    if not isinstance(rows, Formatted):
        rows = formatted(rows)
    if rows.text is not None:
        cp.write(rows.text)
    else:
        for r in rows.rows:
            cp.write_row(r)


def load_position(conn: psycopg.Connection, *, for_update: bool = False) -> tuple[int, int | None]:
    """(the last journal seq the read models reflect, the next ledger.journal offset)."""
    query = "SELECT last_seq, next_offset FROM projection_positions WHERE projection = %s"
    row = conn.execute(query + (" FOR UPDATE" if for_update else ""), (PROJECTION,)).fetchone()
    return (row[0], row[1]) if row else (0, None)


def store_position(conn: psycopg.Connection, last_seq: int, topic: str | None, partition: int | None,
                   next_offset: int | None) -> None:
    conn.execute(
        "INSERT INTO projection_positions (projection, last_seq, topic, partition, next_offset)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (projection) DO UPDATE SET last_seq = EXCLUDED.last_seq,"
        " topic = coalesce(EXCLUDED.topic, projection_positions.topic),"
        " partition = coalesce(EXCLUDED.partition, projection_positions.partition),"
        " next_offset = coalesce(EXCLUDED.next_offset, projection_positions.next_offset), updated_at = now()",
        (PROJECTION, last_seq, topic, partition, next_offset),
    )


def truncate(conn: psycopg.Connection, tables: Sequence[str]) -> None:
    conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables))))
