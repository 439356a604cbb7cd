"""Daily payouts on real Kafka and PostgreSQL: batches the ledger makes, bank files,
confirmations in parts, failed transfers, duplicates, and invariant 4."""

from datetime import date, timedelta

import psycopg
import pytest

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.closing.verify import verify
from services.payouts import answers, files, pain002
from services.payouts import scheduler as payouts
from services.release import scheduler as releases
from services.simulators import bank as simulator
from services.statements.statement import render as statement
from tests.helpers import T0, capture, dispute_opened
from tests.helpers import producer as kafka_producer
from tests.helpers import profile, publish_orders, publish_records, refund, run_pipeline

pytestmark = pytest.mark.integration
REGISTRY = SchemaRegistry.from_dir()
DAY1 = date(2026, 12, 3)
SELLERS = ("S_1", "S_2", "S_3", "S_4")


def producer(settings):
    return kafka_producer(settings)


def lines(seller, amount, fee=0):
    return [{"seller_id": seller, "item_id": "I", "amount": amount, "platform_fee": fee, "currency": None}]


def marketplace(settings, conn):
    """S_1 and S_2 sell and get released; S_3 is on hold; S_4 is paid, then clawed back into debt."""
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [
        profile("S_1", 250, at=T0 - timedelta(days=5)), profile("S_2", 0, at=T0 - timedelta(days=5)),
        profile("S_3", 0, at=T0 - timedelta(days=5), hold=True), profile("S_4", 0, at=T0 - timedelta(days=5))])
    publish_orders(settings, [
        capture("O_1", amount=20000, gateway_fee=600, shipping=0, lines=lines("S_1", 20000, 2000)),
        capture("O_2", amount=10000, gateway_fee=300, shipping=0, lines=lines("S_2", 10000, 1000)),
        capture("O_3", amount=5000, gateway_fee=150, shipping=0, lines=lines("S_3", 5000, 500)),
        capture("O_4", amount=8000, gateway_fee=240, shipping=0, lines=lines("S_4", 8000, 800)),
    ])
    run_pipeline(settings)
    releases.run_once(settings, conn, producer(settings), REGISTRY, T0 + timedelta(days=30))
    run_pipeline(settings)


def pay(settings, conn, day, tmp_path):
    asked = payouts.publish_day(settings, conn, producer(settings), REGISTRY, day, T0 + timedelta(days=31))
    run_pipeline(settings)
    return payouts.write_created(conn, asked, tmp_path)


def decide(tmp_path, batch_id, failure_rate=0.0, seed=1, fail=()):
    """The bank's decisions on the file the ledger wrote (the sellers in `fail` fail, AC04),
    each with the seller it pays."""
    message_id, transfers = simulator.transfers(files.sent_file(tmp_path, batch_id).read_bytes())
    results = simulator.decide(message_id, transfers, failure_rate, seed)
    for r in results:
        r["seller_id"] = next(s for s in SELLERS if files.end_to_end_id(batch_id, s) == r["reference"])
        if r["seller_id"] in fail:
            r.update(status="FAILED", bank_reference=None, reason="AC04")
    return results


def bank(settings, tmp_path, batch_id, results, parts=1, notify=False):
    """The bank answers the file in pain.002 files (and a camt.054 when it notifies); the
    ledger's bank adapter reads each one."""
    sent = files.sent_file(tmp_path, batch_id).read_bytes()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        read = [answers.confirm(settings, conn, producer(settings), REGISTRY, report, T0 + timedelta(days=32))
                for _, report in simulator.answers(sent, results, parts, T0 + timedelta(days=32), notify)]
    run_pipeline(settings)
    return read


def seller(conn, s):
    return conn.execute("SELECT payable, in_flight, paid_out FROM seller_balances WHERE seller_id = %s", (s,)).fetchone()


