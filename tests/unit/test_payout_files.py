"""Every pain.001 the ledger writes validates against the official XSD (from the sepaxml
package), whatever the ids; what would not validate is refused naming the seller and the
field, before anything is written."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.payouts import files
from services.payouts.files import Batch, Debtor, FileRefused, Line

ID = st.from_regex(r"[A-Za-z0-9_.\-]{1,128}", fullmatch=True)


def batch(*lines: Line, currency: str = "BRL") -> Batch:
    return Batch("PB_20261203_BRL", "2026-12-03", currency, "2026-12-03T06:00:00", tuple(lines))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(ID, st.integers(1, 10**12), st.from_regex(r"[A-Za-z0-9\-]{1,34}", fullmatch=True)),
                min_size=1, max_size=5, unique_by=lambda x: x[0]))
def test_any_batch_the_ledger_can_make_validates_against_the_official_schema(lines):
    b = batch(*(Line(s, amount, account) for s, amount, account in lines))
    files.check_lines(b)
    files.validate_pain001(files.to_pain001(b))  # raises FileRefused otherwise


def test_end_to_end_ids_fit_35_characters_and_stay_unique_and_stable():
    long_a, long_b = "S" * 128, "S" * 127 + "T"
    ids = {files.end_to_end_id("PB_20261203_BRL", s) for s in (long_a, long_b, "S_1")}
    assert len(ids) == 3 and all(len(i) <= 35 for i in ids)
    assert files.end_to_end_id("PB_20261203_BRL", "S_1") == "PB_20261203_BRL-S_1"
    assert files.end_to_end_id("PB_20261203_BRL", long_a) == files.end_to_end_id("PB_20261203_BRL", long_a)


@pytest.mark.parametrize("account, says", [("", "is 0"), ("A" * 35, "is 35")])
def test_a_bank_account_reference_the_schema_refuses_names_the_seller_and_the_field(account, says):
    with pytest.raises(FileRefused, match=rf"seller S_9's bank account reference \(CdtrAcct/Id/Othr/Id\).*{says}"):
        files.check_lines(batch(Line("S_1", 100, "BANK-1"), Line("S_9", 100, account)))


def test_the_schema_itself_refuses_what_the_line_checks_do_not_know():
    bad = files.to_pain001(batch(Line("S_1", 100, "BANK-1")), Debtor(name="x" * 141))
    with pytest.raises(FileRefused, match="would not validate"):
        files.validate_pain001(bad)


def test_the_debtor_comes_from_settings_not_constants():
    data = files.to_pain001(batch(Line("S_1", 100, "BANK-1")), Debtor("Loja Exemplo SA", "0001-99999", "ITAUBRSPXXX"))
    files.validate_pain001(data)
    assert b"<Nm>Loja Exemplo SA</Nm>" in data and b"<Id>0001-99999</Id>" in data and b"<BIC>ITAUBRSPXXX</BIC>" in data
    assert files.parse_pain001(data).lines == (Line("S_1", 100, "BANK-1"),)
