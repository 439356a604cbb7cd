"""camt.053 read as banks write it: on files someone else wrote (tests/data/bank/genkgo-camt,
MIT) and on the cases they lack (batch booking, returns, pending entries, hostile XML)."""

from datetime import date
from pathlib import Path

import pytest

from services.domain.errors import ConfigError
from services.reconciliation import camt
from services.reconciliation.bank import parse_camt053

THIRD_PARTY = Path(__file__).resolve().parents[1] / "data" / "bank" / "genkgo-camt"


def third_party(name: str) -> list[camt.AccountStatement]:
    return camt.read((THIRD_PARTY / name).read_bytes())


def test_versions_2_to_8_of_third_party_statements_are_read():
    for name, booked in (("camt053.v2.minimal.xml", date(2014, 12, 31)), ("camt053.v4.xml", date(2014, 12, 31)),
                         ("camt053.v8.xml", date(2014, 12, 31))):  # v8 books with DtTm and an offset, Sts/Cd
        [s] = third_party(name)
        assert (s.account, s.currency, s.opening_minor) == ("NL26VAYB8060476890", "EUR", 1815), name
        [e] = s.entries
        assert (e.amount_minor, e.credit, e.status, e.booked) == (885, True, "BOOK", booked), name


def test_each_statement_of_a_file_keeps_its_balances_and_they_add_up():
    first, second = third_party("camt053.v2.multi.statement.xml")
    assert (first.opening_minor, first.closing_minor, second.opening_minor, second.closing_minor) == (1815, 2700, 2700, 2000)
    assert [e.number for e in first.entries + second.entries] == [1, 2]
    assert not first.problems() and not second.problems()


def test_balances_or_transactions_that_do_not_add_up_are_said_not_swallowed():
    [s] = third_party("camt053.v2.five.decimals.xml")  # 18.150 + 8.850 booked, closing 27.050
    assert s.problems() == ["statement 253EURNL26VAYB8060476890 of NL26VAYB8060476890: opening 1815 + booked"
                            " entries 885 != closing 2705 (EUR minor units)"]
    [s] = third_party("camt053.v3.xml")  # its one transaction says 105.750 of an 8.85 entry
    assert s.problems() == ["statement 253EURNL26VAYB8060476890: entry 1 is 885 but its transactions sum to 10575"]


def test_a_statement_with_balances_and_no_entries_is_fine():
    [s] = third_party("camt53.only-Dt-with-DtTm.xml")
    assert (s.currency, s.opening_minor, s.entries) == ("RON", 544209, [])
    assert parse_camt053((THIRD_PARTY / "camt53.only-Dt-with-DtTm.xml").read_bytes())[0].lines == []


@pytest.mark.parametrize("name, says", [
    ("camt052.v2.xml", "camt.052 account report"), ("camt052.v8.xml", "camt.052 account report"),
    ("camt054.v2.xml", "camt.054 debit/credit notification"), ("camt054.v8.xml", "camt.054 debit/credit notification"),
    ("camt053.v2.wrong.xml", "holds no statement"),
])
def test_what_is_not_a_statement_is_refused_in_one_line_naming_it(name, says):
    with pytest.raises(ConfigError, match=says) as e:
        third_party(name)
    assert "\n" not in str(e.value)


