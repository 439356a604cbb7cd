"""Alert rules (services/domain/alerts.py), pure: each rule breaches past its threshold
and not at it, names the seller/order/batch and the figures, and a breach is raised
once per episode (a state machine against a model of episodes)."""

from datetime import datetime, timedelta, timezone

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from services.domain.alerts import (Breach, Figures, Lag, OpenException, ParkedOrder, Payable, ReconImport, Rule,
                                    SellerActivity, Thresholds, changes, evaluate)

AT = datetime(2026, 11, 30, tzinfo=timezone.utc)
T = Thresholds(refund_rate_bp=2_000, chargeback_rate_bp=100, rate_min_captures=5, negative_payable_minor=50_000,
               recon_tolerance_minor=100, exception_age_hours=24, parked_age_minutes=60, projection_lag_s=120)


def rules(f: Figures) -> list[tuple[Rule, str]]:
    return [(b.rule, b.subject) for b in evaluate(f, T)]


def test_a_refund_rate_above_the_threshold_breaches_and_at_it_does_not():
    at = SellerActivity("S_1", "BRL", 10, 100_000, 20_000, 0)  # exactly 20 %
    assert rules(Figures(AT, activity=(at,))) == []
    [b] = evaluate(Figures(AT, activity=(at._replace(refunded=20_001),)), T)
    assert (b.rule, b.subject, b.seller_id, b.amount_minor, b.currency) == (Rule.REFUND_RATE, "S_1:BRL", "S_1",
                                                                           20_001, "BRL")
    assert "BRL 200.01 against BRL 1,000.00 captured in 10 orders" in b.detail and "20.00 %" in b.detail


def test_a_rate_is_not_judged_on_fewer_captures_than_the_minimum():
    assert rules(Figures(AT, activity=(SellerActivity("S_1", "BRL", 4, 10_000, 10_000, 10_000),))) == []


def test_a_chargeback_rate_breaches_on_its_own():
    f = Figures(AT, activity=(SellerActivity("S_2", "USD", 50, 1_000_000, 0, 10_001),))
    assert rules(f) == [(Rule.CHARGEBACK_RATE, "S_2:USD")]


def test_a_payable_negative_beyond_the_threshold_breaches():
    f = Figures(AT, payables=(Payable("S_1", "BRL", -50_000), Payable("S_2", "BRL", -50_001)))
    [b] = evaluate(f, T)
    assert b.subject == "S_2:BRL" and "owes BRL 500.01" in b.detail


def test_reconciliation_differences_above_the_tolerance_breach():
    f = Figures(AT, recon=(ReconImport("gateway-report:ab", "card.csv", "BRL", 1, 100),
                           ReconImport("gateway-report:cd", "pix.csv", "BRL", 2, 101)))
    [b] = evaluate(f, T)
    assert b.subject == "gateway-report:cd" and "pix.csv" in b.detail and "2 lines" in b.detail


def test_old_exceptions_parked_events_and_projection_lag_breach_past_their_age():
    f = Figures(AT, exceptions=(OpenException(7, "UNKNOWN_ORDER", AT - timedelta(hours=25), None, "O_1", None),
                                OpenException(8, "UNKNOWN_ORDER", AT - timedelta(hours=23), None, "O_2", None),
                                OpenException(9, "ALERT_REFUND_RATE", AT - timedelta(days=9), "S_1", None, None)),
                parked=(ParkedOrder("O_3", 2, AT - timedelta(minutes=61)), ParkedOrder("O_4", 1, AT)),
                lag=Lag(1_500, AT - timedelta(seconds=121)))
    breaches = evaluate(f, T)
    assert [(b.rule, b.subject) for b in breaches] == [(Rule.EXCEPTION_AGED, "7"), (Rule.PARKED_AGED, "O_3"),
                                                      (Rule.PROJECTION_LAG, "read-models")]
    assert breaches[0].order_id == "O_1" and "open for 25.0 h" in breaches[0].detail  # an alert is not aged again
    assert "1,500 transactions behind" in breaches[2].detail
    assert rules(Figures(AT, lag=Lag(1_500, AT - timedelta(seconds=119)))) == []


def test_a_rule_that_is_off_raises_nothing_and_the_setting_names_them():
    from services.entrypoints.settings import Settings

    f = Figures(AT, payables=(Payable("S_1", "BRL", -90_000),), lag=Lag(5, AT - timedelta(hours=1)))
    assert [x.rule for x in evaluate(f, T)] == [Rule.NEGATIVE_PAYABLE, Rule.PROJECTION_LAG]
    settings = Settings.from_env({"DATABASE_URL": "postgresql://x", "KAFKA_BOOTSTRAP_SERVERS": "k:1",
                                  "SPLITBOOK_ALERT_RULES": "ALERT_PROJECTION_LAG, ALERT_REFUND_RATE",
                                  "SPLITBOOK_ALERT_REFUND_RATE_BP": "1500"})
    t = settings.alert_thresholds()
    assert t.rules == {Rule.PROJECTION_LAG, Rule.REFUND_RATE} and t.refund_rate_bp == 1500
    assert [x.rule for x in evaluate(f, t)] == [Rule.PROJECTION_LAG]
    everything = Settings.from_env({"DATABASE_URL": "postgresql://x", "KAFKA_BOOTSTRAP_SERVERS": "k:1",
                                    "SPLITBOOK_ALERT_RULES": "all"})
    assert everything.alert_thresholds().rules == set(Rule)


def b(subject: str) -> Breach:
    return Breach(Rule.NEGATIVE_PAYABLE, subject, "")


class Episodes(RuleBasedStateMachine):
    """Evaluations in a row: a subject's breach is raised when it starts, never while it
    lasts, and again only after it stopped."""

    def __init__(self):
        super().__init__()
        self.breaching: set[str] = set()
        self.raised: list[str] = []
        self.model_raised: list[str] = []
        self.model_on: set[str] = set()

    @rule(now=st.lists(st.sampled_from(["S_1", "S_2", "S_3"]), max_size=5))
    def evaluate(self, now):
        breaches = [b(s) for s in now]
        new, cleared = changes(breaches, self.breaching)
        self.raised += [x.subject for x in new]
        self.breaching = (self.breaching - cleared) | {x.key for x in new}
        on = set(now)
        self.model_raised += sorted(on - self.model_on, key=now.index)
        self.model_on = on

    @invariant()
    def raised_once_per_episode(self):
        assert self.raised == self.model_raised
        assert self.breaching == {b(s).key for s in self.model_on}


Episodes.TestCase.settings = settings(max_examples=200, stateful_step_count=15, deadline=None)
test_each_breach_is_raised_once_per_episode = Episodes.TestCase
