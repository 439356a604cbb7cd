"""Account addresses are taken apart by the module that builds them; metadata is typed
in the domain and JSON text only at the adapters, in the form the hash chain covers."""

from hypothesis import given
from hypothesis import strategies as st

from services.adapters import metadata
from services.domain import accounts

ids = st.from_regex(r"[A-Za-z0-9_.\-]{1,20}", fullmatch=True)


@given(ids, ids)
def test_every_built_address_parses_back_to_its_ids(order_id, seller_id):
    assert accounts.escrow_of(accounts.escrow_seller(order_id, seller_id)) == accounts.Escrow(order_id, "seller", seller_id)
    assert accounts.escrow_of(accounts.escrow_platform(order_id)) == accounts.Escrow(order_id, "platform", None)
    assert accounts.escrow_of(accounts.escrow_shipping(order_id)) == accounts.Escrow(order_id, "shipping", None)
    assert accounts.payable_seller(accounts.seller_payable(seller_id)) == seller_id
    assert accounts.seller_of(accounts.seller_payable(seller_id)) == seller_id
    assert accounts.seller_of(accounts.escrow_seller(order_id, seller_id)) == seller_id
    assert accounts.is_pool(accounts.pool(order_id)) and not accounts.is_pool(accounts.bank(order_id))


def test_accounts_of_other_families_are_not_mistaken_for_a_seller_or_an_escrow():
    for account in (accounts.pool("card"), accounts.TAX_WITHHOLDING, accounts.payout_in_flight("B_1"),
                    accounts.dispute_hold("O_1"), "seller:S_1:payable:extra"):
        assert accounts.escrow_of(account) is None and accounts.seller_of(account) is None


@given(st.dictionaries(ids, st.integers(-10**12, 10**12)), st.lists(ids), st.text(max_size=30))
def test_metadata_round_trips_and_structured_values_are_compact_sorted_json(per_seller, approvers, note):
    typed = {"hold": per_seller, "approvers": approvers, "reason": note}
    stored = metadata.encode(typed)
    assert all(isinstance(v, str) for v in stored.values())
    assert metadata.decode(stored) == typed
    assert stored["hold"] == "{" + ",".join(f'"{k}":{v}' for k, v in sorted(per_seller.items())) + "}"


def test_free_text_that_looks_like_json_stays_text():
    assert metadata.decode({"reason": '{"a":1}'}) == {"reason": '{"a":1}'}