def statement(entries: str, ccy: str = "BRL", version: str = "08", closing: str = "700.00") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-05T06:00:00-03:00</CreDtTm></GrpHdr>
<Stmt><Id>ST1</Id><Acct><Id><Othr><Id>0001-12345</Id></Othr></Id><Ccy>{ccy}</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-04</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-04</Dt></Dt></Bal>
{entries}</Stmt></BkToCstmrStmt></Document>""".encode()


def tx(ref: str, amount: str, extra: str = "") -> str:
    return f'<TxDtls><Refs><AcctSvcrRef>{ref}</AcctSvcrRef><EndToEndId>E2E-{ref}</EndToEndId></Refs>' \
           f'<Amt Ccy="BRL">{amount}</Amt>{extra}</TxDtls>'


BATCH = f"""<Ntry><Amt Ccy="BRL">300.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><DtTm>2026-12-04T23:30:00-03:00</DtTm></BookgDt><AcctSvcrRef>BATCH-1</AcctSvcrRef>
<NtryDtls><Btch><NbOfTxs>3</NbOfTxs></Btch>{tx('BR1', '100.00')}{tx('BR2', '150.00')}{tx('BR3', '50.00')}</NtryDtls></Ntry>"""


def test_a_batch_booked_entry_is_one_line_per_transaction_with_its_own_reference_and_amount():
    [s] = parse_camt053(statement(BATCH))
    assert [(r.key, r.amounts["amount"]) for r in s.lines] == [
        (("BR1", "payout"), 10000), (("BR2", "payout"), 15000), (("BR3", "payout"), 5000)]
    assert s.first_day == date(2026, 12, 4) and not s.problems and not s.returned


def test_a_return_is_not_a_deposit_it_is_a_finding_with_the_bank_s_reason():
    returned = """<Ntry><Amt Ccy="BRL">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>false</RvslInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-12-04</Dt></BookgDt><NtryDtls>""" + tx("BR3", "50.00", "<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>") \
        + "</NtryDtls></Ntry>"
    [s] = parse_camt053(statement(BATCH + returned, closing="750.00"))
    assert [r.key for r in s.lines] == [("BR1", "payout"), ("BR2", "payout"), ("BR3", "payout")]
    [f] = s.returned
    assert (f.reason, f.reference, f.amount_minor) == ("RECON_RETURNED", "BR3", 5000) and "AC04" in f.detail
    assert s.problems == []  # 1000 - 300 + 50 = 750: the return is booked money too


def test_pending_entries_are_counted_not_matched_and_do_not_move_the_balance():
    pending = BATCH.replace("<Sts><Cd>BOOK</Cd></Sts>", "<Sts><Cd>PDNG</Cd></Sts>").replace(">BR", ">PD")
    [s] = parse_camt053(statement(BATCH + pending))
    assert (s.pending, [r.key[0] for r in s.lines], s.problems) == (1, ["BR1", "BR2", "BR3"], [])


def test_an_entry_whose_transactions_do_not_add_up_is_a_finding():
    [s] = parse_camt053(statement(BATCH.replace(tx("BR3", "50.00"), tx("BR3", "40.00")), closing="700.00"))
    assert [f.reason for f in s.problems] == ["RECON_STATEMENT_MISMATCH"]
    assert "entry 1 is 30000 but its transactions sum to 29000" in s.problems[0].detail


def test_without_a_reference_or_with_nonref_each_line_stands_alone():
    entry = ('<Ntry><Amt Ccy="BRL">{a}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-12-04</Dt>'
             '</BookgDt><AcctSvcrRef>NONREF</AcctSvcrRef></Ntry>')
    [s] = parse_camt053(statement(entry.format(a="10.00") + entry.format(a="20.00"), closing="1030.00"))
    assert [(r.line_no, r.key) for r in s.lines] == [(1, ("", "deposit")), (2, ("", "deposit"))]


def test_statements_in_several_currencies_keep_their_own():
    usd = statement(BATCH.replace('Ccy="BRL"', 'Ccy="USD"'), ccy="USD").split(b"<Stmt>")[1].split(b"</Stmt>")[0]
    both = statement(BATCH).replace(b"</Stmt>", b"</Stmt><Stmt>" + usd + b"</Stmt>", 1)
    brl, dollars = parse_camt053(both)
    assert {r.currency for r in brl.lines} == {"BRL"} and {r.currency for r in dollars.lines} == {"USD"}
    assert [r.line_no for r in brl.lines + dollars.lines] == [1, 2, 3, 4, 5, 6]


def test_entity_expansion_and_external_entities_are_refused_in_one_line():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&b;</Document>')
    with pytest.raises(ConfigError, match="refused: the XML uses EntitiesForbidden"):
        camt.read(bomb)
    external = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>')
    with pytest.raises(ConfigError, match="refused"):
        camt.read(external)


def test_xml_that_is_not_iso_20022_is_refused_naming_its_root():
    with pytest.raises(ConfigError, match="not an ISO 20022 document"):
        camt.read(b"<statement><line/></statement>")
    with pytest.raises(ConfigError, match="not XML"):
        camt.read(b"<Document")


def test_a_booked_entry_without_a_booking_date_takes_its_value_date_and_without_either_is_refused():
    valued = BATCH.replace("<BookgDt><DtTm>2026-12-04T23:30:00-03:00</DtTm></BookgDt>", "<ValDt><Dt>2026-12-03</Dt></ValDt>")
    [s] = parse_camt053(statement(valued))
    assert s.first_day == date(2026, 12, 3) and len(s.lines) == 3
    undated = BATCH.replace("<BookgDt><DtTm>2026-12-04T23:30:00-03:00</DtTm></BookgDt>", "")
    with pytest.raises(ConfigError, match="statement ST1 entry 1: booked without a booking or value date"):
        parse_camt053(statement(undated))


@pytest.mark.parametrize("booked", ["9999-12-31T23:59:59+14:00", "1999-12-31T10:00:00Z"])
def test_a_booking_date_outside_the_ledger_s_dates_is_one_readable_line(booked):
    with pytest.raises(ConfigError, match="is outside the dates the ledger holds"):
        parse_camt053(statement(BATCH.replace("2026-12-04T23:30:00-03:00", booked)))


def test_hostile_bytes_are_one_readable_line_and_an_encoding_the_file_declares_is_honoured():
    with pytest.raises(ConfigError, match="not XML"):
        parse_camt053(statement(BATCH).replace(b"BR1", b"BR\x001"))
    with pytest.raises(ConfigError, match="is not an amount the ledger accepts"):
        parse_camt053(statement(BATCH.replace("300.00", "92233720368547758.07")))
    utf16 = statement(BATCH).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert [r.key[0] for r in parse_camt053(utf16)[0].lines] == ["BR1", "BR2", "BR3"]
