"""pain.002 status reports: what the bank simulator writes, the bank adapter reads back
line for line; statuses that are not final say nothing; what is not a pain.002 is refused;
and reports Finnish banks wrote (nnarhinen/corporate.js's test data, MIT) read as meant."""

import re
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.domain.errors import ConfigError
from services.payouts import pain001, pain002
from services.payouts.files import Batch, Debtor, Line, end_to_end_id
from services.simulators import bank

AT = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
BATCH = Batch("PB_20261205_BRL", "2026-12-05", "BRL", "2026-12-05T06:00:00",
              (Line("S_1", 15600, "BANK-1"), Line("S_" + "x" * 100, 900, "BANK-2"), Line("S_3", 100, "BANK-3")))


def test_the_simulator_s_reports_read_back_as_its_decisions_in_any_number_of_parts():
    for version in pain001.VERSIONS:
        sent = pain001.render(BATCH, Debtor(pain001_version=version))
        for parts in (1, 2, 3):
            results, replies = bank.settle(sent, 0.4, seed=3, parts=parts, at=AT)
            assert len(replies) == parts and {r["status"] for r in results} == {"SETTLED", "FAILED"}
            read = [r for _, data in replies for r in pain002.read(pain002.parse(data), BATCH)]
            # long seller ids too: their EndToEndId is a digest, mapped back to the seller
            assert [end_to_end_id(BATCH.batch_id, r["seller_id"]) for r in read] == [r["reference"] for r in results]
            assert [(r["amount"], r["status"], r["bank_reference"], r["reason"]) for r in read] == [
                (r["amount"], r["status"], r["bank_reference"], r["reason"]) for r in results]
            ids = {pain002.confirmation(pain002.parse(data), BATCH, AT)["event_id"] for _, data in replies}
            assert len(ids) == parts


