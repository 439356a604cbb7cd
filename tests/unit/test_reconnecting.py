"""runloop.reconnecting: a worker whose services went away is built again after a
bounded, jittered, growing wait, for as long as it takes; other errors end it."""

import psycopg
import pytest

from services.domain.errors import PermanentError, TransientError
from services.runtime.runloop import Stop, is_transient, reconnecting


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def test_a_worker_is_built_again_until_its_services_answer(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("services.runtime.runloop.time.monotonic", lambda: clock.now)
    outcomes = [TransientError("cannot reach PostgreSQL")] * 8 + [psycopg.OperationalError("server closed")]
    calls = []

    def once():
        calls.append(clock.now)
        if len(calls) <= len(outcomes):
            raise outcomes[len(calls) - 1]
        return "done"

    assert reconnecting(once, what="t", stop=Stop(), first_delay_s=0.5, max_delay_s=4.0, sleep=clock.sleep) == "done"
    assert len(calls) == 10
    waits = [b - a for a, b in zip(calls, calls[1:])]
    assert all(0.25 - 1e-9 <= w <= 4.0 + 1e-9 for w in waits)  # jittered 0.5-1.0 of min(4, 0.5 * 2^n)
    assert waits[-1] >= 2.0 and waits[0] <= 0.5  # it grew, and stopped growing at the bound


def test_an_error_that_is_not_a_service_going_away_ends_the_worker():
    def once():
        raise PermanentError("journal gap")

    with pytest.raises(PermanentError):
        reconnecting(once, what="t", stop=Stop(), sleep=lambda s: None)


def test_a_worker_asked_to_stop_is_not_built_again():
    stop = Stop()

    def once():
        stop.requested = True
        raise TransientError("broker down")

    assert reconnecting(once, what="t", stop=stop, sleep=lambda s: None) is None


@pytest.mark.parametrize("error, transient", [
    (TransientError("x"), True), (psycopg.OperationalError("x"), True), (psycopg.InterfaceError("x"), True),
    (PermanentError("x"), False), (ValueError("x"), False), (psycopg.errors.UniqueViolation("x"), False),
])
def test_what_counts_as_a_service_going_away(error, transient):
    assert is_transient(error) is transient
