"""Reconciliation with planted differences finds exactly those, with the right codes."""

from collections import Counter

import pytest

from services.adapters.kafka import topics
from services.reconciliation import bank, gateway
from tests.helpers import (T0, capture, dispute_opened, dispute_resolved, publish_orders, publish_records, refund,
                           run_pipeline)

pytestmark = pytest.mark.integration
DAY = T0.date().isoformat()

REPORT = """date,gateway,reference,gross,fee,net,type
{d},card,O_1,200.00,6.00,194.00,capture
{d},card,O_2,200.00,6.00,194.00,capture
{d},card,O_2,180.00,0.00,180.00,refund
{d},card,O_3,200.00,6.00,194.00,capture
{d},card,O_3,200.00,15.00,215.00,chargeback
{d},card,O_4,200.00,7.00,193.00,capture
{d},card,O_9,200.00,6.00,194.00,capture
{d},card,O_1,200.00,6.00,194.00,capture
"""


def ledger_day(settings):
    publish_orders(settings, [capture(f"O_{i}") for i in range(1, 6)])
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_2", "R2", [("S_114", 18000, 2000)])])
    publish_records(settings, topics.DISPUTES, "DisputeOpened", [dispute_opened("O_3", "D3", 20000)])
    publish_records(settings, topics.DISPUTES, "DisputeResolved", [dispute_resolved("O_3", "D3", "lost", 1500)])
    run_pipeline(settings)


def settle(settings, out) -> str:
    """What `splitbook reconcile gateway` submits for the matched net; returns its id."""
    deposit_id = f"deposit:{out.sha256[:32]}"
    publish_records(settings, topics.COMMANDS, "SettleGatewayDeposit", [{
        "event_id": deposit_id, "occurred_at": T0, "gateway": "card", "bank_account": "main", "currency": "BRL",
        "amount": out.deposit_minor, "report_sha256": out.sha256}])
    run_pipeline(settings)
    return deposit_id


def test_gateway_report_with_planted_differences_finds_exactly_those(settings, conn, tmp_path):
    ledger_day(settings)
    path = tmp_path / "card-settlement.csv"
    path.write_text(REPORT.format(d=DAY))
    out = gateway.reconcile(conn, path)
    found = sorted((f.reason, f.reference) for f in out.result.findings)
    assert found == [("RECON_DUPLICATE_LINE", "O_1"), ("RECON_FEE_MISMATCH", "O_4"),
                     ("RECON_MISSING_IN_LEDGER", "O_9"), ("RECON_MISSING_IN_REPORT", "O_5")]
    assert len(out.result.matched) == 5
    assert Counter(r[0] for r in conn.execute("SELECT reason_code FROM exceptions")) == Counter(
        {"RECON_DUPLICATE_LINE": 1, "RECON_FEE_MISMATCH": 1, "RECON_MISSING_IN_LEDGER": 1, "RECON_MISSING_IN_REPORT": 1})
    # matched net: 194 + 194 - 180 + 194 - 215
    assert out.deposit_minor == 18700

    again = gateway.reconcile(conn, path)  # the same file again changes nothing
    assert again.already
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM recon_lines").fetchone()[0] == 8


def test_a_reconciled_deposit_moves_the_net_to_the_bank_and_the_bank_statement_matches_it(settings, conn, tmp_path):
    ledger_day(settings)
    path = tmp_path / "card-settlement.csv"
    path.write_text(REPORT.format(d=DAY))
    out = gateway.reconcile(conn, path)
    deposit_id = settle(settings, out)
    balances = dict(conn.execute("SELECT account, balance FROM account_balances").fetchall())
    assert balances["ops:bank:main"] == 18700
    assert balances["ops:pool:card"] == 5 * 19400 - 18000 - 20000 - 1500 - 18700

    camt = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>S1</Id>
<Ntry><Amt Ccy="BRL">187.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>{DAY}</Dt></BookgDt>
  <NtryDtls><TxDtls><Refs><EndToEndId>{deposit_id}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="BRL">55.10</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>{DAY}</Dt></BookgDt>
  <NtryDtls><TxDtls><Refs><EndToEndId>BRUNKNOWN</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""
    stmt = tmp_path / "statement.xml"
    stmt.write_text(camt)
    result = bank.reconcile(conn, stmt, "BRL").result
    assert [(r.key, e.seq > 0) for r, e in result.matched] == [((deposit_id, "deposit"), True)]
    assert [(f.reason, f.reference) for f in result.findings] == [("RECON_MISSING_IN_LEDGER", "BRUNKNOWN")]


def test_a_negative_net_is_booked_back_to_the_gateway_and_matched_as_a_debit_on_the_statement(settings, conn, tmp_path):
    """A refund-heavy day: the gateway debits the bank; the ledger books it (Dr pool, Cr
    bank) instead of dropping it, and the bank statement's DBIT matches it."""
    publish_orders(settings, [capture("O_1")])
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_1", "R1", [("S_114", 18000, 2000)])])
    run_pipeline(settings)
    path = tmp_path / "card-settlement.csv"
    path.write_text(f"date,gateway,reference,gross,fee,net,type\n{DAY},card,O_1,180.00,0.00,180.00,refund\n")
    out = gateway.reconcile(conn, path)
    assert out.deposit_minor == -18000 and [f.reason for f in out.result.findings] == ["RECON_MISSING_IN_REPORT"]
    deposit_id = settle(settings, out)
    balances = dict(conn.execute("SELECT account, balance FROM account_balances").fetchall())
    assert balances["ops:bank:main"] == -18000 and balances["ops:pool:card"] == 19400 - 18000 + 18000
    stmt = tmp_path / "statement.csv"
    stmt.write_text(f"date,reference,amount,direction\n{DAY},{deposit_id},180.00,DBIT\n")
    result = bank.reconcile(conn, stmt, "BRL").result
    assert [r.key for r, _e in result.matched] == [(deposit_id, "payout")] and not result.findings


def test_a_10_kb_reference_is_an_exception_stored_cut_to_length(settings, conn, tmp_path):
    stmt = tmp_path / "statement.csv"
    stmt.write_text(f"date,reference,amount,direction\n{DAY},{'R' * 10_000},1.00,DBIT\n")
    [f] = bank.reconcile(conn, stmt, "BRL").result.findings
    assert f.reason == "RECON_MISSING_IN_LEDGER"
    [(reason, detail)] = conn.execute("SELECT reason_code, detail FROM exceptions").fetchall()
    assert reason == "RECON_MISSING_IN_LEDGER" and len(detail) < 1_100 and "characters)" in detail
