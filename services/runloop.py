"""What every long-running worker shares: SIGTERM/SIGINT flip a flag, transient errors
are retried with a bounded backoff, then the process gives up without committing."""

from __future__ import annotations

import gc
import signal
import time
from collections.abc import Callable
from typing import TypeVar

import structlog
from confluent_kafka import KafkaException

from services.domain.errors import TransientError

log = structlog.get_logger()
T = TypeVar("T")


def tune_gc() -> None:
    """For long-running workers: move start-up objects out of the collector's sight and
    collect the young generation less often. A batch allocates hundreds of thousands of
    short-lived objects, most of them alive until the batch is done: at the default
    threshold (700) the collector took about a third of the posting consumer's CPU, at
    50,000 still ~7 % (each pass walks a batch's live objects); at 200,000 a steady
    backlog hardly triggers it, since what a batch allocates is mostly freed again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 20, 100)


def checked(msgs: list) -> list:
    """Kafka messages, or the error one of them carries (transient when retriable)."""
    for m in msgs:
        err = m.error()
        if err:
            if err.retriable():
                raise TransientError(f"Kafka: {err}")
            raise KafkaException(err)
    return msgs


class IdleClock:
    """For --idle-exit-s: idle time counts only once partitions are assigned."""

    def __init__(self, limit_s: float | None):
        self.limit_s = limit_s
        self.last_busy = time.monotonic()
        self.assigned_at: float | None = None

    def assigned(self) -> None:
        self.assigned_at = time.monotonic()

    def busy(self) -> None:
        self.last_busy = time.monotonic()

    def expired(self) -> bool:
        if self.limit_s is None or self.assigned_at is None:
            return False
        return time.monotonic() - max(self.last_busy, self.assigned_at) > self.limit_s


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
