"""The fault campaign, short: a few hundred valid events while the supervised workers
are SIGKILLed and SIGSTOPped and the broker and PostgreSQL restart (the long campaign
is `make chaos`; docs/operations.md)."""

import pytest

from tests.chaos.campaign import Plan, run

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def test_nothing_is_lost_or_doubled_under_kills_stops_and_restarts(services):
    figures = run(Plan(orders=120, sellers=20, kills=3, stops=1, pg_restarts=1, broker_restarts=1, seed=3),
                  log=lambda _line: None)
    assert figures.kills == 3 and figures.stops == 1
    assert figures.passed, figures.line() + "\n" + "\n".join(figures.notes)
    assert (figures.lost, figures.doubled, figures.rejected, figures.read_model_diffs) == (0, 0, 0, 0)
