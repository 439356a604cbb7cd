"""Alerts: rules over the journal and the read models that say when activity leaves its
norms, written once. Pure: the alerts worker (services/alerts/worker.py) reads the
figures, these functions say what breaches, and which breaches are new.

A breach is raised once: when its rule starts to breach for a subject (a seller and
currency, a reconciliation import, an exception, an order with parked events, the
projection) it becomes one exception with its own reason code; while it keeps breaching
nothing more is raised; once it stops, a later breach is a new one. Resolving the
exception is the exceptions queue's business, as for any other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from services.domain.money import format_minor


class Rule(StrEnum):
    """Each rule's reason code in the exceptions queue."""

    REFUND_RATE = "ALERT_REFUND_RATE"  # a seller's refunds over the window, against their captures
    CHARGEBACK_RATE = "ALERT_CHARGEBACK_RATE"  # a seller's disputes opened over the window, against their captures
    NEGATIVE_PAYABLE = "ALERT_NEGATIVE_PAYABLE"  # a seller owes the marketplace more than the threshold
    RECON_DIFFERENCE = "ALERT_RECON_DIFFERENCE"  # a reconciliation import left more than the tolerance unmatched
    EXCEPTION_AGED = "ALERT_EXCEPTION_AGED"  # an exception open longer than the threshold
    PARKED_AGED = "ALERT_PARKED_AGED"  # an order's events parked longer than the threshold
    PROJECTION_LAG = "ALERT_PROJECTION_LAG"  # the read models behind the journal by more than the threshold


@dataclass(frozen=True)
class Thresholds:
    refund_rate_bp: int = 2_000  # 20 % of the seller's captured share
    chargeback_rate_bp: int = 100  # 1 %
    rate_window_days: int = 7
    rate_min_captures: int = 5  # fewer captures in the window: no rate is judged
    negative_payable_minor: int = 50_000
    recon_tolerance_minor: int = 100
    exception_age_hours: float = 24
    parked_age_minutes: float = 60
    projection_lag_s: float = 120
    rules: frozenset[Rule] = frozenset(Rule)  # the rules evaluated (the others are off)


class SellerActivity(NamedTuple):
    """A seller's money over the rate window (by when it occurred), in one currency."""

    seller_id: str
    currency: str
    captures: int  # orders with a share of the seller's captured in the window
    captured: int  # the seller's share of them (escrow credited)
    refunded: int  # what refunds in the window took from the seller's escrow or payable
    disputed: int  # what disputes opened in the window took from them


class Payable(NamedTuple):
    seller_id: str
    currency: str
    payable: int


class ReconImport(NamedTuple):
    source: str  # the exceptions' source: '<kind>-report:<sha256 prefix>'
    file_name: str
    currency: str
    differences: int  # lines that became exceptions
    unmatched: int  # their amounts, in absolute value


class OpenException(NamedTuple):
    exception_id: int
    reason_code: str
    created_at: datetime
    seller_id: str | None
    order_id: str | None
    batch_id: str | None


class ParkedOrder(NamedTuple):
    order_id: str
    events: int
    oldest: datetime


class Lag(NamedTuple):
    behind: int  # journal transactions not in the read models yet
    oldest_recorded_at: datetime | None  # the oldest of them


@dataclass(frozen=True)
class Figures:
    """What the rules read, as of one moment."""

    as_of: datetime
    activity: tuple[SellerActivity, ...] = ()
    payables: tuple[Payable, ...] = ()
    recon: tuple[ReconImport, ...] = ()
    exceptions: tuple[OpenException, ...] = ()
    parked: tuple[ParkedOrder, ...] = ()
    lag: Lag = Lag(0, None)


class Breach(NamedTuple):
    rule: Rule
    subject: str  # with the rule, what makes it the same breach
    detail: str  # the figures that breached, for people
    seller_id: str | None = None
    order_id: str | None = None
    batch_id: str | None = None
    amount_minor: int | None = None
    currency: str | None = None

    @property
    def key(self) -> str:
        return f"{self.rule.value}:{self.subject}"


def _bp(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f} %" if whole else "-"


