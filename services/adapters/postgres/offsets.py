"""Consumer offsets kept in PostgreSQL, written in the same transaction as the work."""

from __future__ import annotations

import psycopg


def load(conn: psycopg.Connection, consumer: str, *, for_update: bool = False) -> dict[tuple[str, int], int]:
    sql = "SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer = %s"
    if for_update:
        sql += " FOR UPDATE"
    return {(t, p): o for t, p, o in conn.execute(sql, (consumer,))}


def store(conn: psycopg.Connection, consumer: str, next_offsets: dict[tuple[str, int], int]) -> None:
    """Upsert next offsets; never moves one backwards (a fenced, stale writer changes nothing)."""
    if not next_offsets:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO consumer_offsets (consumer, topic, partition, next_offset) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (consumer, topic, partition) DO UPDATE"
            " SET next_offset = EXCLUDED.next_offset, updated_at = now()"
            " WHERE consumer_offsets.next_offset <= EXCLUDED.next_offset",
            [(consumer, t, p, o) for (t, p), o in next_offsets.items()],
        )
