"""`splitbook gl export` against a real journal: the day's entries balance and tie to
the trial balance, a second export gives the same files, and both are recorded."""

import subprocess
import sys
from datetime import datetime, timezone

import pytest

from services.adapters.kafka import topics
from tests.helpers import capture, publish_orders, publish_records, refund, run_posting

pytestmark = [pytest.mark.integration]


def test_a_day_exported_twice_gives_the_same_files_and_both_exports_are_recorded(settings, conn, worker_env,
                                                                                  tmp_path):
    publish_orders(settings, [capture("O_1"), capture("O_2", currency="BRL")])
    publish_records(settings, topics.REFUNDS, "RefundIssued", [refund("O_2", "R2", [("S_114", 9000, 1000)])])
    run_posting(settings)
    today = datetime.now(timezone.utc).date().isoformat()

    def export(out):
        return subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", "gl", "export", "--date", today,
                               "--out", str(out)], env=worker_env, capture_output=True, text=True, timeout=60)

    first, second = export(tmp_path / "a"), export(tmp_path / "b")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "ties to the trial balance" in first.stdout and "debits = credits = BRL" in first.stdout
    assert "the same files as the export of" in second.stdout
    for name in (f"gl-{today}.csv", f"gl-{today}.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    rows = conn.execute("SELECT csv_sha256, json_sha256, lines, first_seq, last_seq FROM gl_exports"
                        " ORDER BY export_id").fetchall()
    assert len(rows) == 2 and rows[0] == rows[1] and rows[0][2] > 0 and (rows[0][3], rows[0][4]) == (1, 3)
    csv_lines = (tmp_path / "a" / f"gl-{today}.csv").read_text().splitlines()
    debit, credit = (sum(int(line.split(",")[i]) for line in csv_lines[1:]) for i in (5, 6))
    assert debit == credit > 0


def test_an_unmapped_family_stops_the_export_in_one_line(settings, worker_env, tmp_path):
    publish_orders(settings, [capture("O_1")])
    run_posting(settings)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[[account]]\nfamily = "ops:*"\ngl = "1000"\nname = "Operations"\n')
    r = subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", "gl", "export", "--date",
                        datetime.now(timezone.utc).date().isoformat(), "--mapping", str(mapping), "--out",
                        str(tmp_path)], env=worker_env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "unmapped" in r.stderr and "Traceback" not in r.stderr
