"""A proposed adjustment is refused before anyone approves it when it could never post:
unbalanced, on a protected account, or with an amount beyond the ledger's bound."""

import pytest

from services.domain.bounds import AMOUNT_MAX_MINOR
from services.domain.errors import Reason, Rejected
from services.domain.rules.adjustments import validate


@pytest.mark.parametrize("amount", [AMOUNT_MAX_MINOR + 1, 2**63 - 1, 2**70])
def test_an_amount_beyond_the_bound_is_refused_at_proposal(amount):
    with pytest.raises(Rejected) as exc:
        validate("BRL", [("ops:platform:goodwill", amount), ("seller:S_1:payable", -amount)])
    assert exc.value.reason is Reason.OUT_OF_BOUNDS


def test_the_bound_itself_is_an_adjustment_the_ledger_takes():
    assert validate("BRL", [("ops:platform:goodwill", AMOUNT_MAX_MINOR),
                            ("seller:S_1:payable", -AMOUNT_MAX_MINOR)]) == AMOUNT_MAX_MINOR
