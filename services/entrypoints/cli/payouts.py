"""splitbook payouts run | scheduler | files | list: the day's payout batches, made by
the ledger from what it posted, and their bank files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres import db
from services.controls import audit
from services.domain.errors import ConfigError
from services.entrypoints import bootstrap
from services.entrypoints.cli.args import Parser, clock_time, day, instant, now, positive
from services.entrypoints.cli.operators import acting
from services.entrypoints.settings import ROOT, Settings
from services.runtime import metrics, progress
from services.runtime.runloop import Stop, reconnecting
from services.statements import reports

OUT = ROOT / ".local" / "payouts"


def register(sub) -> None:
    pay = sub.add_parser("payouts", help="daily payout batches and their bank files")
    psub = pay.add_subparsers(dest="payouts_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = psub.add_parser("run", help="have the ledger make the day's batches, then write their files")
    sp.add_argument("--date", type=day, default=date.today())
    sp.add_argument("--as-of", type=instant, default=None, help="profiles in force at (default now)")
    sp.add_argument("--out", type=Path, default=OUT, help="where files go")
    sp.set_defaults(handler=run)
    sp = psub.add_parser("scheduler", help="run the day's payouts every day at --at (UTC)")
    sp.add_argument("--at", default="06:00", help="HH:MM")
    sp.add_argument("--out", type=Path, default=OUT)
    sp.add_argument("--metrics-port", type=positive, default=None, help="serve Prometheus /metrics on this port")
    sp.set_defaults(handler=scheduler)
    sp = psub.add_parser("files", help="(re)write a batch's CSV and bank file (pain.001 or CNAB 240)")
    sp.add_argument("batch_id")
    sp.add_argument("--out", type=Path, default=OUT)
    sp.set_defaults(handler=files)
    sp = psub.add_parser("confirm", help="read the bank's answer (pain.002 or CNAB 240 retorno) and confirm the batch")
    sp.add_argument("file", type=Path)
    sp.set_defaults(handler=confirm)
    sp = psub.add_parser("list", help="payout batches with their status")
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sp.set_defaults(handler=list_batches)


def run(args) -> int:
    from services.payouts import scheduler as payouts

    settings = Settings.from_env()
    with acting("payouts.run", role=None) as (conn, op):
        audit.record(conn, op.name, "payouts_run", args.date.isoformat())
        created = payouts.run(settings, conn, bootstrap.producer(settings), SchemaRegistry.from_dir(), args.date,
                              args.as_of or now(), args.out)
        progress.wait_caught_up(settings, conn, 120)
        print(reports.payout_batches(conn, created) if created else f"no seller is due a payout on {args.date}")
    from services.payouts import files as bank_files

    for b in created:
        sent = bank_files.sent_file(args.out, b)
        if sent is not None:
            print(f"  files: {args.out / (b + '.csv')}  {sent}")
        else:
            print(f"  {b}: HELD, its bank file could not be made (splitbook exceptions list --reason PAYOUT_FILE_REFUSED)")
    return 0


def scheduler(args) -> int:
    from services.payouts import scheduler as payouts

    settings = Settings.from_env()
    at = clock_time(args.at)
    registry = SchemaRegistry.from_dir()
    stop = Stop().install()
    metrics.serve(args.metrics_port)

    def once() -> None:
        with db.connect(settings.database_url, application_name="splitbook-payout-scheduler") as conn:
            payouts.run_daily(settings, conn, bootstrap.producer(settings), registry, at, args.out, now, stop)

    reconnecting(once, what="payout_scheduler", stop=stop)
    return 0


def files(args) -> int:
    from services.payouts import files as bank_files

    with acting("payouts.run", role=None) as (conn, op):
        audit.record(conn, op.name, "payout_files_written", args.batch_id)
        for fmt, path in bank_files.write_files(conn, args.batch_id, args.out,
                                                bank_files.Debtor.from_settings(Settings.from_env())).items():
            print(f"{fmt}: {path}")
    return 0


def confirm(args) -> int:
    from services.payouts import answers

    if not args.file.is_file():
        raise ConfigError(f"no such file: {args.file}")
    settings = Settings.from_env()
    with acting("payouts.confirm", role=None) as (conn, op):
        audit.record(conn, op.name, "bank_answer_read", args.file.name)
        c = answers.confirm(settings, conn, bootstrap.producer(settings), SchemaRegistry.from_dir(),
                            args.file.read_bytes(), now())
    if c is None:
        print(f"{args.file.name}: nothing final yet (accepted or pending): nothing confirmed")
    else:
        failed = sum(r["status"] == "FAILED" for r in c["results"])
        print(f"{c['batch_id']}: {len(c['results']) - failed} settled, {failed} failed, submitted to the ledger")
    return 0


def list_batches(args) -> int:
    with db.connect(Settings.from_env().database_url) as conn:
        print(reports.payout_batches(conn, None, args.format))
    return 0
