"""The reconciliation matching engine, pure."""

from services.reconciliation.matching import Expected, Reported, match


def exp(ref, seq, gross=20000, fee=600, kind="capture"):
    return Expected((ref, kind), seq, {"gross": gross, "fee": fee, "net": gross - fee}, "BRL", ref)


def rep(n, ref, gross=20000, fee=600, kind="capture"):
    return Reported(n, (ref, kind), {"gross": gross, "fee": fee, "net": gross - fee})


def reasons(result):
    return sorted((f.reason, f.reference) for f in result.findings)


def test_exact_lines_match_and_leave_nothing_over():
    r = match([rep(1, "O_1"), rep(2, "O_2")], [exp("O_1", 1), exp("O_2", 2)], set())
    assert len(r.matched) == 2 and not r.findings


def test_a_wrong_fee_is_a_fee_mismatch_not_an_amount_mismatch():
    r = match([rep(1, "O_1", fee=700)], [exp("O_1", 1)], set())
    assert reasons(r) == [("RECON_FEE_MISMATCH", "O_1")]


def test_a_wrong_gross_is_an_amount_mismatch():
    r = match([rep(1, "O_1", gross=20100)], [exp("O_1", 1)], set())
    assert reasons(r) == [("RECON_AMOUNT_MISMATCH", "O_1")]


def test_missing_on_either_side_and_duplicates():
    r = match([rep(1, "O_1"), rep(2, "O_1"), rep(3, "O_9")], [exp("O_1", 1), exp("O_2", 2)], set())
    assert reasons(r) == [("RECON_DUPLICATE_LINE", "O_1"), ("RECON_MISSING_IN_LEDGER", "O_9"),
                          ("RECON_MISSING_IN_REPORT", "O_2")]


def test_a_movement_matched_by_an_earlier_file_is_a_duplicate_now():
    r = match([rep(1, "O_1")], [exp("O_1", 1)], matched_before={(1, "O_1")})
    assert reasons(r) == [("RECON_DUPLICATE_LINE", "O_1")]


def test_several_refunds_of_one_order_match_by_amount():
    e = [exp("O_1", 5, gross=1000, fee=0, kind="refund"), exp("O_1", 6, gross=3000, fee=0, kind="refund")]
    r = match([rep(1, "O_1", gross=3000, fee=0, kind="refund"), rep(2, "O_1", gross=1000, fee=0, kind="refund")], e, set())
    assert sorted((x.line_no, y.seq) for x, y in r.matched) == [(1, 6), (2, 5)] and not r.findings


def test_bank_statement_csv_and_camt053_read_the_same_entries():
    from services.reconciliation.bank import parse_camt053, parse_csv

    csv_stmt = parse_csv(b"date,reference,amount,direction\n2026-11-25,BRREF1,156.00,DBIT\n2026-11-25,deposit:x,187.00,CRDT\n",
                         "BRL")
    [camt] = parse_camt053(b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Ntry><Amt Ccy="BRL">156.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-11-25</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><AcctSvcrRef>BRREF1</AcctSvcrRef></Refs></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="BRL">187.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-11-25</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>deposit:x</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>""")
    as_pairs = lambda s: [(r.key, r.amounts) for r in s.lines]  # noqa: E731
    assert as_pairs(csv_stmt) == as_pairs(camt) == [
        (("BRREF1", "payout"), {"amount": 15600}), (("deposit:x", "deposit"), {"amount": 18700})]
