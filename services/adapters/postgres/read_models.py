"""The SQL of the read models: the add-deltas upsert every projection writes with, the
projection worker's position, and emptying the read models for a rebuild."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

try:
    from splitbook_native import copy_text
except ImportError:  # not built: psycopg formats every row
    copy_text = None

PROJECTION = "read_models"


def add_deltas(conn: psycopg.Connection, table: str, keys: Sequence[str], added: Sequence[str],
               replaced: Sequence[str], rows: Sequence[tuple], keep: Sequence[str] = (),
               new: Sequence[tuple] = ()) -> None:
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
        except psycopg.errors.UniqueViolation:
            rows = [*rows, *new]
    if not rows:
        return
    tmp = sql.Identifier(f"tmp_{table}")
    conn.execute(sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT {} FROM {} WITH NO DATA")
                 .format(tmp, col_list, ident))
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(tmp, col_list)) as cp:
        _copy(cp, rows)
    sets = [sql.SQL("{c} = {t}.{c} + EXCLUDED.{c}").format(c=sql.Identifier(c), t=ident) for c in added]
    sets += [sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in replaced]
    sets += [sql.SQL("{c} = coalesce({t}.{c}, EXCLUDED.{c})").format(c=sql.Identifier(c), t=ident) for c in keep]
    conn.execute(
        sql.SQL("INSERT INTO {t} ({cols}) SELECT {cols} FROM {tmp} ON CONFLICT ({keys}) DO UPDATE SET {sets}").format(
            t=ident, cols=col_list, tmp=tmp, keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
            sets=sql.SQL(", ").join(sets),
        )
    )


def _copy(cp: psycopg.Copy, rows: Sequence[tuple]) -> None:
    """The rows as COPY text, formatted by the compiled extension when it takes their
    values (text, 64-bit integers, None, datetimes), else by psycopg row by row."""
    try:
        text = copy_text(list(rows)) if copy_text is not None else None
    except TypeError:  # a row that is not a tuple
        text = None
    if text is None:
        for r in rows:
            cp.write_row(r)
    else:
        cp.write(text)


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