def test_payout_day_settles_all_but_a_failed_transfer_which_a_later_batch_pays(settings, conn, tmp_path):
    marketplace(settings, conn)
    assert pay(settings, conn, DAY1, tmp_path) == ["PB_20261203_BRL"]
    batch = files.load_batch(conn, "PB_20261203_BRL")
    in_flight = conn.execute("SELECT -sum(amount_minor) FROM journal_postings WHERE account = 'payout:PB_20261203_BRL:in_flight'").fetchone()[0]
    assert batch.control_sum_minor == in_flight == 17550 + 9000 + 7200
    assert {ln.seller_id for ln in batch.lines} == {"S_1", "S_2", "S_4"}  # S_3 is on hold
    assert all(ln.bank_account_ref == f"BANK-{ln.seller_id}" for ln in batch.lines)
    csv_text = (tmp_path / "PB_20261203_BRL.csv").read_text()
    assert "TOTAL,2026-12-03,3 lines,,,BRL,337.50" in csv_text
    hashes = conn.execute("SELECT format, line_count, control_sum_minor FROM payout_files ORDER BY format").fetchall()
    assert hashes == [("csv", 3, 33750), ("pain.001.001.09", 3, 33750)]

    results = decide(tmp_path, "PB_20261203_BRL", fail=("S_2",))
    read = bank(settings, tmp_path, "PB_20261203_BRL", results, parts=2, notify=True)  # two pain.002, a camt.054
    assert [c["event_id"].split(":")[0] for c in read] == ["pain002", "pain002", "camt054"]

    assert seller(conn, "S_1") == (0, 0, 17550)
    assert seller(conn, "S_2") == (9000, 0, 0)  # only the failed seller keeps a balance
    assert seller(conn, "S_4") == (0, 0, 7200)
    assert conn.execute("SELECT status, line_count, settled, failed FROM payout_batches").fetchone() == (
        "confirmed_with_failures", 3, 24750, 9000)
    assert conn.execute("SELECT status, failure_reason FROM payout_lines WHERE seller_id = 'S_2'").fetchone() == ("failed", "AC04")
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0  # the camt.054 agreed: a no-op

    # S_4 is clawed back after payout: in debt, so not in the next batch; S_2 is paid again
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_4", "R4", [("S_4", 8000, 800)])])
    run_pipeline(settings)
    assert seller(conn, "S_4") == (-7200, 0, 7200)
    assert pay(settings, conn, DAY1 + timedelta(days=1), tmp_path) == ["PB_20261204_BRL"]
    batch2 = files.load_batch(conn, "PB_20261204_BRL")
    assert [(ln.seller_id, ln.amount_minor) for ln in batch2.lines] == [("S_2", 9000)]
    bank(settings, tmp_path, "PB_20261204_BRL", decide(tmp_path, "PB_20261204_BRL", seed=2))
    assert seller(conn, "S_2") == (0, 0, 9000)


def test_running_a_payout_day_twice_and_repeating_confirmations_change_nothing(settings, conn, tmp_path):
    marketplace(settings, conn)
    pay(settings, conn, DAY1, tmp_path)
    first_files = conn.execute("SELECT format, sha256 FROM payout_files ORDER BY 1").fetchall()
    assert pay(settings, conn, DAY1, tmp_path) == ["PB_20261203_BRL"]  # the same batch, not a new one
    assert conn.execute("SELECT count(*) FROM journal_transactions WHERE kind = 'payout_batch'").fetchone()[0] == 1
    assert conn.execute("SELECT format, sha256 FROM payout_files ORDER BY 1").fetchall() == first_files

    results = decide(tmp_path, "PB_20261203_BRL")
    bank(settings, tmp_path, "PB_20261203_BRL", results)
    before = conn.execute("SELECT * FROM seller_balances ORDER BY seller_id").fetchall()
    bank(settings, tmp_path, "PB_20261203_BRL", results)  # the same message again
    # the same answer, re-sent under another message id
    [(_, report)] = simulator.answers(files.sent_file(tmp_path, "PB_20261203_BRL").read_bytes(), results, 1, T0)
    resent = pain002.confirmation(pain002.parse(report.replace(b"-STS-1of1<", b"-STS-RESENT<")),
                                  files.load_batch(conn, "PB_20261203_BRL"), T0)
    assert resent["event_id"].endswith("-STS-RESENT")
    publish_records(settings, topics.BANK_CONFIRMATIONS, "PayoutBatchConfirmed", [resent])
    run_pipeline(settings)
    assert conn.execute("SELECT * FROM seller_balances ORDER BY seller_id").fetchall() == before
    assert conn.execute("SELECT count(*) FROM journal_transactions WHERE kind = 'payout_confirmation'").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0


