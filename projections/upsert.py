"""Add-deltas upsert: COPY a batch of deltas into a temp table, then one
INSERT .. ON CONFLICT DO UPDATE that adds them to the read model's rows."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql


def add_deltas(conn: psycopg.Connection, table: str, keys: Sequence[str], added: Sequence[str],
               replaced: Sequence[str], rows: Sequence[tuple], keep: Sequence[str] = ()) -> None:
    """rows hold keys + added + replaced + keep, in that order. `added` columns are summed
    into existing rows, `replaced` overwritten, `keep` set only when the row is new or the
    stored value is null."""
    if not rows:
        return
    cols = [*keys, *added, *replaced, *keep]
    tmp = sql.Identifier(f"tmp_{table}")
    ident = sql.Identifier(table)
    col_list = sql.SQL(", ").join(map(sql.Identifier, cols))
    conn.execute(sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT {} FROM {} WITH NO DATA")
                 .format(tmp, col_list, ident))
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(tmp, col_list)) as cp:
        for r in rows:
            cp.write_row(r)
    sets = [sql.SQL("{c} = {t}.{c} + EXCLUDED.{c}").format(c=sql.Identifier(c), t=ident) for c in added]
    sets += [sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in replaced]
    sets += [sql.SQL("{c} = coalesce({t}.{c}, EXCLUDED.{c})").format(c=sql.Identifier(c), t=ident) for c in keep]
    conn.execute(
        sql.SQL("INSERT INTO {t} ({cols}) SELECT {cols} FROM {tmp} ON CONFLICT ({keys}) DO UPDATE SET {sets}").format(
            t=ident, cols=col_list, tmp=tmp, keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
            sets=sql.SQL(", ").join(sets),
        )
    )
