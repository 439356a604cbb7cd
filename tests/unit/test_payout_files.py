"""Every pain.001 the ledger writes validates against the official XSD of its version (from
the sepaxml package), whatever the ids and whatever kind of account the payee has; what
would not validate is refused naming the seller and the field, before anything is written."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.domain.payees import BankAccount
from services.payouts import pain001
from services.payouts.files import Batch, Debtor, FileRefused, Line, end_to_end_id

ID = st.from_regex(r"[A-Za-z0-9_.\-]{1,128}", fullmatch=True)
ACCOUNTS = st.sampled_from([
    None,
    BankAccount("IBAN", iban="DE89370400440532013000"),
    BankAccount("IBAN", iban="BR1800360305000010009795493C1"),
    BankAccount("DOMESTIC", bank_code="341", branch="0663-5", account_number="000000154-2"),
    BankAccount("DOMESTIC", bank_code="001", account_number="99999"),
    BankAccount("PIX", pix_key="39053344705", pix_key_type="CPF"),
    BankAccount("PIX", pix_key="+5511987654321", pix_key_type="PHONE"),
    BankAccount("PIX", pix_key="finance@loja.example.com.br", pix_key_type="EMAIL"),
    BankAccount("PIX", pix_key="123e4567-e89b-12d3-a456-426614174000", pix_key_type="EVP"),
])
NAMES = st.one_of(st.none(), st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), min_size=1,
                                     max_size=140).filter(lambda s: s.strip()))
DOCS = st.sampled_from([None, "39053344705", "11222333000181"])


def batch(*lines: Line, currency: str = "BRL") -> Batch:
    return Batch("PB_20261203_BRL", "2026-12-03", currency, "2026-12-03T06:00:00", tuple(lines))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(ID, st.integers(1, 10**12), st.from_regex(r"[A-Za-z0-9\-]{1,34}", fullmatch=True),
                          NAMES, DOCS, ACCOUNTS), min_size=1, max_size=5, unique_by=lambda x: x[0]),
       st.sampled_from(pain001.VERSIONS))
def test_any_batch_the_ledger_can_make_validates_against_the_official_schema(lines, version):
    """(.03 has no proxy: a PIX key longer than its 34-character id is refused, tested below.)"""
    assume(version == "pain.001.001.09" or all(a is None or len(a.pix_key or "") <= 34 for *_, a in lines))
    b = batch(*(Line(s, amount, ref, name and " ".join(name.split()), doc, account)
                for s, amount, ref, name, doc, account in lines))
    data = pain001.render(b, Debtor(pain001_version=version))  # raises FileRefused otherwise
    assert [t.end_to_end_id for t in pain001.parse(data).transfers] == [end_to_end_id(b.batch_id, s)
                                                                       for s, *_ in lines]


@given(ID, st.lists(ID, min_size=2, max_size=5, unique=True))
def test_any_batch_and_seller_ids_make_end_to_end_ids_of_at_most_35_that_tell_the_lines_apart(batch_id, sellers):
    ids = [end_to_end_id(batch_id, s) for s in sellers]
    assert all(len(i) <= 35 for i in ids) and len(set(ids)) == len(ids)
    assert ids == [end_to_end_id(batch_id, s) for s in sellers]


def test_end_to_end_ids_fit_35_characters_and_stay_unique_and_stable():
    long_a, long_b = "S" * 128, "S" * 127 + "T"
    ids = {end_to_end_id("PB_20261203_BRL", s) for s in (long_a, long_b, "S_1")}
    assert len(ids) == 3 and all(len(i) <= 35 for i in ids)
    assert end_to_end_id("PB_20261203_BRL", "S_1") == "PB_20261203_BRL-S_1"
    assert end_to_end_id("PB_20261203_BRL", long_a) == end_to_end_id("PB_20261203_BRL", long_a)


@pytest.mark.parametrize("account, says", [("", "is 0"), ("A" * 35, "is 35")])
def test_a_bank_account_reference_the_schema_refuses_names_the_seller_and_the_field(account, says):
    with pytest.raises(FileRefused, match=rf"seller S_9's bank account reference \(CdtrAcct/Id/Othr/Id\).*{says}"):
        pain001.render(batch(Line("S_1", 100, "BANK-1"), Line("S_9", 100, account)), Debtor())


def test_a_long_pix_key_cannot_go_in_a_version_3_file_but_goes_as_the_proxy_in_version_9():
    email = BankAccount("PIX", pix_key="a.very.long.mailbox.name@marketplace-seller.example.com.br",
                        pix_key_type="EMAIL")
    line = Line("S_7", 100, account=email)
    with pytest.raises(FileRefused, match=r"seller S_7's PIX key .* pain.001.001.09 or CNAB 240"):
        pain001.render(batch(line), Debtor(pain001_version="pain.001.001.03"))
    data = pain001.render(batch(line), Debtor())
    assert b"<Prxy>" in data and email.pix_key.encode() in data
    assert pain001.parse(data).transfers[0].account == email.pix_key


def test_the_schema_itself_refuses_what_the_line_checks_do_not_know():
    for version in pain001.VERSIONS:
        with pytest.raises(FileRefused, match=f"the {version} would not validate"):
            pain001.render(batch(Line("S_1", 100, "BANK-1")), Debtor(name="x" * 141, pain001_version=version))


def test_the_debtor_and_the_payee_come_from_settings_and_profiles_not_constants():
    debtor = Debtor("Loja Exemplo SA", "DE89 3704 0044 0532 0130 00", "ITAUBRSPXXX", "pain.001.001.09", "SEPA")
    payee = Line("S_1", 100, legal_name="Joana Souza ME", tax_document="11222333000181",
                 account=BankAccount("DOMESTIC", bank_code="341", branch="0663", account_number="1540-2"))
    data = pain001.render(batch(payee), debtor)
    for part in (b"<Nm>Loja Exemplo SA</Nm>", b"<IBAN>DE89370400440532013000</IBAN>", b"<BICFI>ITAUBRSPXXX</BICFI>",
                 b"<Cd>SEPA</Cd>", b"<ChrgBr>SLEV</ChrgBr>", b"<Nm>Joana Souza ME</Nm>", b"<MmbId>341</MmbId>",
                 b"<Id>0663/1540-2</Id>", b"<OrgId>", b"<Id>11222333000181</Id>", b"<Cd>TXID</Cd>",
                 b"<BtchBookg>true</BtchBookg>", b"<ReqdExctnDt>\n"):
        assert part in data, part
    old = pain001.render(batch(payee), Debtor(pain001_version="pain.001.001.03"))
    assert b"<BIC>SPLTBRSPXXX</BIC>" in old and b"<ReqdExctnDt>2026-12-03</ReqdExctnDt>" in old