def test_confirmations_for_an_unknown_batch_or_another_amount_are_exceptions(settings, conn, tmp_path):
    marketplace(settings, conn)
    pay(settings, conn, DAY1, tmp_path)
    wrong = {"event_id": "bankconf:wrong", "occurred_at": T0, "batch_id": "PB_20261203_BRL",
             "results": [{"seller_id": "S_1", "amount": 1, "status": "SETTLED", "bank_reference": "X", "reason": None}]}
    unknown = {**wrong, "event_id": "bankconf:unknown", "batch_id": "PB_19990101_BRL"}
    publish_records(settings, topics.BANK_CONFIRMATIONS, "PayoutBatchConfirmed", [wrong, unknown])
    run_pipeline(settings)
    assert sorted(r[0] for r in conn.execute("SELECT reason_code FROM exceptions")) == [
        "CONFIRMATION_MISMATCH", "UNKNOWN_BATCH"]
    assert seller(conn, "S_1") == (0, 17550, 0)


INVARIANT_4 = """
WITH rhs AS (
  SELECT split_part(p.account, ':', 2) AS seller_id, p.currency, -sum(p.amount_minor) AS expected
    FROM journal_postings p JOIN journal_transactions t USING (seq)
   WHERE p.account LIKE 'seller:%%:payable'
     AND t.kind IN ('release', 'refund_after_release', 'dispute_opened', 'dispute_resolved')
   GROUP BY 1, 2)
SELECT s.seller_id, s.payable + s.in_flight + s.paid_out AS lhs, coalesce(r.expected, 0) AS rhs
  FROM seller_balances s LEFT JOIN rhs r USING (seller_id, currency)
 WHERE s.payable + s.in_flight + s.paid_out <> coalesce(r.expected, 0)
"""


def test_invariant_4_holds_for_every_seller_after_a_multi_day_scenario(settings, conn, tmp_path):
    marketplace(settings, conn)
    pay(settings, conn, DAY1, tmp_path)
    bank(settings, tmp_path, "PB_20261203_BRL", decide(tmp_path, "PB_20261203_BRL", 0.5, seed=7), parts=2)
    # day 2: more sales, a refund after release, a dispute after release, a release, another payout day
    publish_orders(settings, [capture("O_5", amount=6000, gateway_fee=180, shipping=0, lines=lines("S_1", 6000, 600),
                                      occurred_at=T0 + timedelta(days=1))])
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_1", "R1", [("S_1", 4000, 400)])])
    publish_records(settings, topics.DISPUTES, "DisputeOpened", [dispute_opened("O_2", "D2", 2500)])
    run_pipeline(settings)
    releases.run_once(settings, conn, producer(settings), REGISTRY, T0 + timedelta(days=32))
    run_pipeline(settings)
    pay(settings, conn, DAY1 + timedelta(days=1), tmp_path)
    for b in conn.execute("SELECT batch_id FROM payout_batches WHERE status = 'in_flight'").fetchall():
        bank(settings, tmp_path, b[0], decide(tmp_path, b[0], 0.3, seed=9))

    assert conn.execute("SELECT count(*) FROM seller_balances").fetchone()[0] == 4
    assert conn.execute(INVARIANT_4).fetchall() == []
    # each seller's statement closes at what seller_balances says
    for s, escrow, on_hold, payable, in_flight in conn.execute(
            "SELECT seller_id, escrow, on_hold, payable, in_flight FROM seller_balances").fetchall():
        _, closing = statement(conn, s, date(2000, 1, 1), date(2100, 1, 1), "BRL")
        assert closing["BRL"] == escrow + on_hold + payable + in_flight, s


