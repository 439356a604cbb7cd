"""splitbook reconcile | close | gl export | verify | statement | balances | trial-balance | report:
closing the books and what people read."""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from datetime import date
from pathlib import Path

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres import db
from services.controls import audit
from services.domain.errors import ConfigError
from services.domain.money import format_minor, is_currency
from services.entrypoints import bootstrap
from services.entrypoints.cli.args import Parser, day, now, positive
from services.entrypoints.cli.operators import acting
from services.entrypoints.settings import ROOT, Settings
from services.statements import reports


def register(sub) -> None:
    rec = sub.add_parser("reconcile", help="reconcile a gateway report or a bank statement against the journal")
    rsub = rec.add_subparsers(dest="reconcile_command", required=True, metavar="KIND", parser_class=Parser)
    sp = rsub.add_parser("gateway", help="a gateway settlement report (CSV)")
    sp.add_argument("file", type=Path)
    sp.add_argument("--bank-account", default="main", help="where the settled net landed (ops:bank:<this>)")
    sp.set_defaults(handler=reconcile)
    sp = rsub.add_parser("bank", help="a bank statement (CSV or camt.053 XML)")
    sp.add_argument("file", type=Path)
    sp.add_argument("--currency", default="BRL", help="the statement's currency (CSV; camt.053 says it)")
    sp.set_defaults(handler=reconcile)

    sp = sub.add_parser("close", help="the day's close: trial balance, escrow roll-forward, liabilities, fees, exceptions")
    sp.add_argument("--date", type=day, default=date.today())
    sp.add_argument("--out", type=Path, default=ROOT / ".local" / "close")
    sp.set_defaults(handler=close)
    sub.add_parser("verify", help="recompute the hash chain, check every invariant and every read model"
                   ).set_defaults(handler=verify)

    sp = sub.add_parser("statement", help="a seller's statement: every movement with a running balance")
    sp.add_argument("seller_id")
    sp.add_argument("--from", dest="start", type=day, default=date(1970, 1, 1))
    sp.add_argument("--to", dest="end", type=day, default=date(9999, 12, 30))
    sp.add_argument("--currency", default=None)
    sp.add_argument("--format", choices=("table", "csv"), default="table")
    sp.set_defaults(handler=statement)
    sp = sub.add_parser("balances", help="seller balances, top sellers by escrow")
    sp.add_argument("--top", type=positive, default=15)
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sp.set_defaults(handler=balances)
    sp = sub.add_parser("sales", help="gross sales, refunds, fees and take rate by seller, category, channel, region, date")
    sp.add_argument("--by", type=sales_dimensions, default=["category"],
                    help=f"comma-separated, of {reports.DIMENSION_NAMES} (default category)")
    sp.add_argument("--from", dest="start", type=day, default=None, help="first sale date (UTC)")
    sp.add_argument("--to", dest="end", type=day, default=None, help="last sale date (UTC)")
    sp.add_argument("--currency", type=currency_code, default=None)
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sp.set_defaults(handler=sales)
    sp = sub.add_parser("trial-balance", help="trial balance per account family, from the journal")
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sp.set_defaults(handler=trial_balance)
    gl = sub.add_parser("gl", help="the general ledger: a day's postings as the company's journal entries")
    glsub = gl.add_subparsers(dest="gl_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = glsub.add_parser("export", help="one balanced journal entry per currency for a day, by GL account (CSV, JSON)")
    sp.add_argument("--date", type=day, required=True, help="the UTC day, by when transactions were recorded")
    sp.add_argument("--mapping", type=Path, default=None,
                    help="account families -> GL accounts (TOML; default: services/closing/gl_mapping.toml)")
    sp.add_argument("--out", type=Path, default=ROOT / ".local" / "gl")
    sp.set_defaults(handler=gl_export)
    sp = sub.add_parser("report", help="balances, trial balance, counts and rejections")
    sp.add_argument("--top", type=positive, default=15)
    sp.set_defaults(handler=report)


def _connect():
    return db.connect(Settings.from_env().database_url)


def reconcile(args) -> int:
    from services.reconciliation import bank, gateway

    settings = Settings.from_env()
    if not args.file.is_file():
        raise ConfigError(f"no such file: {args.file}")
    with acting("reconcile.import") as (conn, op):
        if args.reconcile_command == "gateway":
            out = gateway.reconcile(conn, args.file)
        else:
            out = bank.reconcile(conn, args.file, args.currency)
        audit.record(conn, op.name, f"{args.reconcile_command}_file_imported", args.file.name, sha256=out.sha256,
                     already=out.already)
    if out.already:
        print(f"{args.file.name} (sha256 {out.sha256[:16]}...) was already imported: nothing changed")
        return 0
    r = out.result
    found = Counter(f.reason for f in r.findings)
    print(f"{args.file.name}: {len(r.matched)} matched, {len(r.findings)} exceptions"
          + "".join(f"\n  {reason}: {n}" for reason, n in sorted(found.items())))
    if getattr(out, "pending", 0):
        print(f"  {out.pending} entries the bank has not booked yet: listed, not matched")
    if args.reconcile_command == "bank" and out.returns:
        from services.reconciliation import bank

        bank.publish_returns(settings, bootstrap.producer(settings), SchemaRegistry.from_dir(), out.returns, now())
        print(f"  {len(out.returns)} returned payout(s) submitted to the ledger: back on the sellers' payables")
    if args.reconcile_command == "gateway" and out.deposit_minor != 0:
        from services.adapters.kafka import topics
        from services.adapters.kafka.publish import publish

        publish(bootstrap.producer(settings), settings.topic(topics.COMMANDS), SchemaRegistry.from_dir(), [{
            "event_id": f"deposit:{out.sha256[:32]}", "occurred_at": now(),
            "gateway": out.gateway, "bank_account": args.bank_account, "currency": out.currency,
            "amount": out.deposit_minor, "report_sha256": out.sha256}], name="SettleGatewayDeposit")
        if out.deposit_minor > 0:
            print(f"  deposit of {reports.format_minor(out.deposit_minor, out.currency)} from ops:pool:{out.gateway}"
                  f" to ops:bank:{args.bank_account} submitted to the ledger")
        else:
            print(f"  debit of {reports.format_minor(-out.deposit_minor, out.currency)} by {out.gateway}"
                  f" from ops:bank:{args.bank_account} (a negative net) submitted to the ledger")
    return 0


def close(args) -> int:
    from services.closing import close as day_close

    with _connect() as conn:
        closed = day_close.compute(conn, args.date)
    print(day_close.render(closed))
    js, cs = day_close.write(closed, args.out)
    print(f"\nwritten: {js}  {cs}")
    return 0 if all(r["ties"] for r in closed["escrow_roll_forward"] + closed["reserve_roll_forward"]) else 1


def gl_export(args) -> int:
    from services.adapters.postgres import closing as store
    from services.closing import gl_export as gl
    from services.reconciliation.files import utc_days

    mapping = gl.load_mapping(args.mapping or gl.DEFAULT_MAPPING)
    lo, hi = utc_days(args.date, args.date)
    with _connect() as conn, conn.transaction():
        export = gl.summarise(args.date, store.day_postings(conn, lo, hi), mapping)
        gaps = gl.ties(export, gl.by_family(store.account_totals_before(conn, lo)),
                       gl.by_family(store.account_totals_before(conn, hi)))
        if gaps:
            raise ConfigError(f"the export of {args.date} does not tie to the trial balance: {gaps[0]}")
        csv_bytes, json_bytes = gl.render_csv(export), gl.render_json(export)
        sums = hashlib.sha256(csv_bytes).hexdigest(), hashlib.sha256(json_bytes).hexdigest()
        earlier = store.gl_exports_of(conn, args.date)
        store.record_gl_export(conn, args.date, mapping.sha256, *sums,
                               sum(len(e["lines"]) for e in export["entries"]), export["first_seq"], export["last_seq"])
    args.out.mkdir(parents=True, exist_ok=True)
    paths = args.out / f"gl-{args.date}.csv", args.out / f"gl-{args.date}.json"
    paths[0].write_bytes(csv_bytes)
    paths[1].write_bytes(json_bytes)
    for e in export["entries"]:
        print(f"{e['entry']}: {len(e['lines'])} lines, debits = credits = "
              f"{format_minor(e['debit_minor'], e['currency'])}")
        print(reports.table(("gl account", "name", "debit", "credit", "seqs"),
                            [(x["gl_account"], x["gl_name"], format_minor(x["debit_minor"], e["currency"]),
                              format_minor(x["credit_minor"], e["currency"]), f"{x['first_seq']}-{x['last_seq']}")
                             for x in e["lines"]], right=(2, 3)))
    if not export["entries"]:
        print(f"nothing was recorded on {args.date}: empty entries")
    print(f"ties to the trial balance; written: {paths[0]}  {paths[1]} (csv sha256 {sums[0][:16]}...)")
    same = [x for x in earlier if x[0] == mapping.sha256]
    if same:
        verdict = "the same files as" if (same[-1][1], same[-1][2]) == sums else "DIFFERENT files from"
        print(f"{verdict} the export of {same[-1][3]:%Y-%m-%d %H:%M:%S} with this mapping")
    return 0


def verify(args) -> int:
    from services.closing.verify import verify as verify_ledger

    with _connect() as conn:
        found = verify_ledger(conn)
    print(found.text())
    return 0 if found.ok else 1


def statement(args) -> int:
    from services.statements import statement as seller_statement

    with _connect() as conn:
        text, _closing = seller_statement.render(conn, args.seller_id, args.start, args.end, args.currency,
                                                 args.format)
    print(text)
    return 0


def balances(args) -> int:
    with _connect() as conn:
        print(reports.seller_balances(conn, args.top, args.format))
    return 0


def currency_code(value: str) -> str:
    if not is_currency(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 4217 currency")
    return value


def sales_dimensions(value: str) -> list[str]:
    dims = reports.sales_dimensions(value)
    if dims is None:
        raise argparse.ArgumentTypeError(f"{value!r}: dimensions are {reports.DIMENSION_NAMES}")
    return dims


def sales(args) -> int:
    with _connect() as conn:
        print(reports.sales(conn, args.by, args.start, args.end, args.currency, args.format))
    return 0


def trial_balance(args) -> int:
    with _connect() as conn:
        text, balanced = reports.trial_balance(conn, args.format)
    print(text)
    return 0 if balanced else 1


def report(args) -> int:
    with _connect() as conn:
        c = reports.counts(conn)
        print(f"\nSeller balances (top {args.top} by escrow)\n")
        print(reports.seller_balances(conn, args.top))
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
