"""The operator's CLI: bad input is one readable line, never a traceback."""

import subprocess
import sys

import pytest

from tests.helpers import capture, publish_orders, run_pipeline


def splitbook(*args, env=None):
    return subprocess.run([sys.executable, "-m", "services.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.parametrize("args, message", [
    (["simulate", "--orders", "-3"], "must be positive"),
    (["simulate", "--date", "yesterday"], "is not a date"),
    (["balances", "--format", "xml"], "invalid choice"),
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
    assert r.stderr.startswith("splitbook: error: cannot connect to PostgreSQL") and "Traceback" not in r.stderr


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
    ("stmt.xml", "<Document><Ntry><Amt>1</Amt></Ntry></Document>", "not a camt.053 statement"),
])
def test_a_malformed_reconciliation_file_is_one_readable_line(worker_env, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    kind = "bank" if name.endswith(".xml") else "gateway"
    r = splitbook("reconcile", kind, str(path), env=worker_env)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1
