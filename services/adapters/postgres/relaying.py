"""The SQL of the relay: its position in the journal, and the exceptions it has yet to
publish to ledger.rejected."""

from __future__ import annotations

from datetime import datetime

import psycopg


def position(conn: psycopg.Connection, stream: str) -> int:
    row = conn.execute("SELECT last_seq FROM relay_positions WHERE stream = %s", (stream,)).fetchone()
    return row[0] if row else 0


def store_position(conn: psycopg.Connection, stream: str, last_seq: int) -> None:
    """Only forward: a relay that republished after a crash never moves it back."""
    conn.execute(
        "INSERT INTO relay_positions (stream, last_seq) VALUES (%s, %s) ON CONFLICT (stream)"
        " DO UPDATE SET last_seq = EXCLUDED.last_seq WHERE relay_positions.last_seq < EXCLUDED.last_seq",
        (stream, last_seq),
    )


def unpublished_rejections(conn: psycopg.Connection, limit: int) -> list[tuple]:
    """(exception_id, reason_code, detail, source_topic, source_partition, source_offset,
    event_id, order_id, payload, created_at) of rejected messages not yet published."""
    return conn.execute(
        "SELECT exception_id, reason_code, detail, source_topic, source_partition, source_offset,"
        " event_id, order_id, payload, created_at FROM exceptions"
        " WHERE published_at IS NULL AND source_topic IS NOT NULL ORDER BY exception_id LIMIT %s",
        (limit,),
    ).fetchall()


def mark_published(conn: psycopg.Connection, exception_ids: list[int], at: datetime) -> None:
    conn.execute("UPDATE exceptions SET published_at = %s WHERE exception_id = ANY(%s)", (at, exception_ids))


def listen_appended(conn: psycopg.Connection) -> None:
    """Be told (journal.notify_appended) when the posting consumer commits."""
    conn.execute("LISTEN journal_appended")
