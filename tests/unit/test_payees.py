"""A payee's bank account, legal name and tax document are checked when the profile
arrives (SellerProfileUpdated v2): IBAN per country with its mod-97 check digits, CPF and
CNPJ with theirs, PIX keys by type; anything else is INVALID_FIELD saying which field."""

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.domain.errors import Reason, Rejected
from services.domain.events import SellerProfileUpdated
from services.domain.payees import BankAccount, check_account
from services.domain.rules.profiles import handle_seller_profile_updated

AT = datetime(2026, 12, 1, tzinfo=timezone.utc)
IBANS = ["DE89370400440532013000", "GB82WEST12345698765432", "BR1800360305000010009795493C1",
         "FR1420041010050500013M02606", "NL91ABNA0417164300"]


def profile(**payee) -> SellerProfileUpdated:
    return SellerProfileUpdated("evt", AT, "S_1", 250, 0, False, None, **payee)


def refused(account: BankAccount, says: str) -> None:
    with pytest.raises(Rejected, match=says) as exc:
        check_account(account)
    assert exc.value.reason is Reason.INVALID_FIELD


@pytest.mark.parametrize("iban", IBANS)
def test_an_iban_is_kept_without_spaces(iban):
    spaced = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    assert check_account(BankAccount("IBAN", iban=spaced.lower())) == BankAccount("IBAN", iban=iban)


@given(st.sampled_from(IBANS), st.integers(4, 40), st.integers(1, 9))
def test_any_single_changed_digit_of_an_iban_is_refused(iban, at, shift):
    at = 4 + at % (len(iban) - 4)
    if not iban[at].isdigit():
        return
    changed = iban[:at] + str((int(iban[at]) + shift) % 10) + iban[at + 1:]
    refused(BankAccount("IBAN", iban=changed), "IBAN .* is not valid")


@pytest.mark.parametrize("kind, key", [("CPF", "390.533.447-05"), ("CNPJ", "11.222.333/0001-81"),
                                       ("EMAIL", "pix@loja.example.com"), ("PHONE", "+5511987654321"),
                                       ("EVP", "123e4567-e89b-12d3-a456-426614174000")])
def test_pix_keys_of_every_type(kind, key):
    a = check_account(BankAccount("PIX", pix_key=key, pix_key_type=kind))
    assert a.pix_key_type == kind and (a.pix_key.isdigit() if kind in ("CPF", "CNPJ") else a.pix_key == key)


@pytest.mark.parametrize("account, says", [
    (BankAccount("PIX", pix_key="390.533.447-06", pix_key_type="CPF"), "CPF PIX key .* not valid"),
    (BankAccount("PIX", pix_key="11222333000182", pix_key_type="CNPJ"), "CNPJ PIX key .* not valid"),
    (BankAccount("PIX", pix_key="11987654321", pix_key_type="PHONE"), r"\+55"),
    (BankAccount("PIX", pix_key="not-an-address", pix_key_type="EMAIL"), "EMAIL PIX key"),
    (BankAccount("PIX", pix_key="123", pix_key_type="EVP"), "EVP PIX key"),
    (BankAccount("PIX", pix_key="x", pix_key_type="CHAVE"), "PIX key type 'CHAVE'"),
    (BankAccount("PIX", pix_key_type="EMAIL"), "needs its pix_key"),
    (BankAccount("IBAN"), "needs its iban"),
    (BankAccount("DOMESTIC", bank_code="341", account_number="12 34"), "account number"),
    (BankAccount("DOMESTIC", account_number="1234"), "bank code None"),
    (BankAccount("DOMESTIC", bank_code="341", branch="0663-55", account_number="1"), "branch"),
    (BankAccount("SWIFT", iban="DE89370400440532013000"), "scheme 'SWIFT'"),
])
def test_a_wrong_account_is_refused_saying_which_field(account, says):
    refused(account, says)


def test_the_profile_rule_checks_and_canonicalises_the_payee():
    p = handle_seller_profile_updated(profile(
        legal_name="  Joana   Souza ME ", tax_document="390.533.447-05",
        bank_account=BankAccount("IBAN", iban="de89 3704 0044 0532 0130 00")))
    assert (p.legal_name, p.tax_document, p.bank_account.iban) == ("Joana Souza ME", "39053344705",
                                                                    "DE89370400440532013000")
    assert p.can_be_paid
    for bad, says in ((dict(tax_document="123"), "neither a CPF"), (dict(legal_name=" "), "legal name"),
                      (dict(legal_name="x" * 141), "legal name"), (dict(tax_document="11222333000182"), "CNPJ")):
        with pytest.raises(Rejected, match=says):
            handle_seller_profile_updated(profile(**bad))


def test_a_version_1_profile_still_reads_and_pays_into_its_free_text_reference():
    v1 = {"event_id": "e", "occurred_at": AT, "seller_id": "S_1", "withholding_rate_bp": 0, "payout_minimum": 0,
          "payout_hold": False, "bank_account_ref": "BANK-1"}
    p = handle_seller_profile_updated(SellerProfileUpdated.from_record(v1))
    assert p.bank_account is None and p.legal_name is None and p.can_be_paid
    assert not SellerProfileUpdated.from_record({**v1, "bank_account_ref": None}).can_be_paid


@given(st.sampled_from(["IBAN", "DOMESTIC", "PIX", ""]), st.lists(st.one_of(st.none(), st.text(max_size=60)),
                                                                  min_size=6, max_size=6),
       st.sampled_from(["CPF", "CNPJ", "EMAIL", "PHONE", "EVP", "x"]), st.text(max_size=30), st.text(max_size=200))
def test_whatever_a_producer_sends_the_payee_is_checked_or_refused_never_an_error(scheme, fields, kind, doc, name):
    iban, bank_code, branch, account_number, pix_key, _ = fields
    e = profile(legal_name=name, tax_document=doc,
                bank_account=BankAccount(scheme, iban, bank_code, branch, account_number, pix_key, kind))
    try:
        p = handle_seller_profile_updated(e)
    except Rejected as r:
        assert r.reason is Reason.INVALID_FIELD
    else:
        assert p.bank_account.scheme in ("IBAN", "DOMESTIC", "PIX") and p.legal_name and p.tax_document.isdigit()