def test_a_batch_booked_bank_statement_matches_every_settled_payout_and_a_return_is_an_exception(
        settings, conn, tmp_path):
    """The bank books the pain.001 as one entry with a TxDtls per transfer (its default),
    and later returns one transfer (AC04, closed account): each transfer matches its
    settled payout line by the bank's reference; the return is an exception to work, never
    a deposit, and a PayoutReturned puts the money back on the seller's payable."""
    from services.reconciliation import bank as reconcile_bank

    marketplace(settings, conn)
    [batch_id] = pay(settings, conn, DAY1, tmp_path)
    results = decide(tmp_path, batch_id, seed=5)
    bank(settings, tmp_path, batch_id, results)
    booked = (T0 + timedelta(days=32)).date().isoformat()
    total = sum(r["amount"] for r in results)
    txs = "".join(f'<TxDtls><Refs><AcctSvcrRef>{r["bank_reference"]}</AcctSvcrRef>'
                  f'<EndToEndId>{batch_id}-{r["seller_id"]}</EndToEndId></Refs>'
                  f'<Amt Ccy="BRL">{r["amount"] / 100:.2f}</Amt></TxDtls>' for r in results)
    back = results[0]
    camt_xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>{booked}T23:00:00-03:00</CreDtTm></GrpHdr>
