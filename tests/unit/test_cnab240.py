"""CNAB 240 for BRL batches: every record exactly 240 characters, numeric fields
zero-padded, the trailers' counts and sums right (checked by our own reader); the bank's
retorno read back as confirmations, on files the simulator writes and on two a real bank
(Itaú SISPAG) wrote, from the test data of eduardordm/cnab240 (MIT, SOURCE.md there)."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.domain.errors import ConfigError
from services.domain.payees import BankAccount
from services.payouts import cnab240
from services.payouts.files import Batch, Debtor, FileRefused, Line
from services.simulators import bank

AT = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
ITAU = Path(__file__).resolve().parents[1] / "data" / "bank" / "eduardordm-cnab240"
TED = BankAccount("DOMESTIC", bank_code="237", branch="1234-5", account_number="987654-3")
PIX = BankAccount("PIX", pix_key="+5511987654321", pix_key_type="PHONE")
DEBTOR = Debtor(cnab240_currencies=("BRL",))


def batch(*lines: Line) -> Batch:
    return Batch("PB_20261205_BRL", "2026-12-05", "BRL", "2026-12-05T06:00:00", tuple(lines))


BATCH = batch(Line("S_1", 15600, legal_name="João Açaí Ltda", tax_document="11222333000181", account=TED),
              Line("S_" + "x" * 126, 900, legal_name="Maria", tax_document="39053344705", account=PIX),
              Line("S_3", 100, account=BankAccount("PIX", pix_key="39053344705", pix_key_type="CPF")))


def test_a_remessa_has_a_lot_per_way_of_paying_and_trailers_that_add_up():
    data = cnab240.write(BATCH, DEBTOR)
    records = data.decode("ascii").split("\r\n")[:-1]
    assert all(len(r) == 240 for r in records)
    assert [r[7] + (r[13] if r[7] == "3" else "") for r in records] == [
        "0", "1", "3A", "3B", "5", "1", "3A", "3B", "3A", "3B", "5", "9"]
    assert records[1][11:13] == "41" and records[5][11:13] == "45"  # TED, then PIX
    assert records[2][43:73] == "JOAO ACAI LTDA".ljust(30)  # upper-case ASCII
    assert records[2][119:134] == "000000000015600"
    assert records[4][17:23] == "000004" and records[4][23:41] == "000000000000015600"
    assert records[10][17:23] == "000006" and records[10][23:41] == "000000000000001000"
    assert records[-1][17:23] == "000002" and records[-1][23:29] == "000012"
    read = cnab240.parse(data)
    assert read.direction == "1" and read.bank == "341"
    assert [(d.lot, d.amount_minor, d.document, d.pix_key) for d in read.details] == [
        (1, 15600, "11222333000181", ""), (2, 900, "39053344705", "+5511987654321"), (2, 100, "39053344705", "39053344705")]
    assert cnab240.write(BATCH, DEBTOR) == data  # the same batch, the same bytes


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, cnab240.MAX_AMOUNT_MINOR), st.text(min_size=1, max_size=200),
                          st.sampled_from([TED, PIX])), min_size=1, max_size=6))
def test_any_batch_reads_back_with_its_counts_and_sums(lines):
    b = batch(*(Line(f"S_{i}", amount, legal_name=name, tax_document="39053344705", account=account)
                for i, (amount, name, account) in enumerate(lines)))
    data = cnab240.write(b, DEBTOR)
    assert all(len(r) == 240 for r in data.decode("ascii").split("\r\n")[:-1])
    read = cnab240.parse(data)
    assert sorted(d.amount_minor for d in read.details) == sorted(a for a, _, _ in lines)
    assert {d.our_number for d in read.details} == {cnab240.our_number(b.batch_id, ln.seller_id) for ln in b.lines}


@pytest.mark.parametrize("line, says", [
    (Line("S_9", 1, account=BankAccount("IBAN", iban="DE89370400440532013000"), tax_document="39053344705"),
     "seller S_9 has an IBAN"),
    (Line("S_9", 1, "BANK-9"), "seller S_9 has no structured bank account"),
    (Line("S_9", 1, account=TED), r"seller S_9 has no CPF/CNPJ"),
    (Line("S_9", 1, account=BankAccount("DOMESTIC", bank_code="2370", account_number="1"), tax_document="39053344705"),
     "bank code '2370'"),
    (Line("S_9", 1, account=BankAccount("DOMESTIC", bank_code="237", account_number="1234567890123"),
          tax_document="39053344705"), "branch or account does not fit"),
])
def test_what_cnab_240_cannot_carry_is_refused_naming_the_seller(line, says):
    with pytest.raises(FileRefused, match=says):
        cnab240.write(batch(Line("S_1", 100, tax_document="39053344705", account=TED), line), DEBTOR)


def test_the_simulator_s_retorno_confirms_the_batch_after_scheduling_it():
    sent = cnab240.write(BATCH, DEBTOR)
    results, replies = bank.settle(sent, 0.5, seed=4, parts=2, at=AT)
    scheduled, final = (cnab240.parse(data) for _, data in replies)
    assert cnab240.confirmation(scheduled, BATCH, AT, "a" * 64) is None  # BD: scheduled, nothing final
    assert cnab240.batch_of(final, [batch(Line("S_1", 1)), BATCH]) == BATCH
    c = cnab240.confirmation(final, BATCH, AT, "b" * 64)
    assert c["event_id"] == f"cnab240:{BATCH.batch_id}:{'b' * 32}"
    by_ref = {r["reference"]: r for r in results}
    assert {r["status"] for r in results} == {"SETTLED", "FAILED"}
    for got in c["results"]:
        want = by_ref[cnab240.our_number(BATCH.batch_id, got["seller_id"])]
        assert (got["amount"], got["status"], got["bank_reference"]) == (want["amount"], want["status"],
                                                                         want["bank_reference"])
        assert got["reason"] == (None if want["status"] == "SETTLED" else f"CNAB-{want['reason']}")


def test_a_real_bank_s_retorno_reads_scheduled_then_refused():
    scheduled = cnab240.parse((ITAU / "SB22112AIT.RET").read_bytes())
    refused = cnab240.parse((ITAU / "SB23112AIT.RET").read_bytes())
    for f in (scheduled, refused):
        assert f.direction == "2" and f.bank == "341" and len(f.details) == 1
        d = f.details[0]
        assert (d.our_number, d.bank_number, d.payee_name, d.amount_minor) == (
            "1", "218943371000018", "R C DE M ALMEIDA", 26235)
    assert scheduled.details[0].occurrences == ("BD",) and cnab240.outcome(scheduled.details[0]) is None
    assert cnab240.outcome(refused.details[0]) == ("FAILED", "CNAB-NA")  # cancelled for lack of authorisation


@pytest.mark.parametrize("tamper, says", [
    (lambda rs: rs[:2] + [rs[2][:119] + "000000000015601" + rs[2][134:]] + rs[3:], "lot 0001: its trailer says"),
    (lambda rs: rs[:-1] + [rs[-1][:23] + "000011" + rs[-1][29:]], "file trailer says 2 lots and 11 records"),
    (lambda rs: rs[:3] + rs[4:], "its trailer says 4 records"),
    (lambda rs: rs[:2] + [rs[2][:200]] + rs[3:], "record 3 has 200 characters"),
    (lambda rs: rs[:4] + rs[5:], "opens before lot 0001 closes"),
    (lambda rs: rs[:4] + [rs[4][:17] + "000009" + "X" * 18 + rs[4][41:]] + rs[5:], "'X{18}' where a number must be"),
    (lambda rs: rs[:-1] + [rs[-1][:17] + "000009" + "ABCDEF" + rs[-1][29:]], "'ABCDEF' where a number must be"),
])
def test_a_file_whose_trailers_do_not_add_up_is_refused_in_one_line(tamper, says):
    records = cnab240.write(BATCH, DEBTOR).decode("ascii").split("\r\n")[:-1]
    with pytest.raises(ConfigError, match=says):
        cnab240.parse("\r\n".join(tamper(records)).encode())


def test_a_retorno_that_names_no_line_of_the_batch_is_refused():
    with pytest.raises(ConfigError, match="answers no payout batch"):
        cnab240.batch_of(cnab240.parse((ITAU / "SB22112AIT.RET").read_bytes()), [BATCH])
    with pytest.raises(ConfigError, match="remessa"):
        cnab240.confirmation(cnab240.parse(cnab240.write(BATCH, DEBTOR)), BATCH, AT, "c" * 64)
