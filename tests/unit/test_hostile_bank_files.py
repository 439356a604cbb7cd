"""Hostile bank files: whatever the bytes — random, or a valid answer with bytes changed —
the readers of the bank's answers say one readable line (ConfigError or PermanentError)
or read something, never another exception."""

from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.domain.errors import SplitbookError
from services.domain.payees import BankAccount
from services.payouts import camt054, cnab240, pain001, pain002
from services.payouts.files import Batch, Debtor, Line
from services.simulators import bank

AT = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
BATCH = Batch("PB_20261205_BRL", "2026-12-05", "BRL", "2026-12-05T06:00:00",
              (Line("S_1", 15600, "BANK-1", "Joana", "39053344705",
                    BankAccount("PIX", pix_key="39053344705", pix_key_type="CPF")),
               Line("S_2", 900, "BANK-2", "Loja", "11222333000181",
                    BankAccount("DOMESTIC", bank_code="237", branch="1", account_number="2-3"))))
PAIN = pain001.render(BATCH, Debtor())
REMESSA = cnab240.write(BATCH, Debtor(cnab240_currencies=("BRL",)))
ANSWERS = [data for sent in (PAIN, REMESSA) for _, data in bank.settle(sent, 0.5, 1, 2, AT, notify=True)[1]]


def read_answer(data: bytes) -> None:
    """What the bank adapter does with a file, minus the database: parse, find, confirm."""
    if data.lstrip()[:1] == b"<":
        if b"camt.054" in data[:4096]:
            notes = camt054.parse(data)
            camt054.batch_id(notes)
            camt054.confirmation(notes, BATCH, AT, "0" * 64)
        else:
            pain002.confirmation(pain002.parse(data), BATCH, AT)
    else:
        f = cnab240.parse(data)
        cnab240.confirmation(f, cnab240.batch_of(f, [BATCH]), AT, "0" * 64)


def answers_or_one_line(data: bytes) -> None:
    try:
        read_answer(data)
    except SplitbookError as e:
        assert "\n" not in str(e) and str(e)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_are_one_line(data):
    answers_or_one_line(data)
    answers_or_one_line(b"<" + data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ANSWERS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1,
                                          max_size=4))
def test_a_real_answer_with_bytes_changed_is_read_or_one_line(data, changes):
    changed = bytearray(data)
    for at, value in changes:
        changed[at % len(changed)] = value
    answers_or_one_line(bytes(changed))


def test_every_answer_reads_unchanged():
    for data in ANSWERS:
        read_answer(data)
