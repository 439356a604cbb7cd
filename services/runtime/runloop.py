"""What every long-running worker shares: SIGTERM/SIGINT flip a flag, transient errors
are retried with a bounded backoff, then the process gives up without committing."""

from __future__ import annotations

import gc
import random
import signal
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
import structlog
from confluent_kafka import KafkaException, TopicPartition

from services.domain.errors import TransientError

log = structlog.get_logger()
T = TypeVar("T")


def tune_gc() -> None:
    """For long-running workers: move start-up objects out of the collector's sight and
    collect the young generation less often, since a batch's hundreds of thousands of
    short-lived objects stay alive until the batch is done (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 20, 100)


def checked(msgs: list) -> list:
    """The Kafka messages among msgs. An error a consumer reports in their place (broker
    down, transport, a topic not there yet) is logged and dropped: librdkafka reconnects
    and fetches again by itself. A fatal one stops the worker."""
    errors = [m for m in msgs if m.error()]
    if not errors:
        return msgs
    for m in errors:
        err = m.error()
        if err.fatal():
            raise KafkaException(err)
        log.warning("kafka_consumer_error", error=str(err), code=err.name(), topic=m.topic(),
                    partition=m.partition())
    return [m for m in msgs if not m.error()]


class IdleClock:
    """For --idle-exit-s: idle time counts only once partitions are assigned, and the
    worker has nothing to do only when it is also caught up (caught_up: its stored
    positions reach the partitions' ends; a fetch that has not started yet is not an
    empty topic). Past CAUGHT_UP_GRACE_S more it stops anyway, caught up or not."""

    CAUGHT_UP_GRACE_S = 10.0

    def __init__(self, limit_s: float | None, caught_up: Callable[[], bool] | None = None):
        self.limit_s = limit_s
        self.caught_up = caught_up
        self.last_busy = time.monotonic()
        self.assigned_at: float | None = None

    def assigned(self) -> None:
        self.assigned_at = time.monotonic()

    def busy(self) -> None:
        self.last_busy = time.monotonic()

    def expired(self) -> bool:
        if self.limit_s is None or self.assigned_at is None:
            return False
        idle = time.monotonic() - max(self.last_busy, self.assigned_at)
        if idle <= self.limit_s:
            return False
        return self.caught_up is None or idle > self.limit_s + self.CAUGHT_UP_GRACE_S or self.caught_up()


def at_ends(consumer, stored: Callable[[TopicPartition], int | None]) -> bool:
    """Whether each partition assigned to consumer is read to its end: its stored next
    offset (stored(tp); None: nothing stored) reaches the partition's high watermark."""
    for tp in consumer.assignment():
        # the ends the last fetch responses brought (asking the broker costs a round trip
        # per partition); unknown (< 0) until the first fetch of a partition has answered
        _lo, hi = consumer.get_watermark_offsets(tp, cached=True)
        at = stored(tp)
        if hi < 0 or (at or 0) < hi:
            return False
    return True


class Stop:
    def __init__(self) -> None:
        self.requested = False

    def install(self) -> "Stop":
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._flip)
        return self

    def _flip(self, signum, _frame) -> None:
        log.info("stop_requested", signal=signal.Signals(signum).name)
        self.requested = True


def with_retries(fn: Callable[[], T], *, what: str, attempts: int = 6, first_delay_s: float = 0.2) -> T:
    """Run fn; on TransientError wait (0.2, 0.4, ... s) and retry; re-raise after `attempts`."""
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except TransientError as e:
            if attempt == attempts:
                log.error("giving_up", what=what, attempts=attempts, error=str(e))
                raise
            log.warning("transient_error_retrying", what=what, attempt=attempt, delay_s=delay, error=str(e))
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


RECONNECT_FIRST_DELAY_S = 0.5
RECONNECT_MAX_DELAY_S = 30.0
RECONNECT_HEALTHY_S = 60.0  # a run this long resets the backoff


def is_transient(e: BaseException) -> bool:
    """A failure of a service that comes back by itself: PostgreSQL or Kafka unreachable,
    restarting, or a connection that broke."""
    if isinstance(e, TransientError | psycopg.OperationalError | psycopg.InterfaceError):
        return True
    if isinstance(e, KafkaException) and e.args:
        err = e.args[0]
        return bool(getattr(err, "retriable", lambda: False)()) and not getattr(err, "fatal", lambda: False)()
    return False


def reconnecting(run_once: Callable[[], T], *, what: str, stop: Stop,
                 first_delay_s: float = RECONNECT_FIRST_DELAY_S, max_delay_s: float = RECONNECT_MAX_DELAY_S,
                 sleep: Callable[[float], None] = time.sleep) -> T | None:
    """run_once() builds a worker (its connections, its consumer) and runs it. When it
    fails because PostgreSQL or Kafka went away, wait (exponential backoff with jitter,
    bounded) and build it again, for as long as it takes: the worker resumes where its
    stored offsets say. Any other error ends the worker (its supervisor restarts it)."""
    attempt = 0
    while True:
        began = time.monotonic()
        try:
            return run_once()
        except Exception as e:
            if not is_transient(e):
                raise
            if stop.requested:  # stopping anyway: nothing to reconnect for
                return None
            if time.monotonic() - began > RECONNECT_HEALTHY_S:
                attempt = 0
            attempt += 1
            delay = min(max_delay_s, first_delay_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            log.warning("worker_reconnecting", what=what, attempt=attempt, delay_s=round(delay, 2),
                        error=f"{type(e).__name__}: {e}".splitlines()[0])
            deadline = time.monotonic() + delay
            while not stop.requested and time.monotonic() < deadline:
                sleep(min(0.2, max(0.0, deadline - time.monotonic())))
            if stop.requested:
                return None