<Stmt><Id>ST1</Id><Acct><Id><Othr><Id>0001-PLATFORM</Id></Othr></Id><Ccy>BRL</Ccy></Acct>
<Ntry><Amt Ccy="BRL">{total / 100:.2f}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><DtTm>{booked}T15:00:00-03:00</DtTm></BookgDt><NtryDtls><Btch><NbOfTxs>{len(results)}</NbOfTxs></Btch>{txs}
</NtryDtls></Ntry>
<Ntry><Amt Ccy="BRL">{back["amount"] / 100:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>{booked}</Dt></BookgDt><NtryDtls><TxDtls><Refs><AcctSvcrRef>{back["bank_reference"]}</AcctSvcrRef></Refs>
<Amt Ccy="BRL">{back["amount"] / 100:.2f}</Amt><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""
    path = tmp_path / "statement.xml"
    path.write_text(camt_xml)
    out = reconcile_bank.reconcile(conn, path, "BRL")
    assert sorted(r.key[0] for r, _e in out.result.matched) == sorted(r["bank_reference"] for r in results)
    assert [(f.reason, f.reference) for f in out.result.findings] == [("RECON_RETURNED", back["bank_reference"])]
    assert conn.execute("SELECT reason_code, currency, amount_minor FROM exceptions").fetchall() == [
        ("RECON_RETURNED", "BRL", back["amount"])]
    again = reconcile_bank.reconcile(conn, path, "BRL")
    assert again.already  # the same file twice changes nothing

    # The return goes back to the ledger: the seller is owed it again, paid_out drops.
    seller_id = back["seller_id"]
    before = seller(conn, seller_id)
    assert [(r["seller_id"], r["amount"], r["reason"]) for r in out.returns] == [(seller_id, back["amount"], "AC04")]
    reconcile_bank.publish_returns(settings, producer(settings), REGISTRY, out.returns, T0 + timedelta(days=33))
    reconcile_bank.publish_returns(settings, producer(settings), REGISTRY, out.returns, T0 + timedelta(days=33))
    run_pipeline(settings)
    assert seller(conn, seller_id) == (before[0] + back["amount"], before[1], before[2] - back["amount"])
    assert conn.execute("SELECT status, failure_reason FROM payout_lines WHERE seller_id = %s",
                        (seller_id,)).fetchone() == ("returned", "AC04")
    assert conn.execute("SELECT count(*) FROM journal_transactions WHERE kind = 'payout_return'").fetchone()[0] == 1
    assert conn.execute(INVARIANT_4).fetchall() == []
    text, closing = statement(conn, seller_id, date(2000, 1, 1), date(2100, 1, 1), "BRL")
    escrow, on_hold, payable, in_flight = conn.execute(
        "SELECT escrow, on_hold, payable, in_flight FROM seller_balances WHERE seller_id = %s", (seller_id,)).fetchone()
    assert "payout returned" in text and closing["BRL"] == escrow + on_hold + payable + in_flight
    assert verify(conn).ok


def test_a_batch_whose_bank_file_would_not_validate_is_held_with_an_exception_naming_the_seller(
        settings, conn, tmp_path):
    long_id = "S_" + "x" * 108  # fits the ledger (ids to 128), not an EndToEndId: that is cut to 35
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [
        profile(long_id, 0, at=T0 - timedelta(days=5), account="BANK-LONG"),
        profile("S_2", 0, at=T0 - timedelta(days=5), account="A" * 40)])  # beyond CdtrAcct's 34
    publish_orders(settings, [
        capture("O_1", amount=20000, gateway_fee=600, shipping=0, lines=lines(long_id, 20000, 2000)),
        capture("O_2", amount=10000, gateway_fee=300, shipping=0, lines=lines("S_2", 10000, 1000))])
    run_pipeline(settings)
    releases.run_once(settings, conn, producer(settings), REGISTRY, T0 + timedelta(days=30))
    run_pipeline(settings)
    assert pay(settings, conn, DAY1, tmp_path) == ["PB_20261203_BRL"]
    assert not (tmp_path / "PB_20261203_BRL.pain001.xml").exists()
    rows = conn.execute("SELECT reason_code, batch_id, detail FROM exceptions").fetchall()
    assert len(rows) == 1, rows
    [(reason, batch_id, detail)] = rows
    assert (reason, batch_id) == ("PAYOUT_FILE_REFUSED", "PB_20261203_BRL")
    assert "seller S_2's bank account reference (CdtrAcct/Id/Othr/Id) must be 1 to 34 characters, is 40" in detail
    payouts.write_created(conn, ["PB_20261203_BRL"], tmp_path)  # again: still held, not a second exception
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 1


