"""The bounds the ledger accepts, written once (docs/operations.md, Reliability). An event outside
them is rejected (MESSAGE_TOO_LARGE, OUT_OF_BOUNDS) before anything else looks at it:
before the journal is asked about its ids, before its rules run, before it can park.

The amount bound is chosen so that nothing the ledger stores can overflow:

- a journal posting (bigint) comes from one event: at most LINES_MAX lines of at most
  AMOUNT_MAX_MINOR each, far below 2**63 - 1; postings that move balances (a payout of
  a seller's payable) are held to POSTING_MAX_MINOR by the invariants;
- a read model that adds up postings over the ledger's lifetime (account_balances,
  seller_balances) keeps its totals in numeric(38, 0): 2**63 transactions (the journal's
  sequence is a bigint) of at most ~10**15 each stay below 10**38;
- an order's own totals (order_escrow) are bounded by what it captured (invariants 3
  and 7), at most AMOUNT_MAX_MINOR.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from services.domain.events import OrderCaptured

MESSAGE_MAX_BYTES = 512 * 1024  # a message's value as it arrives on Kafka
ID_MAX_CHARS = 128  # ids: event_id, order_id, seller_id, ... (addresses use them verbatim)
TEXT_MAX_CHARS = 1_000  # free text: reasons, account addresses in an adjustment
AMOUNT_MAX_MINOR = 10**12  # any one amount or count in an event (10 billion in major units)
LINES_MAX = 1_000  # lines of a capture or refund, postings of an adjustment
RESULTS_MAX = 50_000  # lines of a payout batch, results of a bank confirmation
OCCURRED_MIN = datetime(2000, 1, 1, tzinfo=timezone.utc)  # occurred_at in [MIN, MAX)
OCCURRED_MAX = datetime(2100, 1, 1, tzinfo=timezone.utc)
POSTING_MAX_MINOR = 2**63 - 1  # one posting in the journal (bigint)
POSTINGS_MAX = RESULTS_MAX + 2  # postings of one journal transaction

# Control characters (C0, DEL, C1) and lone surrogates: no id or text may hold them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_FIELDS = frozenset({"reason", "reason_code", "postings", "approvers", "proposer", "report_sha256"})
_LONG_LISTS = frozenset({"results"})


class OutOfBounds(ValueError):
    """What is out of bounds, and where (e.g. 'OrderCaptured.lines[3].amount')."""


class _Beyond(Exception):
    """Raised where a value is out of bounds; the path to it is added on the way out
    (so the common case, everything within bounds, builds no path strings)."""

    def __init__(self, what: str):
        self.what = what
        self.path: list[str] = []


def check_event(event) -> None:
    """Raise OutOfBounds for the first field of a decoded event (a NamedTuple of str,
    int, bool, datetime, None and tuples of those) that is outside the bounds."""
    if type(event) is OrderCaptured and capture_plainly_within(event):
        return  # the hot path; anything else is walked field by field
    try:
        _record(event)
    except _Beyond as b:
        where = type(event).__name__ + "".join(reversed(b.path))
        raise OutOfBounds(f"{where} {b.what}") from None


def _id_ok(s) -> bool:
    return len(s) <= ID_MAX_CHARS and s.isprintable()


def capture_plainly_within(e: OrderCaptured) -> bool:
    """True only when no field of the capture is out of bounds (one pass, no path
    strings); False sends it through the field-by-field walk, which says what is wrong."""
    a = AMOUNT_MAX_MINOR
    try:
        if not (_id_ok(e.event_id) and _id_ok(e.order_id) and _id_ok(e.gateway) and _id_ok(e.currency)
                and e.occurred_at.tzinfo is not None and OCCURRED_MIN <= e.occurred_at < OCCURRED_MAX
                and -a <= e.amount <= a and -a <= e.gateway_fee <= a and -a <= e.shipping <= a
                and len(e.lines) <= LINES_MAX and (e.channel is None or _id_ok(e.channel))
                and (e.region is None or _id_ok(e.region))):
            return False
        for seller_id, item_id, amount, fee, currency, category in e.lines:
            if not (_id_ok(seller_id) and _id_ok(item_id) and -a <= amount <= a and -a <= fee <= a
                    and (currency is None or _id_ok(currency)) and (category is None or _id_ok(category))):
                return False
    except (TypeError, AttributeError, ValueError):
        return False
    return True


def _record(rec) -> None:
    for name, value in zip(rec._fields, rec):
        t = type(value)  # the common cases, plainly within bounds, answered inline (hot path)
        if t is str:
            if len(value) <= ID_MAX_CHARS and value.isprintable():
                continue
        elif t is int:
            if -AMOUNT_MAX_MINOR <= value <= AMOUNT_MAX_MINOR:
                continue
        elif value is None:
            continue
        try:
            _value(value, name)
        except _Beyond as b:
            b.path.append(f".{name}")
            raise


def _value(v, name: str) -> None:
    t = type(v)
    if t is str:
        limit = TEXT_MAX_CHARS if name in _TEXT_FIELDS else ID_MAX_CHARS
        if len(v) > limit:
            raise _Beyond(f"has {len(v):,} characters (at most {limit:,})")
        if _CONTROL.search(v):
            raise _Beyond("holds a control character")
    elif t is int:
        if not -AMOUNT_MAX_MINOR <= v <= AMOUNT_MAX_MINOR:
            raise _Beyond(f"= {v} is beyond ±{AMOUNT_MAX_MINOR:,}")
    elif v is None or t is bool:
        return
    elif t is datetime:
        if v.tzinfo is None:
            raise _Beyond("has no time zone")
        if not OCCURRED_MIN <= v < OCCURRED_MAX:
            raise _Beyond(f"= {v.isoformat()} is outside [{OCCURRED_MIN.date()}, {OCCURRED_MAX.date()})")
    elif isinstance(v, tuple):
        if hasattr(v, "_fields"):
            _record(v)
            return
        limit = RESULTS_MAX if name in _LONG_LISTS else LINES_MAX
        if len(v) > limit:
            raise _Beyond(f"has {len(v):,} entries (at most {limit:,})")
        for i, item in enumerate(v):
            try:
                _value(item, name)
            except _Beyond as b:
                b.path.append(f"[{i}]")
                raise
    else:
        raise _Beyond(f"is a {t.__name__}, which no event field may be")


def printable(text: str | None, limit: int = TEXT_MAX_CHARS) -> str | None:
    """text made safe to store and show: control characters escaped, cut at limit
    characters with how much was cut. (The original bytes are kept beside it.)"""
    if text is None:
        return None
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)
    if len(text) > limit:
        text = f"{text[:limit]}...(+{len(text) - limit:,} characters)"
    return text
