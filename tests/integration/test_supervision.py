"""The supervisor `make up` runs: a worker that exits is started again after a backoff,
and its state (pid, restarts, last exit, last error) is written for `splitbook status`."""

import json
import subprocess
import sys
import time

from services.runtime.supervisor import Supervisor, last_error_in, read_state

CRASH = ("import json, sys; print(json.dumps({'level': 'error', 'event': 'giving_up', 'error': 'PostgreSQL down'}),"
         " flush=True); sys.exit(3)")


def _run(sup: Supervisor, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sup.step():
            sup.write_state()
        time.sleep(0.05)


def test_a_worker_that_exits_is_restarted_with_backoff_and_its_error_shown(tmp_path):
    state = tmp_path / "state.json"
    sup = Supervisor({"steady": [sys.executable, "-c", "import time; time.sleep(60)"],
                      "crashing": [sys.executable, "-c", CRASH]}, state, tmp_path, first_delay_s=0.2, max_delay_s=0.8)
    try:
        _run(sup, 3.0)
        s = read_state(state)
        by_name = {w["name"]: w for w in s["workers"]}
        assert by_name["steady"]["state"] == "running" and by_name["steady"]["restarts"] == 0
        crashing = by_name["crashing"]
        # 0.2, 0.4, 0.8, 0.8 ... s apart (±20 %): a few restarts in 3 s, not dozens
        assert 2 <= crashing["restarts"] <= 7
        assert crashing["last_exit"] == 3 and crashing["last_error"] == "giving_up: PostgreSQL down"
        pid = by_name["steady"]["pid"]
    finally:
        sup.stop_all()
        sup.write_state()
    assert subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode != 0  # stopped with it
    assert {w["state"] for w in read_state(state)["workers"]} == {"stopped"}


def test_status_is_a_table_and_says_when_the_supervisor_is_gone(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"supervisor_pid": 2**22 + 1, "updated_at": "2026-11-25T00:00:00+00:00", "workers": [
        {"name": "post", "state": "running", "pid": 123, "restarts": 2, "started_at": "2026-11-25T00:00:00+00:00",
         "last_exit": -9, "last_exit_at": "2026-11-24T23:59:00+00:00", "last_error": None}]}))
    r = subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", "status", "--state", str(state)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "NOT RUNNING" in r.stdout and "post" in r.stdout and "-9 at 2026-11-24T23:59:00+00:00" in r.stdout
    r = subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", "status", "--state", str(tmp_path / "none.json")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "the pipeline is not running" in r.stderr


def test_the_last_error_is_read_from_json_lines_and_tracebacks(tmp_path):
    log = tmp_path / "w.log"
    log.write_text('{"level": "info", "event": "batch_posted"}\nTraceback (most recent call last):\n'
                   '  File "x.py", line 1\nValueError: boom\n')
    assert last_error_in(log) == "ValueError: boom"
    log.write_text('{"level": "error", "event": "giving_up", "error": "x"}\n{"level": "info", "event": "ok"}\n')
    assert last_error_in(log) == "giving_up: x"
