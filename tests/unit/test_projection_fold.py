"""The read models' fold, from journal records, without a database."""

from datetime import datetime, timezone

from projections import account_balances, order_escrow, seller_balances
from services.adapters.journal_record import journal_record
from services.domain.journal import PostedTransaction
from services.domain.rules.capture import Policy, handle_order_captured
from tests.unit.test_capture_rule import seed_order

NOW = datetime(2026, 11, 3, tzinfo=timezone.utc)


def posted():
    return [journal_record(PostedTransaction(1, NOW, handle_order_captured(seed_order(), Policy())))]


def test_seller_escrow_is_the_sellers_share_of_the_capture():
    assert seller_balances.fold(posted()) == {("S_114", "BRL"): [16000, 0, 0, 0, 0, 0, 0, 1]}


def test_order_escrow_holds_the_whole_captured_amount():
    row = order_escrow.fold(posted())["O_8821"]
    assert row["currency"] == "BRL"
    assert dict(zip(order_escrow.ADDED, row["d"])) == {
        "captured": 20000, "escrow_seller": 16000, "escrow_shipping": 2000, "escrow_platform": 2000,
        "released": 0, "refunded": 0, "disputed": 0}
    assert row["release_due_at"] == datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def test_account_balances_split_debits_and_credits():
    d = account_balances.fold(posted())
    assert d[("ops:pool:card", "BRL")] == [19400, 0, 1, 0]
    # the order's escrow, first posted by its capture: a row that is new (see read_models.add_deltas)
    assert d[("order:O_8821:escrow:seller:S_114", "BRL")] == [0, 16000, 1, 1]
