"""splitbook: run the pipeline's workers, publish a simulated day, show balances.

Every error is one readable line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import psycopg
import structlog

from services.entrypoints import bootstrap

from services.runtime import logs

from services.runtime import progress

from services.statements import reports
from services.domain.errors import ConfigError, SplitbookError
from services.runtime.runloop import Stop, reconnecting, tune_gc
from services.entrypoints.settings import ROOT, Settings
from services.adapters.postgres import db

log = structlog.get_logger()


# The pipeline's workers, as `splitbook supervise` runs them: name -> the verb's arguments.
WORKERS = {"post": ["post"], "relay": ["relay"], "project": ["project"],
           "release-scheduler": ["release-scheduler"], "payout-scheduler": ["payouts", "scheduler"]}


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + error
        self.exit(2, f"splitbook: error: {message} (see --help)\n")


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return n


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _instant(value: str) -> datetime:
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time (e.g. 2026-12-24T00:00:00Z)") from None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _clock_time(value: str):
    from datetime import time as dtime

    try:
        return dtime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--at {value!r} is not a time of day (HH:MM)") from None


def _posting(value: str) -> tuple[str, int]:
    account, sep, amount = value.rpartition("=")
    try:
        if not sep or not account:
            raise ValueError
        return account, int(amount)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not ACCOUNT=AMOUNT (minor units, e.g. seller:S_1:payable=-500)") from None


def _rate(value: str) -> float:
    try:
        r = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 <= r <= 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not between 0 and 1")
    return r


def build_parser() -> Parser:
    p = Parser(prog="splitbook", description="Splitbook: an event-sourced double-entry ledger for marketplaces.")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    sub.add_parser("migrate", help="apply database migrations and create the Kafka topics")
    for name, text in (("post", "run the posting consumer (the journal's only writer)"),
                       ("relay", "publish the journal to ledger.journal and rejections to ledger.rejected"),
                       ("project", "run the projection worker (read models)")):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("--idle-exit-s", type=float, default=None, help="exit after this long with nothing to do")
    sub.add_parser("rebuild", help="rebuild every read model from the journal")
    sp = sub.add_parser("supervise", help="run the pipeline's workers, restarting any that exits (make up)")
    sp.add_argument("--workers", default=" ".join(WORKERS), help=f"space-separated, of: {' '.join(WORKERS)}")
    sp.add_argument("--state", type=Path, default=ROOT / ".local" / "run" / "supervisor.json")
    sp.add_argument("--logs", type=Path, default=ROOT / ".local" / "logs")
    sp = sub.add_parser("status", help="each supervised worker: state, pid, restarts, last exit and error")
    sp.add_argument("--state", type=Path, default=ROOT / ".local" / "run" / "supervisor.json")
    sp.add_argument("--format", choices=("table", "json"), default="table")

    sp = sub.add_parser("simulate", help="publish a simulated marketplace day to marketplace.orders")
    sp.add_argument("--date", type=_day, default=date.today(), help="the day (YYYY-MM-DD), default today")
    sp.add_argument("--orders", type=_positive, default=2500)
    sp.add_argument("--sellers", type=_positive, default=60)
    sp.add_argument("--seed", type=int, default=7)
    sp.add_argument("--run-id", default="", help="suffix for order ids, to publish the same day again")
    sp.add_argument("--messy", action="store_true", help="also redeliver, conflict and send poison messages")

    sp = sub.add_parser("story", help="publish the demo's storyline: profiles, two days, refunds, disputes, release")
    sp.add_argument("--date", type=_day, default=date.today(), help="today (YYYY-MM-DD)")
    sp.add_argument("--orders", type=_positive, default=2500, help="orders per day")
    sp.add_argument("--sellers", type=_positive, default=60)

    sp = sub.add_parser("release", help="publish ReleaseEscrow for every order whose escrow window has passed")
    sp.add_argument("--as-of", type=_instant, default=None, help="the time to release as of (ISO 8601), default now")
    sp = sub.add_parser("release-scheduler", help="run the release scheduler (release --as-of now, every interval)")
    sp.add_argument("--interval-s", type=float, default=60.0)

    pay = sub.add_parser("payouts", help="daily payout batches and their bank files")
    psub = pay.add_subparsers(dest="payouts_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = psub.add_parser("run", help="have the ledger make the day's batches, then write their files")
    sp.add_argument("--date", type=_day, default=date.today())
    sp.add_argument("--as-of", type=_instant, default=None, help="profiles in force at (default now)")
    sp.add_argument("--out", type=Path, default=ROOT / ".local" / "payouts", help="where files go")
    sp = psub.add_parser("scheduler", help="run the day's payouts every day at --at (UTC)")
    sp.add_argument("--at", default="06:00", help="HH:MM")
    sp.add_argument("--out", type=Path, default=ROOT / ".local" / "payouts")
    sp = psub.add_parser("files", help="(re)write a batch's CSV and pain.001 files")
    sp.add_argument("batch_id")
    sp.add_argument("--out", type=Path, default=ROOT / ".local" / "payouts")
    sp = psub.add_parser("list", help="payout batches with their status")
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")

    bank = sub.add_parser("bank", help="the simulated bank adapter")
    bsub = bank.add_subparsers(dest="bank_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = bsub.add_parser("settle", help="settle or fail each transfer of a pain.001 file and confirm it")
    sp.add_argument("file", type=Path)
    sp.add_argument("--failure-rate", type=_rate, default=0.05)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--parts", type=_positive, default=1, help="confirm in this many messages")

    sp = sub.add_parser("statement", help="a seller's statement: every movement with a running balance")
    sp.add_argument("seller_id")
    sp.add_argument("--from", dest="start", type=_day, default=date(1970, 1, 1))
    sp.add_argument("--to", dest="end", type=_day, default=date(9999, 12, 30))
    sp.add_argument("--currency", default=None)
    sp.add_argument("--format", choices=("table", "csv"), default="table")

    exc = sub.add_parser("exceptions", help="the exceptions queue")
    esub = exc.add_subparsers(dest="exceptions_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = esub.add_parser("list", help="exceptions, oldest first")
    sp.add_argument("--status", choices=("open", "assigned", "resolved", "written_off"))
    sp.add_argument("--reason", help="a reason code")
    sp.add_argument("--limit", type=_positive, default=50)
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sp = esub.add_parser("show", help="one exception with its original bytes")
    sp.add_argument("exception_id", type=_positive)
    sp = esub.add_parser("assign", help="assign to someone")
    sp.add_argument("exception_id", type=_positive)
    sp.add_argument("--to", required=True)
    sp.add_argument("--by", required=True, help="who is doing this (audited)")
    sp = esub.add_parser("resolve", help="resolve (or write off); never edits the journal")
    sp.add_argument("exception_id", type=_positive)
    sp.add_argument("--by", required=True)
    sp.add_argument("--note", required=True)
    sp.add_argument("--write-off", action="store_true")
    sp.add_argument("--transaction", help="the correcting journal transaction id, if one was needed")

    adj = sub.add_parser("adjust", help="manual adjustments with maker-checker")
    asub = adj.add_subparsers(dest="adjust_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = asub.add_parser("propose", help="propose a balanced adjustment (postings in minor units, + debit, - credit)")
    sp.add_argument("--by", required=True, help="the proposer")
    sp.add_argument("--posting", action="append", required=True, type=_posting, metavar="ACCOUNT=AMOUNT")
    sp.add_argument("--currency", required=True)
    sp.add_argument("--reason-code", required=True)
    sp.add_argument("--reason", required=True)
    sp.add_argument("--exception", type=_positive, help="the exception this corrects")
    sp = asub.add_parser("approve", help="approve (not your own); posts once enough approvers agree")
    sp.add_argument("adjustment_id")
    sp.add_argument("--by", required=True)
    asub.add_parser("list", help="adjustments with their approvals")

    rec = sub.add_parser("reconcile", help="reconcile a gateway report or a bank statement against the journal")
    rsub = rec.add_subparsers(dest="reconcile_command", required=True, metavar="KIND", parser_class=Parser)
    sp = rsub.add_parser("gateway", help="a gateway settlement report (CSV)")
    sp.add_argument("file", type=Path)
    sp.add_argument("--bank-account", default="main", help="where the settled net landed (ops:bank:<this>)")
    sp = rsub.add_parser("bank", help="a bank statement (CSV or camt.053 XML)")
    sp.add_argument("file", type=Path)
    sp.add_argument("--currency", default="BRL", help="the statement's currency (CSV; camt.053 says it)")

    sp = sub.add_parser("close", help="the day's close: trial balance, escrow roll-forward, liabilities, fees, exceptions")
    sp.add_argument("--date", type=_day, default=date.today())
    sp.add_argument("--out", type=Path, default=ROOT / ".local" / "close")

    sub.add_parser("verify", help="recompute the hash chain, check every invariant and every read model")

    sp = sub.add_parser("wait", help="wait until everything published is posted, relayed and projected")
    sp.add_argument("--timeout-s", type=float, default=300)

    sp = sub.add_parser("balances", help="seller balances, top sellers by escrow")
    sp.add_argument("--top", type=_positive, default=15)
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sp = sub.add_parser("trial-balance", help="trial balance per account family, from the journal")
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sp = sub.add_parser("report", help="balances, trial balance, counts and rejections")
    sp.add_argument("--top", type=_positive, default=15)
    return p


def _run_worker(build, settings: Settings, idle_exit_s: float | None) -> int:
    """Run a worker; when PostgreSQL or Kafka goes away, build it again once they answer
    (runloop.reconnecting): it resumes from its stored offsets."""
    stop = Stop().install()

    def once() -> None:
        worker = build(settings)
        tune_gc()
        try:
            worker.run(stop, idle_exit_s=idle_exit_s)
        finally:
            bootstrap.close_connections(worker)

    reconnecting(once, what=build.__name__, stop=stop)
    return 0


def run(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd in ("supervise", "status"):
        return _supervision(args)
    settings = Settings.from_env()
    if cmd == "migrate":
        bootstrap.prepare(settings)
        print("migrations applied; topics ready")
        return 0
    if cmd == "post":
        return _run_worker(bootstrap.posting_consumer, settings, args.idle_exit_s)
    if cmd == "relay":
        return _run_worker(bootstrap.relay, settings, args.idle_exit_s)
    if cmd == "project":
        return _run_worker(bootstrap.projection_worker, settings, args.idle_exit_s)
    if cmd == "simulate":
        return _simulate(settings, args)
    if cmd == "story":
        from services.simulators import story

        with db.connect(settings.database_url) as conn:
            story.run(settings, conn, args.date, args.orders, args.sellers, settings.escrow_window_days,
                      ROOT / ".local" / "payouts")
        return 0
    if cmd in ("release", "release-scheduler"):
        return _release(settings, args)
    if cmd in ("payouts", "bank"):
        return _payouts(settings, args)
    if cmd in ("exceptions", "adjust"):
        return _controls(settings, args)
    if cmd == "reconcile":
        return _reconcile(settings, args)
    with db.connect(settings.database_url) as conn:
        if cmd == "rebuild":
            from projections.rebuild import rebuild

            print(f"read models rebuilt from the journal up to seq {rebuild(conn)}")
        elif cmd == "wait":
            progress.wait_caught_up(settings, conn, args.timeout_s)
            print("pipeline caught up: everything published is posted, relayed and projected")
        elif cmd == "balances":
            print(reports.seller_balances(conn, args.top, args.format))
        elif cmd == "trial-balance":
            text, balanced = reports.trial_balance(conn, args.format)
            print(text)
            return 0 if balanced else 1
        elif cmd == "report":
            return _report(conn, args.top)
        elif cmd == "close":
            from services.closing import close

            day = close.compute(conn, args.date)
            print(close.render(day))
            js, cs = close.write(day, args.out)
            print(f"\nwritten: {js}  {cs}")
            return 0 if all(r["ties"] for r in day["escrow_roll_forward"]) else 1
        elif cmd == "verify":
            from services.closing.verify import verify

            report = verify(conn)
            print(report.text())
            return 0 if report.ok else 1
        elif cmd == "statement":
            from services.statements import statement

            text, _closing = statement.render(conn, args.seller_id, args.start, args.end, args.currency, args.format)
            print(text)
    return 0


def _supervision(args: argparse.Namespace) -> int:
    from services.runtime import supervisor

    if args.command == "supervise":
        names = args.workers.split()
        unknown = [n for n in names if n not in WORKERS]
        if unknown or not names:
            raise ConfigError(f"--workers: unknown {' '.join(unknown) or '(none given)'}; known: {' '.join(WORKERS)}")
        args.state.parent.mkdir(parents=True, exist_ok=True)
        args.logs.mkdir(parents=True, exist_ok=True)
        argv = {n: [sys.executable, "-m", "services.entrypoints.cli.main", "--log-level", args.log_level, *WORKERS[n]]
                for n in names}
        supervisor.Supervisor(argv, args.state, args.logs).run(Stop().install())
        return 0
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


def _simulate(settings: Settings, args: argparse.Namespace) -> int:
    from services.adapters.kafka import topics
    from services.adapters.kafka.publish import publish
    from services.simulators.storefront import marketplace_day, messy_deliveries
    from services.adapters.avro import SchemaRegistry

    registry = SchemaRegistry.from_dir()
    producer = bootstrap.producer(settings)
    day = marketplace_day(args.date, args.orders, args.sellers, args.seed, args.run_id)
    topic = settings.topic(topics.ORDERS)
    n = publish(producer, topic, registry, day)
    print(f"published {n} orders for {args.date} to {topic}")
    if args.messy:
        m = messy_deliveries(producer, topic, registry, day)
        print(f"also published {m.duplicates} redeliveries, {m.conflicts} conflicting duplicate, {m.poison} poison messages")
    return 0


def _release(settings: Settings, args: argparse.Namespace) -> int:
    from services.release import scheduler
    from services.adapters.avro import SchemaRegistry

    registry = SchemaRegistry.from_dir()
    now = lambda: datetime.now(timezone.utc)  # noqa: E731
    if args.command == "release":
        with db.connect(settings.database_url) as conn:
            as_of = args.as_of or now()
            n = scheduler.run_once(settings, conn, bootstrap.producer(settings), registry, as_of)
            print(f"published {n} ReleaseEscrow commands as of {as_of.isoformat()}")
        return 0
    stop = Stop().install()

    def once() -> None:
        with db.connect(settings.database_url, application_name="splitbook-release-scheduler") as conn:
            scheduler.run_forever(settings, conn, bootstrap.producer(settings), registry, now, args.interval_s, stop)

    reconnecting(once, what="release_scheduler", stop=stop)
    return 0


def _payouts(settings: Settings, args: argparse.Namespace) -> int:
    from services.simulators import bank as simulator
    from services.payouts import files, scheduler
    from services.adapters.avro import SchemaRegistry

    registry = SchemaRegistry.from_dir()
    if args.command == "payouts" and args.payouts_command == "scheduler":
        stop = Stop().install()

        def once() -> None:
            with db.connect(settings.database_url, application_name="splitbook-payout-scheduler") as conn:
                scheduler.run_daily(settings, conn, bootstrap.producer(settings), registry, _clock_time(args.at),
                                    args.out, lambda: datetime.now(timezone.utc), stop)

        reconnecting(once, what="payout_scheduler", stop=stop)
        return 0
    with db.connect(settings.database_url) as conn:
        if args.command == "bank":
            if not args.file.is_file():
                raise ConfigError(f"no such file: {args.file}")
            batch, results = simulator.settle(settings, bootstrap.producer(settings), registry, args.file.read_bytes(),
                                              args.failure_rate, args.seed, args.parts, datetime.now(timezone.utc))
            failed = sum(r["status"] == "FAILED" for r in results)
            print(f"{batch.batch_id}: {len(results) - failed} settled, {failed} failed, confirmed in {args.parts} message(s)")
        elif args.payouts_command == "run":
            created = scheduler.run(settings, conn, bootstrap.producer(settings), registry, args.date,
                                    args.as_of or datetime.now(timezone.utc), args.out)
            progress.wait_caught_up(settings, conn, 120)
            print(reports.payout_batches(conn, created) if created else f"no seller is due a payout on {args.date}")
            for b in created:
                print(f"  files: {args.out / (b + '.csv')}  {args.out / (b + '.pain001.xml')}")
        elif args.payouts_command == "files":
            for fmt, path in files.write_files(conn, args.batch_id, args.out).items():
                print(f"{fmt}: {path}")
        else:
            print(reports.payout_batches(conn, None, args.format))
    return 0


def _controls(settings: Settings, args: argparse.Namespace) -> int:
    from services.controls import adjustments, exceptions_queue as queue
    from services.domain.errors import Rejected
    from services.adapters.avro import SchemaRegistry

    with db.connect(settings.database_url, role="splitbook_operator") as conn:
        if args.command == "exceptions":
            action = args.exceptions_command
            if action == "list":
                rows = queue.list_(conn, args.status, args.reason, args.limit)
                print(reports.render(("id", "created", "status", "reason", "source", "subject", "amount", "assignee",
                                      "detail"), rows, args.format, right=(0, 6)))
            elif action == "show":
                for k, v in queue.show(conn, args.exception_id).items():
                    if k == "payload" and v is not None:
                        v = f"{len(v)} bytes: {bytes(v)[:48].hex()}{'...' if len(v) > 48 else ''}"
                    print(f"{k:>24}: {v}")
            elif action == "assign":
                queue.assign(conn, args.exception_id, args.to, args.by)
                print(f"exception {args.exception_id} assigned to {args.to}")
            else:
                queue.resolve(conn, args.exception_id, args.by, args.note, args.write_off, args.transaction)
                print(f"exception {args.exception_id} {'written off' if args.write_off else 'resolved'}")
            return 0
        action = args.adjust_command
        try:
            if action == "propose":
                adj_id = adjustments.propose(conn, args.by, args.reason_code, args.reason, args.currency, args.posting,
                                             settings.two_approvals_above_minor, args.exception)
                print(f"{adj_id} proposed by {args.by}; waiting for approval")
            elif action == "approve":
                outcome = adjustments.approve(settings, conn, bootstrap.producer(settings), SchemaRegistry.from_dir(),
                                              args.adjustment_id, args.by, datetime.now(timezone.utc))
                print({"approved": f"{args.adjustment_id} approved by {args.by}: submitted to the ledger",
                       "waiting": f"{args.adjustment_id} approved by {args.by}: needs another approver",
                       "repeated": f"{args.adjustment_id}: {args.by} had already approved it"}[outcome])
            else:
                rows = conn.execute(
                    "SELECT a.adjustment_id, a.created_at::timestamp(0), a.proposer, a.currency, a.amount_minor,"
                    " a.required_approvals, a.status, coalesce(string_agg(p.approver, ', '), '') FROM adjustments a"
                    " LEFT JOIN adjustment_approvals p USING (adjustment_id) GROUP BY a.adjustment_id ORDER BY 2"
                ).fetchall()
                print(reports.render(("id", "created", "proposer", "currency", "amount", "needs", "status", "approvers"),
                                     rows, "table", right=(4, 5)))
        except Rejected as r:
            raise ConfigError(f"{r.reason.value}: {r.detail}") from r
    return 0


def _reconcile(settings: Settings, args: argparse.Namespace) -> int:
    from collections import Counter

    from services.reconciliation import bank

    from services.reconciliation import gateway
    from services.adapters.avro import SchemaRegistry

    if not args.file.is_file():
        raise ConfigError(f"no such file: {args.file}")
    with db.connect(settings.database_url, role="splitbook_operator") as conn:
        if args.reconcile_command == "gateway":
            out = gateway.reconcile(conn, args.file)
        else:
            out = bank.reconcile(conn, args.file, args.currency)
    if out.already:
        print(f"{args.file.name} (sha256 {out.sha256[:16]}...) was already imported: nothing changed")
        return 0
    r = out.result
    found = Counter(f.reason for f in r.findings)
    print(f"{args.file.name}: {len(r.matched)} matched, {len(r.findings)} exceptions"
          + "".join(f"\n  {reason}: {n}" for reason, n in sorted(found.items())))
    if args.reconcile_command == "gateway" and out.deposit_minor != 0:
        from services.adapters.kafka import topics
        from services.adapters.kafka.publish import publish

        publish(bootstrap.producer(settings), settings.topic(topics.COMMANDS), SchemaRegistry.from_dir(), [{
            "event_id": f"deposit:{out.sha256[:32]}", "occurred_at": datetime.now(timezone.utc),
            "gateway": out.gateway, "bank_account": args.bank_account, "currency": out.currency,
            "amount": out.deposit_minor, "report_sha256": out.sha256}], name="SettleGatewayDeposit")
        if out.deposit_minor > 0:
            print(f"  deposit of {reports.format_minor(out.deposit_minor, out.currency)} from ops:pool:{out.gateway}"
                  f" to ops:bank:{args.bank_account} submitted to the ledger")
        else:
            print(f"  debit of {reports.format_minor(-out.deposit_minor, out.currency)} by {out.gateway}"
                  f" from ops:bank:{args.bank_account} (a negative net) submitted to the ledger")
    return 0


def _report(conn, top: int) -> int:
    c = reports.counts(conn)
    print(f"\nSeller balances (top {top} by escrow)\n")
    print(reports.seller_balances(conn, top))
    print("\nPayout batches\n")
    print(reports.payout_batches(conn))
    print("\nOrders by escrow status\n")
    print(reports.orders_by_status(conn))
    text, balanced = reports.trial_balance(conn)
    print("\nTrial balance by account family (from the journal)\n")
    print(text)
    print("\nRejections by reason\n")
    print(reports.rejections(conn))
    print(f"\nposted transactions: {c['transactions_posted']:,}   postings: {c['postings']:,}   "
          f"rejected: {c['rejected']:,}   parked: {c['parked']:,}   read models at seq: {c['projected_seq']:,}")
    print("trial balance: " + ("debits = credits in every currency" if balanced else "UNBALANCED"))
    return 0 if balanced else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level)
    try:
        return run(args)
    except ConfigError as e:
        print(f"splitbook: error: {e}", file=sys.stderr)
        return 2
    except SplitbookError as e:
        print(f"splitbook: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `splitbook ... | head`
        sys.stderr.close()
        return 0
    except psycopg.Error as e:  # one that no adapter translated: still one line
        print(f"splitbook: error: PostgreSQL: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}",
              file=sys.stderr)
        return 1
    except Exception as e:  # a bug: one line here, the traceback in the structured log
        log.debug("unexpected_error", command=args.command, exc_info=True)
        print(f"splitbook: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
              file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