def evaluate(f: Figures, t: Thresholds) -> list[Breach]:
    """Every breach in the figures of the rules that are on (t.rules), each rule's in the
    order it reads them."""
    out: list[Breach] = []
    window = f"the {t.rate_window_days} days to {f.as_of.isoformat()}"
    for a in f.activity:
        if a.captures < t.rate_min_captures or a.captured <= 0:
            continue
        m = lambda v: format_minor(v, a.currency)  # noqa: E731
        for rule, what, amount, threshold_bp in ((Rule.REFUND_RATE, "refunds", a.refunded, t.refund_rate_bp),
                                                 (Rule.CHARGEBACK_RATE, "disputes", a.disputed, t.chargeback_rate_bp)):
            if amount * 10_000 > threshold_bp * a.captured:
                out.append(Breach(rule, f"{a.seller_id}:{a.currency}",
                                  f"seller {a.seller_id}: {what} of {m(amount)} against {m(a.captured)} captured in"
                                  f" {a.captures} orders over {window}: {_bp(amount, a.captured)}"
                                  f" (threshold {_bp(threshold_bp, 10_000)})",
                                  seller_id=a.seller_id, amount_minor=amount, currency=a.currency))
    for p in f.payables:
        if p.payable < -t.negative_payable_minor:
            out.append(Breach(Rule.NEGATIVE_PAYABLE, f"{p.seller_id}:{p.currency}",
                              f"seller {p.seller_id} owes {format_minor(-p.payable, p.currency)}: their payable is"
                              f" negative beyond the threshold of {format_minor(t.negative_payable_minor, p.currency)}",
                              seller_id=p.seller_id, amount_minor=p.payable, currency=p.currency))
    for r in f.recon:
        if r.unmatched > t.recon_tolerance_minor:
            out.append(Breach(Rule.RECON_DIFFERENCE, r.source,
                              f"{r.file_name} ({r.source}): {r.differences} lines did not reconcile,"
                              f" {format_minor(r.unmatched, r.currency)} in all (tolerance"
                              f" {format_minor(t.recon_tolerance_minor, r.currency)})",
                              amount_minor=r.unmatched, currency=r.currency))
    aged = f.as_of - timedelta(hours=t.exception_age_hours)
    for e in f.exceptions:
        if e.created_at < aged and not e.reason_code.startswith("ALERT_"):
            hours = (f.as_of - e.created_at).total_seconds() / 3600
            names = ", ".join(f"{k} {v}" for k, v in (("seller", e.seller_id), ("order", e.order_id),
                                                      ("batch", e.batch_id)) if v)
            out.append(Breach(Rule.EXCEPTION_AGED, str(e.exception_id),
                              f"exception {e.exception_id} ({e.reason_code}{', ' + names if names else ''}) open for"
                              f" {hours:.1f} h (threshold {t.exception_age_hours:g} h)",
                              seller_id=e.seller_id, order_id=e.order_id, batch_id=e.batch_id))
    parked_before = f.as_of - timedelta(minutes=t.parked_age_minutes)
    for p in f.parked:
        if p.oldest < parked_before:
            minutes = (f.as_of - p.oldest).total_seconds() / 60
            out.append(Breach(Rule.PARKED_AGED, p.order_id,
                              f"order {p.order_id}: {p.events} events parked, the oldest for {minutes:.0f} min"
                              f" (threshold {t.parked_age_minutes:g} min): its capture has not been posted",
                              order_id=p.order_id))
    if f.lag.behind and f.lag.oldest_recorded_at is not None:
        seconds = (f.as_of - f.lag.oldest_recorded_at).total_seconds()
        if seconds > t.projection_lag_s:
            out.append(Breach(Rule.PROJECTION_LAG, "read-models",
                              f"the read models are {f.lag.behind:,} transactions behind the journal, the oldest"
                              f" recorded {seconds:.0f} s ago (threshold {t.projection_lag_s:g} s)"))
    return [b for b in out if b.rule in t.rules]


def changes(breaches: list[Breach], breaching: set[str]) -> tuple[list[Breach], set[str]]:
    """(the breaches to raise: not breaching before, each key once; the keys that stopped
    breaching). breaching: the keys raised and still breaching at the last evaluation."""
    raise_, seen = [], set()
    for b in breaches:
        if b.key not in breaching and b.key not in seen:
            raise_.append(b)
        seen.add(b.key)
    return raise_, breaching - seen
