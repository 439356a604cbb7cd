"""Publishes what the posting consumer committed, reading it back from PostgreSQL.

The relay's position is stored only after the broker acknowledged every message up
to it. A crash between publish and store re-publishes the same transactions with
the same seq (consumers skip seq they have), so nothing is lost or reordered.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

import psycopg
import structlog
from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka.publish import message_key
from services.adapters.postgres import db, journal, relaying
from services.domain.bounds import MESSAGE_MAX_BYTES
from services.domain.errors import TransientError
from services.runtime import metrics
from services.runtime.runloop import Stop, with_retries

log = structlog.get_logger()
STREAM = "journal"


def carried_payload(payload: bytes | None) -> dict:
    """The original bytes as a RejectedEvent carries them: in full up to the largest
    message the ledger accepts, else only their size and SHA-256 (the bytes stay in the
    exceptions table)."""
    if payload is None:
        return {"payload": None, "payload_size": -1, "payload_sha256": None}
    return {"payload": payload if len(payload) <= MESSAGE_MAX_BYTES else None, "payload_size": len(payload),
            "payload_sha256": hashlib.sha256(payload).hexdigest()}


class Relay:
    def __init__(self, conn: psycopg.Connection, listen_conn: psycopg.Connection, producer: Producer,
                 registry: SchemaRegistry, journal_topic: str, rejected_topic: str, page: int = 5000):
        self.conn = conn
        self.listen_conn = listen_conn
        self.producer = producer
        self.registry = registry
        self.journal_topic = journal_topic
        self.rejected_topic = rejected_topic
        self.page = page
        self._failures: list[str] = []
        self.published = 0
        self.rejected_published = 0

    def _delivered(self, err, _msg) -> None:
        if err is not None:
            self._failures.append(str(err))

    def _flush(self) -> None:
        remaining = self.producer.flush(30)
        if remaining or self._failures:
            failures, self._failures = self._failures, []
            raise TransientError(f"Kafka did not acknowledge {remaining} messages; errors: {failures[:3]}")

    def position(self) -> int:
        return relaying.position(self.conn, STREAM)

    def publish_journal(self) -> int:
        """Publish one page after the stored position; returns how many were published."""
        started = time.perf_counter()
        with db.translated():
            after = self.position()
            page = journal.read_records(self.conn, after, self.page)
        if not page:
            return 0
        encode, produce, delivered = self.registry.encoder("JournalTransaction"), self.producer.produce, self._delivered
        for record in page:
            produce(self.journal_topic, value=encode(record), key=message_key(record), on_delivery=delivered)
            if len(self.producer) > 50_000:
                self.producer.poll(0)
        self._flush()
        first, last = page[0]["seq"], page[-1]["seq"]
        with db.translated():
            relaying.store_position(self.conn, STREAM, last)
        self.published += len(page)
        metrics.RELAYED.inc(len(page))
        metrics.RELAY_SEQ.set(last)
        log.info("journal_relayed", first_seq=first, last_seq=last, count=len(page),
                 elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
        return len(page)

    def publish_rejected(self) -> int:
        with db.translated():
            rows = relaying.unpublished_rejections(self.conn, self.page)
        if not rows:
            return 0
        for xid, reason, detail, topic, part, off, event_id, order_id, payload, created in rows:
            payload = None if payload is None else bytes(payload)
            record = {
                "event_id": event_id or f"unknown:{topic}:{part}:{off}",
                "occurred_at": created,
                "exception_id": xid,
                "reason_code": reason,
                "detail": detail,
                "source_topic": topic,
                "source_partition": part,
                "source_offset": off,
                "order_id": order_id,
                **carried_payload(payload),
            }
            self.producer.produce(self.rejected_topic, value=self.registry.encode("RejectedEvent", record),
                                  key=message_key(record), on_delivery=self._delivered)
        self._flush()
        with db.translated():
            relaying.mark_published(self.conn, [r[0] for r in rows], datetime.now(timezone.utc))
        self.rejected_published += len(rows)
        log.info("rejections_relayed", count=len(rows), last_exception_id=rows[-1][0])
        return len(rows)

    def _wait_for_notify(self, timeout_s: float) -> None:
        """Sleep until the posting consumer NOTIFYs, or timeout_s passes."""
        for _ in self.listen_conn.notifies(timeout=timeout_s, stop_after=1):
            pass

    def run(self, stop: Stop, idle_exit_s: float | None = None) -> None:
        relaying.listen_appended(self.listen_conn)
        idle_since = time.monotonic()
        while not stop.requested:
            moved = with_retries(self.publish_journal, what="relay_journal")
            moved += with_retries(self.publish_rejected, what="relay_rejected")
            if moved:
                idle_since = time.monotonic()
                continue
            if idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                break
            self._wait_for_notify(0.5)
        log.info("relay_stopped", published=self.published, rejected_published=self.rejected_published)
