"""splitbook migrate | post | relay | project | rebuild | wait | supervise | status: the
pipeline's workers and their upkeep."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from services.adapters.postgres import db
from services.domain.errors import ConfigError
from services.entrypoints import bootstrap
from services.entrypoints.cli.args import positive, run_worker
from services.entrypoints.settings import ROOT, Settings
from services.runtime import progress
from services.runtime.runloop import Stop
from services.statements import reports

# The pipeline's workers, as `splitbook supervise` runs them: name -> the verb's arguments.
WORKERS = {"post": ["post"], "relay": ["relay"], "project": ["project"],
           "release-scheduler": ["release-scheduler"], "payout-scheduler": ["payouts", "scheduler"],
           "alerts": ["alerts", "worker"], "api": ["api"]}
# /metrics on a port of their own (base + 1, + 2, ...: the alerts worker's is added last, keeping the others')
METERED = ("post", "relay", "project", "release-scheduler", "payout-scheduler", "alerts")
STATE = ROOT / ".local" / "run" / "supervisor.json"


def register(sub) -> None:
    sub.add_parser("migrate", help="apply database migrations and create the Kafka topics").set_defaults(handler=migrate)
    for name, text, build in (("post", "run the posting consumer (the journal's only writer)", bootstrap.posting_consumer),
                              ("relay", "publish the journal to ledger.journal and rejections to ledger.rejected",
                               bootstrap.relay),
                              ("project", "run the projection worker (read models)", bootstrap.projection_worker)):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("--idle-exit-s", type=float, default=None, help="exit after this long with nothing to do")
        sp.add_argument("--metrics-port", type=positive, default=None, help="serve Prometheus /metrics on this port")
        sp.set_defaults(handler=lambda args, build=build: run_worker(build, Settings.from_env(), args.idle_exit_s,
                                                                     args.metrics_port))
    sub.add_parser("rebuild", help="rebuild every read model from the journal").set_defaults(handler=rebuild)
    sp = sub.add_parser("wait", help="wait until everything published is posted, relayed and projected")
    sp.add_argument("--timeout-s", type=float, default=300)
    sp.set_defaults(handler=wait)
    sp = sub.add_parser("supervise", help="run the pipeline's workers, restarting any that exits (make up)")
    sp.add_argument("--workers", default=" ".join(WORKERS), help=f"space-separated, of: {' '.join(WORKERS)}")
    sp.add_argument("--state", type=Path, default=STATE)
    sp.add_argument("--logs", type=Path, default=ROOT / ".local" / "logs")
    sp.add_argument("--metrics-base-port", type=positive, default=None,
                    help=f"the workers {', '.join(METERED)} serve /metrics on this port + 1, + 2, ...")
    sp.set_defaults(handler=supervise)
    sp = sub.add_parser("status", help="each supervised worker: state, pid, restarts, last exit and error")
    sp.add_argument("--state", type=Path, default=STATE)
    sp.add_argument("--format", choices=("table", "json"), default="table")
    sp.set_defaults(handler=status)


def migrate(args) -> int:
    bootstrap.prepare(Settings.from_env())
    print("migrations applied; topics ready")
    return 0


def rebuild(args) -> int:
    from projections.rebuild import rebuild as rebuild_read_models

    with db.connect(Settings.from_env().database_url) as conn:
        print(f"read models rebuilt from the journal up to seq {rebuild_read_models(conn)}")
    return 0


def wait(args) -> int:
    settings = Settings.from_env()
    with db.connect(settings.database_url) as conn:
        progress.wait_caught_up(settings, conn, args.timeout_s)
    print("pipeline caught up: everything published is posted, relayed and projected")
    return 0


def supervise(args) -> int:
    from services.runtime import supervisor

    names = args.workers.split()
    unknown = [n for n in names if n not in WORKERS]
    if unknown or not names:
        raise ConfigError(f"--workers: unknown {' '.join(unknown) or '(none given)'}; known: {' '.join(WORKERS)}")
    args.state.parent.mkdir(parents=True, exist_ok=True)
    args.logs.mkdir(parents=True, exist_ok=True)
    argv = {n: [sys.executable, "-m", "services.entrypoints.cli.main", "--log-level", args.log_level, *WORKERS[n]]
            for n in names}
    if args.metrics_base_port:
        for i, n in enumerate(METERED, start=1):
            if n in argv:
                argv[n] += ["--metrics-port", str(args.metrics_base_port + i)]
    supervisor.Supervisor(argv, args.state, args.logs).run(Stop().install())
    return 0


def status(args) -> int:
    from services.runtime import supervisor

    state = supervisor.read_state(args.state)
    if state is None:
        raise ConfigError(f"no supervisor state at {args.state}: the pipeline is not running (make up starts it)")
    up = supervisor.alive(state.get("supervisor_pid"))
    workers = state["workers"]
    if args.format == "json":
        print(json.dumps({**state, "supervisor_running": up}, indent=1))
    else:
        print(f"supervisor pid {state['supervisor_pid']} {'running' if up else 'NOT RUNNING'}"
              f" (state of {state['updated_at']})\n")
        rows = [(w["name"], w["state"] if up else "stopped", w["pid"] or "", w["restarts"], w["started_at"] or "",
                 "" if w["last_exit"] is None else f"{w['last_exit']} at {w['last_exit_at']}",
                 (w["last_error"] or "")[:90]) for w in workers]
        print(reports.render(("worker", "state", "pid", "restarts", "started", "last exit", "last error"), rows,
                             "table", right=(2, 3)))
    return 0 if up and all(w["state"] == "running" for w in workers) else 1
