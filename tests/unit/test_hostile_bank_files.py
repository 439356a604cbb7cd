"""Hostile bank files: whatever the bytes — random, or a valid answer with bytes changed —
the readers of the bank's answers say one readable line (ConfigError or PermanentError)
or read something, never another exception."""

from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.domain.errors import PermanentError, SplitbookError
from services.domain.payees import BankAccount
from services.payouts import answers, cnab240, pain001
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


def batch(batch_id: str) -> Batch:
    if batch_id != BATCH.batch_id:
        raise PermanentError(f"no payout batch {batch_id} in the journal")  # as the journal answers
    return BATCH


def read_answer(data: bytes) -> None:
    """What the bank adapter does with a file, BATCH standing in for the journal."""
    answers.confirmation_of(data, AT, batch, lambda: [BATCH])


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
    """Two pain.002 reports and a camt.054 each confirm lines; of the two retornos the first
    only schedules (BD), the second confirms."""
    read = [answers.confirmation_of(data, AT, batch, lambda: [BATCH]) for data in ANSWERS]
    assert [c is None for c in read] == [False, False, False, True, False]
    assert all(c["batch_id"] == BATCH.batch_id for c in read if c)
