"""The one place where the posting consumer's stages overlap: batch N is written by a
writer thread (PostgreSQL's time, spent without the GIL) while the consumer consumes,
decodes and prepares batch N+1. Measured by `make bench` (docs/performance.md), it is
worth about half again the throughput of writing each batch before preparing the next.

What it costs the consumer: batch N+1 is prepared before N is committed, so the rules
read what batch N staged from memory (its context, carried over), a batch that reads what
memory cannot answer (payables, parked events) waits for N first, and the writer checks
that the batch still fits what is stored (`StaleBatch` otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any



class WriteBehind:
    """At most one batch in flight, written by one thread."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="posting-writer")
        self._flight: tuple[Future, Any] | None = None

    @property
    def in_flight(self) -> Any | None:
        """The prepared batch being written, if any."""
        return self._flight[1] if self._flight else None

    def submit(self, write: Callable[[Any], None], prepared: Any) -> None:
        self._flight = (self._pool.submit(write, prepared), prepared)

    def take(self) -> tuple[Any, BaseException | None] | None:
        """Wait for the batch in flight: (it, None) when written, (it, the error) when its
        write failed; None when nothing was in flight."""
        if self._flight is None:
            return None
        future, prepared = self._flight
        self._flight = None
        return prepared, future.exception()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