def report(*txs: str, group: str = "PART", original: str = "PB_20261205_BRL") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-9</MsgId><CreDtTm>2026-12-05T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>{original}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId>
<GrpSts>{group}</GrpSts><StsRsnInf><Rsn><Cd>DT01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>{original}</OrgnlPmtInfId>{''.join(txs)}</OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>""".encode()


def tx(e2e: str, status: str, extra: str = "") -> str:
    return f"<TxInfAndSts><StsId>X</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>{extra}</TxInfAndSts>"


def test_settled_rejected_and_not_final_statuses():
    data = report(tx("PB_20261205_BRL-S_1", "ACCC", "<AcctSvcrRef>BR777</AcctSvcrRef>"),
                  tx("PB_20261205_BRL-S_3", "RJCT", "<StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf>"),
                  tx(end_to_end_id("PB_20261205_BRL", "S_" + "x" * 100), "ACSP"))
    assert pain002.read(pain002.parse(data), BATCH) == [
        {"seller_id": "S_1", "amount": 15600, "status": "SETTLED", "bank_reference": "BR777", "reason": None},
        {"seller_id": "S_3", "amount": 100, "status": "FAILED", "bank_reference": None, "reason": "AC04"}]


def test_a_group_rejected_as_a_whole_fails_every_line_and_an_accepted_one_says_nothing_yet():
    assert {r["status"] for r in pain002.read(pain002.parse(report(group="RJCT")), BATCH)} == {"FAILED"}
    assert {r["reason"] for r in pain002.read(pain002.parse(report(group="RJCT")), BATCH)} == {"DT01"}
    assert pain002.read(pain002.parse(report(group="ACCP")), BATCH) == []
    assert pain002.confirmation(pain002.parse(report(group="ACCP")), BATCH, AT) is None


@pytest.mark.parametrize("data, says", [
    (report(tx("PB_20261205_BRL-S_9", "ACSC")), "is not a line of PB_20261205_BRL"),
    (report(tx("PB_20261205_BRL-S_1", "ACSC"), tx("PB_20261205_BRL-S_1", "RJCT")), "answered twice"),
    (report(original="PB_OTHER"), "answers PB_OTHER, not batch PB_20261205_BRL"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', "not a pain.002"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "x">]><d>&a;</d>', "refused"),
])
def test_what_does_not_answer_the_batch_is_refused_in_one_line(data, says):
    with pytest.raises(ConfigError, match=says):
        pain002.read(pain002.parse(data), BATCH)


THIRD_PARTY = Path(__file__).resolve().parents[1] / "data" / "bank" / "nnarhinen-corporate"


def bank_documents(feature: str) -> dict[str, bytes]:
    """The documents banks wrote, as the Gherkin doc strings of nnarhinen/corporate.js hold them."""
    text = (THIRD_PARTY / feature).read_text()
    names = re.findall(r"Scenario: (.+)", text)
    blocks = re.findall(r'"""xml\n(.*?)\n\s*"""', text, re.S)
    assert len(names) == len(blocks)
    return {name.strip(): textwrap.dedent(block).strip().encode() for name, block in zip(names, blocks)}


def test_reports_finnish_banks_wrote_read_as_the_banks_meant_them():
    docs = bank_documents("pain.002.001.03.feature")
    said = {name: [(d.end_to_end_id, d.status, d.reason) for d in pain002.decisions(pain002.parse(data))]
            for name, data in docs.items()}
    assert said["Accepted technical check"] == [(None, "ACTC", None)]
    assert said["Accepted payment material"] == [(None, "ACCP", None)]
    assert said["Accepted and rejected payments"] == [
        ("TEST PMT", "RJCT", "NARR (Viite virheellinen)"), (None, "RJCT", "DT01 (Eräpäivä virheellinen)"),
        (None, "ACCP", None), (None, "ACCP", None)]
    assert said["rejected payment material 2"] == [
        ("1547478597597-G-1-P-1", "RJCT", "AM01 (Nolla-summa tilisiirrossa.)")]
    (reason,) = {r for _, _, r in said["Rejected technical check"]}
    assert reason.startswith("NARR (pain.001.001.03 could not be processed") and reason.endswith("'CtrlSum' is not valid.)")


def test_a_block_or_message_a_bank_rejected_as_a_whole_fails_every_line_and_acceptance_says_nothing():
    docs = bank_documents("pain.002.001.03.feature")
    lines = (Line("S_1", 1300, "A"), Line("S_2", 8, "B"))
    whole = pain002.read(pain002.parse(docs["rejected payment material"]),
                         Batch("MsgId_20140108-00004", "2014-01-02", "EUR", "2014-01-08T10:24:00", lines))
    assert [(r["seller_id"], r["status"], r["reason"]) for r in whole] == [
        ("S_1", "FAILED", "DT01 (Eräpäivä virheellinen.)"), ("S_2", "FAILED", "DT01 (Eräpäivä virheellinen.)")]
    structure = pain002.read(pain002.parse(docs["Rejected technical check"]),
                             Batch("20110102-0000001", "2011-01-02", "EUR", "2011-01-02T10:00:00", lines))
    assert {r["status"] for r in structure} == {"FAILED"} and len(structure) == 2
    accepted = Batch("20140102-0000001", "2014-01-08", "EUR", "2014-01-08T10:24:00", lines)
    assert pain002.confirmation(pain002.parse(docs["Accepted payment material"]), accepted, AT) is None
    # its transaction is named by the EndToEndId {batch}-{line}: the line of "G-1-P-1" fails with AM01
    one = Batch("1547478597597", "2019-01-14", "EUR", "2019-01-14T15:00:00", (Line("G-1-P-1", 0, "FI07"),))
    [r] = pain002.read(pain002.parse(docs["rejected payment material 2"]), one)
    assert (r["seller_id"], r["status"], r["reason"]) == ("G-1-P-1", "FAILED", "AM01 (Nolla-summa tilisiirrossa.)")
