"""What every command group shares: the parser that fails in one line, the argument
types (each a readable one-line error), and the worker loop."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta, timezone

from services.domain.errors import ConfigError
from services.entrypoints import bootstrap
from services.entrypoints.settings import Settings
from services.runtime import metrics
from services.runtime.runloop import Stop, reconnecting, tune_gc


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + error
        self.exit(2, f"splitbook: error: {message} (see --help)\n")


def positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return n


def day(value: str) -> date:
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if d == date.max:  # a day's reports run to the start of the next, which this one has not
        last = date.max - timedelta(days=1)
        raise argparse.ArgumentTypeError(f"{value!r} is past the last day a report can cover ({last})")
    return d


def instant(value: str) -> datetime:
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time (e.g. 2026-12-24T00:00:00Z)") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def clock_time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--at {value!r} is not a time of day (HH:MM)") from None


def posting(value: str) -> tuple[str, int]:
    account, sep, amount = value.rpartition("=")
    try:
        if not sep or not account:
            raise ValueError
        return account, int(amount)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not ACCOUNT=AMOUNT (minor units, e.g. seller:S_1:payable=-500)") from None


def rate(value: str) -> float:
    try:
        r = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 <= r <= 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not between 0 and 1")
    return r


def now() -> datetime:
    return datetime.now(timezone.utc)


def run_worker(build, settings: Settings, idle_exit_s: float | None, metrics_port: int | None = None) -> int:
    """Run a worker; when PostgreSQL or Kafka goes away, build it again once they answer
    (runloop.reconnecting): it resumes from its stored offsets. With metrics_port, its
    Prometheus metrics are served there (a port already taken is logged, not fatal)."""
    stop = Stop().install()
    metrics.serve(metrics_port)

    def once() -> None:
        worker = build(settings)
        tune_gc()
        try:
            worker.run(stop, idle_exit_s=idle_exit_s)
        finally:
            bootstrap.close_connections(worker)

    reconnecting(once, what=build.__name__, stop=stop)
    return 0
