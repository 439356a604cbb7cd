"""The exceptions table: every rejected event, with its reason code and original bytes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from services.domain.bounds import ID_MAX_CHARS, printable


@dataclass(frozen=True, slots=True)
class RejectedMessage:
    reason_code: str
    detail: str
    source_topic: str
    source_partition: int
    source_offset: int
    payload: bytes | None
    event_id: str | None = None
    order_id: str | None = None


def record(conn: psycopg.Connection, rejected: Sequence[RejectedMessage]) -> None:
    """Insert; a message already recorded (same topic/partition/offset) is left as it is.
    Texts are stored printable and cut to length (a NUL cannot be stored as text, a 10 kB
    id not indexed); the original bytes are in payload, untouched."""
    if not rejected:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO exceptions (reason_code, detail, source_topic, source_partition, source_offset,"
            " payload, event_id, order_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING",
            [
                (r.reason_code, printable(r.detail), r.source_topic, r.source_partition, r.source_offset,
                 r.payload, printable(r.event_id, ID_MAX_CHARS), printable(r.order_id, ID_MAX_CHARS))
                for r in rejected
            ],
        )
