"""Events waiting for what they need (their order's capture, the dispute's opening)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import psycopg

from services.adapters.postgres import db


def insert(conn: psycopg.Connection, parked: Sequence, parked_at: datetime) -> None:
    if not parked:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO parked_events (source_topic, source_partition, source_offset, event_id, order_id,"
            " reason_code, detail, payload, parked_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (source_topic, source_partition, source_offset) DO UPDATE"
            " SET reason_code = EXCLUDED.reason_code, detail = EXCLUDED.detail",
            [(p.msg.topic, p.msg.partition, p.msg.offset, p.event_id, p.order_id, p.reason, p.detail,
              p.msg.value, parked_at) for p in parked],
        )


def for_orders(conn: psycopg.Connection, order_ids: Iterable[str]) -> list[tuple[str, int, int, bytes]]:
    """(topic, partition, offset, payload) of events parked on these orders, oldest first."""
    ids = list(order_ids)
    if not ids:
        return []
    return [(t, p, o, bytes(v)) for t, p, o, v in conn.execute(
        "SELECT source_topic, source_partition, source_offset, payload FROM parked_events"
        " WHERE order_id = ANY(%b) ORDER BY parked_at, source_topic, source_partition, source_offset", (ids,),
        prepare=db.PREPARE_ID_LOOKUPS)]


def delete(conn: psycopg.Connection, positions: Sequence[tuple[str, int, int]]) -> None:
    if not positions:
        return
    with conn.cursor() as cur:
        cur.executemany("DELETE FROM parked_events WHERE source_topic = %s AND source_partition = %s"
                        " AND source_offset = %s", list(positions))


def expire(conn: psycopg.Connection, parked_before: datetime) -> int:
    """Parked too long: each becomes an exception with its reason code and bytes."""
    rows = conn.execute(
        "WITH gone AS (DELETE FROM parked_events WHERE parked_at < %s RETURNING *)"
        " INSERT INTO exceptions (reason_code, detail, source_topic, source_partition, source_offset, payload,"
        " event_id, order_id) SELECT reason_code, detail || ' (parked since ' || parked_at || ')', source_topic,"
        " source_partition, source_offset, payload, event_id, order_id FROM gone"
        " ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING RETURNING exception_id",
        (parked_before,),
    ).fetchall()
    return len(rows)


def count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM parked_events").fetchone()[0]
