"""The operator's CLI: bad input is one readable line, never a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import capture, publish_orders, run_pipeline


def splitbook(*args, env=None):
    return subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.parametrize("args, message", [
    (["simulate", "--orders", "-3"], "must be positive"),
    (["simulate", "--date", "yesterday"], "is not a date"),
    (["balances", "--format", "xml"], "invalid choice"),
    (["close", "--date", "9999-12-31"], "past the last day a report can cover"),
    (["gl", "export", "--date", "9999-12-31"], "past the last day a report can cover"),
    (["sales", "--by", "category,colour"], "dimensions are seller, category, channel, region"),
    (["alerts", "check", "--as-of", "noon"], "is not an ISO 8601 time"),
    (["release-reserves", "--as-of", "2026-13-01"], "is not an ISO 8601 time"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_cli_argument_is_one_readable_line(args, message):
    r = splitbook(*args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and message in r.stderr and "Traceback" not in r.stderr


def test_unreachable_database_is_one_readable_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    r = splitbook("balances", env=env)
    assert r.returncode == 1
    assert r.stderr == "splitbook: error: cannot reach PostgreSQL at 127.0.0.1:1: Connection refused\n"


@pytest.mark.integration
def test_balances_and_trial_balance_show_posted_captures(settings, worker_env):
    publish_orders(settings, [capture("O_8821")])
    run_pipeline(settings)
    r = splitbook("balances", env=worker_env)
    assert r.returncode == 0 and "S_114" in r.stdout and "BRL 160.00" in r.stdout
    r = splitbook("trial-balance", "--format", "csv", env=worker_env)
    assert r.returncode == 0
    assert "TOTAL (debits = credits),BRL,,20000,20000," in r.stdout


@pytest.mark.integration
@pytest.mark.parametrize("name, content, message", [
    ("short.csv", "date,gateway,reference,gross,fee,net,type\n2026-11-02,card,O_1,1.00\n", "expected the 7 columns"),
    ("mixed.csv", "date,gateway,reference,gross,fee,net,type\n2026-11-02,card,O_1,1,0,1,capture\n"
                  "2026-11-02,pix,O_2,1,0,1,capture\n", "one gateway per report"),
    ("stmt.xml", "<Document><Ntry><Amt>1</Amt></Ntry></Document>", "not an ISO 20022 document"),
    ("report.xml", '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"/>', "camt.052 account report"),
])
def test_a_malformed_reconciliation_file_is_one_readable_line(worker_env, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    kind = "bank" if name.endswith(".xml") else "gateway"
    r = splitbook("reconcile", kind, str(path), env=worker_env)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1


@pytest.mark.integration
@pytest.mark.parametrize("args", [["simulate", "--orders", "3"], ["wait", "--timeout-s", "5"], ["migrate"]])
def test_kafka_down_is_one_line_naming_the_broker(worker_env, args):
    env = {**worker_env, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    r = splitbook(*args, env=env)  # within the subprocess timeout, with no librdkafka lines
    assert r.returncode == 1
    assert r.stderr == "splitbook: error: cannot reach Kafka at 127.0.0.1:1 (no answer in 5 s)\n"


@pytest.mark.integration
@pytest.mark.parametrize("content, message", [
    (b"date,reference,amount,direction\n2026-11-02,R\xff1,1.00,DBIT\n", "is not UTF-8 text"),
    (b"date,reference,amount,direction\n2026-11-02,R1,1e400,DBIT\n", "is not an amount the ledger accepts"),
    (b"date,reference,amount,direction\n2026-11-02,R1,NaN,DBIT\n", "is not an amount the ledger accepts"),
])
def test_a_hostile_bank_statement_is_one_readable_line(worker_env, tmp_path, content, message):
    path = tmp_path / "statement.csv"
    path.write_bytes(content)
    r = splitbook("reconcile", "bank", str(path), env=worker_env)
    assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.integration
def test_resolving_with_a_transaction_id_that_is_not_one_is_one_readable_line(worker_env):
    r = splitbook("exceptions", "resolve", "1", "--note", "n", "--transaction", "NOPE", env=worker_env)
    assert r.returncode == 2 and "is not a journal transaction id" in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.integration
@pytest.mark.parametrize("content, message", [
    ('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', "not a pain.002 payment status report"),
    ('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt><OrgnlGrpInfAndSts>'
     '<OrgnlMsgId>PB_19990101_BRL</OrgnlMsgId></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>',
     "no payout batch PB_19990101_BRL"),
    ('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn/></Document>',
     "holds no notification"),
    ((Path(__file__).resolve().parents[1] / "data/bank/eduardordm-cnab240/SB22112AIT.RET").read_text(),
     "answers no payout batch"),  # a real bank's retorno, to someone else
    ("just some text\n", "not a CNAB 240 file"),
])
def test_a_bank_status_report_that_answers_nothing_the_ledger_made_is_one_readable_line(worker_env, tmp_path,
                                                                                         content, message):
    path = tmp_path / "answer.xml"
    path.write_text(content)
    r = splitbook("payouts", "confirm", str(path), env=worker_env)
    assert r.returncode != 0 and message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1
