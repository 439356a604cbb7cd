"""What both reconciliations read the same way: CSV rows, dates, UTC day windows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone

from services.domain.bounds import OCCURRED_MAX, OCCURRED_MIN
from services.domain.errors import ConfigError


def csv_rows(data: bytes, needed: set[str], what: str, optional: frozenset[str] = frozenset()) -> list[dict]:
    """The rows of a CSV with a header holding `needed`; every row complete (the
    `optional` columns may be empty). One readable error per problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{what} is not UTF-8 text (byte {e.start}: {data[e.start:e.start + 1]!r})") from None
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as e:
        raise ConfigError(f"{what} is not a readable CSV: {e}") from None
    if not rows or not needed <= set(rows[0]):
        raise ConfigError(f"{what} needs the columns {', '.join(sorted(needed))}")
    for n, r in enumerate(rows, start=2):
        if None in r.values() or None in r or any(not r[k] for k in needed - optional):
            raise ConfigError(f"line {n}: expected the {len(needed)} columns {', '.join(sorted(needed))}, all filled")
    return rows


def day(text: str, where: str) -> date:
    try:
        return within_ledger_dates(date.fromisoformat(text), where)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {text!r} is not a date") from None


def within_ledger_dates(d: date, where: str) -> date:
    """d, when it lies where the ledger's events may (bounds.OCCURRED_MIN..MAX)."""
    if not OCCURRED_MIN.date() <= d < OCCURRED_MAX.date():
        raise ConfigError(f"{where}: {d.isoformat()} is outside the dates the ledger holds"
                          f" ({OCCURRED_MIN.date()} to {OCCURRED_MAX.date() - timedelta(days=1)})")
    return d


def utc_days(first: date, last: date) -> tuple[datetime, datetime]:
    """[start of first, start of the day after last) in UTC."""
    return (datetime.combine(first, time(0), tzinfo=timezone.utc),
            datetime.combine(last + timedelta(days=1), time(0), tzinfo=timezone.utc))
