"""camt.054 debit notifications read as the bank's answer to a payout batch: what the
simulator books reads back as its decisions; returns and reversals fail their line;
other payments on the account are left alone; two notifications genkgo/camt's test data
holds and one from a Finnish bank in nnarhinen/corporate.js's (both MIT, SOURCE.md next to
them) are read or refused in one line."""

import re
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.domain.errors import ConfigError
from services.payouts import camt054, pain001
from services.payouts.files import Batch, Debtor, Line, end_to_end_id
from services.simulators import bank

AT = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
THIRD_PARTY = Path(__file__).resolve().parents[1] / "data" / "bank" / "genkgo-camt"
BATCH = Batch("PB_20261205_BRL", "2026-12-05", "BRL", "2026-12-05T06:00:00",
              (Line("S_1", 15600, "BANK-1"), Line("S_" + "x" * 100, 900, "BANK-2"), Line("S_3", 100, "BANK-3")))


def test_the_simulator_s_notification_confirms_what_it_settled():
    results, replies = bank.settle(pain001.render(BATCH, Debtor()), 0.4, seed=3, parts=1, at=AT, notify=True)
    [(suffix, data)] = [r for r in replies if r[0] == "camt054.xml"]
    notes = camt054.parse(data)
    assert camt054.batch_id(notes) == BATCH.batch_id
    c = camt054.confirmation(notes, BATCH, AT, "d" * 64)
    settled = [r for r in results if r["status"] == "SETTLED"]
    assert 0 < len(settled) < len(results)
    assert [(end_to_end_id(BATCH.batch_id, r["seller_id"]), r["amount"], r["status"], r["bank_reference"])
            for r in c["results"]] == [(r["reference"], r["amount"], "SETTLED", r["bank_reference"]) for r in settled]
    assert c["event_id"] == f"camt054:{BATCH.batch_id}:{'d' * 32}"


def notification(*entries: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N1</MsgId><CreDtTm>2026-12-05T10:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><CreDtTm>2026-12-05T10:00:00</CreDtTm><Acct><Id><Othr><Id>0001</Id></Othr></Id></Acct>
{''.join(entries)}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>""".encode()


def entry(e2e: str, amount: str, direction: str = "DBIT", status: str = "BOOK", extra: str = "") -> str:
    return (f'<Ntry><Amt Ccy="BRL">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd><Sts>{status}</Sts>'
            f'<BookgDt><Dt>2026-12-05</Dt></BookgDt>{extra}<NtryDtls><TxDtls><Refs><AcctSvcrRef>B-{e2e}</AcctSvcrRef>'
            f'<EndToEndId>{e2e}</EndToEndId></Refs><Amt Ccy="BRL">{amount}</Amt></TxDtls></NtryDtls></Ntry>')


def test_returns_and_reversals_fail_their_line_pending_and_foreign_entries_say_nothing():
    s1, s3 = end_to_end_id(BATCH.batch_id, "S_1"), end_to_end_id(BATCH.batch_id, "S_3")
    data = notification(
        entry(s1, "156.00"),
        entry(s3, "1.00", "CRDT", extra="<RvslInd>true</RvslInd>"),
        entry(end_to_end_id(BATCH.batch_id, "S_" + "x" * 100), "9.00", status="PDNG"),
        entry("SOMEONE-ELSES-PAYMENT", "50.00"))
    c = camt054.confirmation(camt054.parse(data), BATCH, AT, "e" * 64)
    assert [(r["seller_id"], r["status"], r["bank_reference"], r["reason"]) for r in c["results"]] == [
        ("S_1", "SETTLED", f"B-{s1}", None), ("S_3", "FAILED", None, "RVSL")]
    assert camt054.confirmation(camt054.parse(notification(entry(s1, "1.00", status="PDNG"))), BATCH, AT, "f") is None


def test_third_party_notifications_are_read_or_refused_in_one_line():
    [note] = camt054.parse((THIRD_PARTY / "camt054.v2.xml").read_bytes())
    assert (note.account, note.currency, len(note.entries)) == ("CH2801234000123456789", "SEK", 1)
    [e] = note.entries
    assert (e.amount_minor, e.credit, e.status, len(e.transactions)) == (20000000, False, "BOOK", 1)  # no amounts per tx
    with pytest.raises(ConfigError, match="names no payout batch"):
        camt054.batch_id([note])
    with pytest.raises(ConfigError, match="has no amount in SEK"):  # its transactions are in CHF
        camt054.parse((THIRD_PARTY / "camt054.v8.xml").read_bytes())
    with pytest.raises(ConfigError, match=r"camt.053 .*: a debit/credit notification \(camt.054\) was expected"):
        camt054.parse(next(THIRD_PARTY.glob("camt053*.xml")).read_bytes())


def test_a_finnish_bank_s_credit_notification_reads_each_transaction_and_answers_no_payout():
    text = (Path(__file__).resolve().parents[1] / "data" / "bank" / "nnarhinen-corporate"
            / "camt.054.001.02.feature").read_text()
    [block] = re.findall(r'"""xml\n(.*?)\n\s*"""', text, re.S)
    [note] = camt054.parse(textwrap.dedent(block).strip().encode())
    assert note.currency == "EUR" and [(e.amount_minor, e.credit, e.status) for e in note.entries] == [
        (18300, True, "BOOK"), (1000, True, "BOOK")]
    assert [(t.reference, t.amount_minor) for t in note.entries[0].transactions] == [
        ("1109168E0049198529", 14700), (note.entries[0].transactions[1].reference, 3600)]
    assert note.problems() == []
    with pytest.raises(ConfigError, match="names no payout batch"):
        camt054.batch_id([note])  # credits to the account: not an answer to a payout batch
