"""Keeps the pipeline's workers running (`make up`): each is a child process; one that
exits is started again after a backoff (1 s doubling to 60 s, with jitter; back to 1 s
once a run lasted a minute). What each worker is doing — pid, starts, restarts, last
exit and the last error it logged — is written to a JSON state file after every change,
which `splitbook status` reads. SIGTERM stops the workers (SIGTERM to each, which stops
its own helper processes; SIGKILL to its process group after a grace period) and then
the supervisor."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

import structlog

from services.runtime.runloop import Stop

log = structlog.get_logger()

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0
HEALTHY_S = 60.0  # a run this long resets the backoff
GRACE_S = 20.0  # SIGTERM, then SIGKILL


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class WorkerState:
    name: str
    argv: list[str]
    log_path: str
    state: str = "starting"  # running | backing_off | stopped
    pid: int | None = None
    starts: int = 0
    restarts: int = 0
    started_at: str | None = None
    last_exit: int | None = None
    last_exit_at: str | None = None
    last_error: str | None = None
    next_start_in_s: float | None = None
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _began: float = 0.0
    _next_start: float = 0.0
    _failures: int = 0  # exits in a row, each within HEALTHY_S of its start

    def public(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


def last_error_in(log_path: Path, tail_bytes: int = 64 * 1024) -> str | None:
    """The last line of a worker's log at level error (or a traceback's last line)."""
    try:
        with log_path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - tail_bytes))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        text = line.strip()
        if not text:
            continue
        if text.startswith("{"):
            try:
                rec = json.loads(text)
            except ValueError:
                continue
            if rec.get("level") in ("error", "critical"):
                return f"{rec.get('event')}: {rec.get('error') or rec.get('detail') or ''}".strip(": ")
        elif "Error" in text or text.startswith("splitbook: error"):
            return text[:500]
    return None


class Supervisor:
    def __init__(self, workers: dict[str, list[str]], state_path: Path, log_dir: Path,
                 env: dict[str, str] | None = None, clock: Callable[[], float] = time.monotonic,
                 first_delay_s: float = FIRST_DELAY_S, max_delay_s: float = MAX_DELAY_S):
        self.workers = {n: WorkerState(n, argv, str(log_dir / f"{n}.log")) for n, argv in workers.items()}
        self.state_path = state_path
        self.env = env
        self.clock = clock
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s

    def _start(self, w: WorkerState) -> None:
        with open(w.log_path, "ab") as out:
            w._proc = subprocess.Popen(w.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=self.env, start_new_session=True)
        w.pid, w.state, w.started_at, w._began = w._proc.pid, "running", _now(), self.clock()
        w.starts += 1
        w.restarts = w.starts - 1
        w.next_start_in_s = None
        log.info("worker_started", worker=w.name, pid=w.pid, starts=w.starts)

    def _reap(self, w: WorkerState, code: int) -> None:
        ran = self.clock() - w._began
        w._failures = 1 if ran >= HEALTHY_S else w._failures + 1
        delay = min(self.max_delay_s, self.first_delay_s * 2 ** (w._failures - 1)) * random.uniform(0.8, 1.2)
        w._next_start = self.clock() + delay
        w.state, w.pid, w._proc = "backing_off", None, None
        w.last_exit, w.last_exit_at, w.last_error = code, _now(), last_error_in(Path(w.log_path)) or w.last_error
        w.next_start_in_s = round(delay, 1)
        log.warning("worker_exited", worker=w.name, exit_code=code, ran_s=round(ran, 1), restart_in_s=round(delay, 1),
                    last_error=w.last_error)

    def step(self) -> bool:
        """Reap what exited, start what is due. True when anything changed."""
        changed = False
        for w in self.workers.values():
            if w._proc is not None:
                code = w._proc.poll()
                if code is not None:
                    self._reap(w, code)
                    changed = True
            elif self.clock() >= w._next_start:
                self._start(w)
                changed = True
        return changed

    def write_state(self) -> None:
        state = {"supervisor_pid": os.getpid(), "updated_at": _now(),
                 "workers": [w.public() for w in self.workers.values()]}
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.state_path)

    def run(self, stop: Stop, tick_s: float = 0.25) -> None:
        self.write_state()
        try:
            while not stop.requested:
                if self.step():
                    self.write_state()
                time.sleep(tick_s)
        finally:
            self.stop_all()
            self.write_state()

    def stop_all(self) -> None:
        running = [w for w in self.workers.values() if w._proc is not None]
        for w in running:  # the worker itself: it finishes its batch and stops its helpers
            try:
                w._proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + GRACE_S
        for w in running:
            try:
                w._proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker_killed", worker=w.name, pid=w.pid, after_s=GRACE_S)
                _signal(w._proc, signal.SIGKILL)
                w._proc.wait()
        for w in self.workers.values():
            w.state, w.pid, w._proc, w.next_start_in_s = "stopped", None, None, None


def _signal(proc: subprocess.Popen, sig: int) -> None:
    """The worker and its helper processes (its own process group), e.g. SIGKILL."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def read_state(state_path: Path) -> dict | None:
    try:
        return json.loads(state_path.read_text())
    except (OSError, ValueError):
        return None


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