def test_brl_batches_go_out_in_cnab_240_to_payees_checked_on_arrival_and_the_retorno_confirms_them(
        settings, conn, tmp_path):
    """Profiles in schema v2 (a PIX key, a domestic account) and one from a v1 producer;
    a v2 profile with a wrong CPF is INVALID_FIELD and leaves the seller unpayable. With
    BRL given to CNAB 240 the file is a remessa the bank answers in two retornos (first
    scheduled, then final), read by the ledger's bank adapter, as `payouts confirm` does."""
    from services.payouts.batch import Debtor

    at = T0 - timedelta(days=5)
    pix = {"scheme": "PIX", "iban": None, "bank_code": None, "branch": None, "account_number": None,
           "pix_key": "+5511987654321", "pix_key_type": "PHONE"}
    ted = {**pix, "scheme": "DOMESTIC", "bank_code": "237", "branch": "1234-5", "account_number": "987654-3",
           "pix_key": None, "pix_key_type": None}
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [
        {**profile("S_1", 0, at=at), "legal_name": "Joana Açaí ME", "tax_document": "390.533.447-05",
         "bank_account": pix},
        {**profile("S_2", 0, at=at), "legal_name": "Loja Dois Ltda", "tax_document": "11222333000181",
         "bank_account": ted},
        {**profile("S_3", 0, at=at), "legal_name": "Bad", "tax_document": "390.533.447-06", "bank_account": pix}])
    v1 = REGISTRY.encode("SellerProfileUpdated", profile("S_4", 0, at=at), version=1)
    kafka = producer(settings)
    kafka.produce(settings.topic(topics.SELLERS), v1, key=b"S_4")
    kafka.flush(30)
    publish_orders(settings, [
        capture(f"O_{s}", amount=10000, gateway_fee=0, shipping=0, lines=lines(s, 10000, 1000)) for s in SELLERS])
    run_pipeline(settings)
    assert conn.execute("SELECT reason_code, event_id FROM exceptions").fetchall() == [
        ("INVALID_FIELD", "evt_profile_S_3_1")]
    assert conn.execute("SELECT seller_id, legal_name, tax_document, bank_account->>'scheme' FROM seller_profiles"
                        " ORDER BY 1").fetchall() == [("S_1", "Joana Açaí ME", "39053344705", "PIX"),
                                                       ("S_2", "Loja Dois Ltda", "11222333000181", "DOMESTIC"),
                                                       ("S_4", None, None, None)]
    releases.run_once(settings, conn, producer(settings), REGISTRY, T0 + timedelta(days=30))
    run_pipeline(settings)

    asked = payouts.publish_day(settings, conn, producer(settings), REGISTRY, DAY1, T0 + timedelta(days=31))
    run_pipeline(settings)
    debtor = Debtor(cnab240_currencies=("BRL",))
    assert payouts.write_created(conn, asked, tmp_path, debtor) == ["PB_20261203_BRL"]
    # S_4 (v1: a free-text reference only) cannot be paid in CNAB 240: the batch is held, nothing sent
    assert files.sent_file(tmp_path, "PB_20261203_BRL") is None
    [(detail,)] = conn.execute("SELECT detail FROM exceptions WHERE reason_code = 'PAYOUT_FILE_REFUSED'").fetchall()
    assert "seller S_4 has no structured bank account" in detail

    # S_4's next profile names an account; the batch's file is written again, now it can be made
    publish_records(settings, topics.SELLERS, "SellerProfileUpdated", [
        {**profile("S_4", 0, at=at + timedelta(seconds=1), n=2), "tax_document": "11222333000181",
         "bank_account": {**pix, "pix_key": "11222333000181", "pix_key_type": "CNPJ"}}])
    run_pipeline(settings)
    batch = files.load_batch(conn, "PB_20261203_BRL")
    assert [ln.seller_id for ln in batch.lines] == ["S_1", "S_2", "S_4"]  # S_3 never had a payable account
    files.write_files(conn, "PB_20261203_BRL", tmp_path, debtor)
    sent = files.sent_file(tmp_path, "PB_20261203_BRL")
    assert sent.name == "PB_20261203_BRL.cnab240.rem"
    assert conn.execute("SELECT format, line_count FROM payout_files WHERE format <> 'csv'").fetchone() == (
        "cnab240", 3)

    results, replies = simulator.settle_file(sent, 0.0, seed=3, parts=2, at=T0 + timedelta(days=32))
    from services.payouts.cnab240 import our_number

    [s2] = [r for r in results if r["reference"] == our_number("PB_20261203_BRL", "S_2")]
    s2.update(status="FAILED", bank_reference=None, reason="AN")  # S_2's account: invalid
    for path, (_, data) in zip(replies, simulator.answers(sent.read_bytes(), results, 2, T0 + timedelta(days=32))):
        path.write_bytes(data)
    confirmations = [answers.confirm(settings, conn, producer(settings), REGISTRY, p.read_bytes(),
                                     T0 + timedelta(days=32)) for p in replies]
    assert confirmations[0] is None  # BD: scheduled, nothing final
    run_pipeline(settings)
    assert conn.execute("SELECT seller_id, status, failure_reason FROM payout_lines ORDER BY 1").fetchall() == [
        ("S_1", "settled", None), ("S_2", "failed", "CNAB-AN"), ("S_4", "settled", None)]
    assert seller(conn, "S_2") == (9000, 0, 0)
    assert conn.execute(INVARIANT_4).fetchall() == []
    assert verify(conn).ok
