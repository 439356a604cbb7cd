"""splitbook exceptions ... | adjust ...: the exceptions queue and maker-checker
adjustments, as the operator role."""

from __future__ import annotations

import contextlib

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres import db
from services.domain.errors import ConfigError, Rejected
from services.entrypoints import bootstrap
from services.entrypoints.cli.args import Parser, now, positive, posting
from services.entrypoints.cli.operators import acting
from services.entrypoints.settings import Settings
from services.statements import reports


def register(sub) -> None:
    exc = sub.add_parser("exceptions", help="the exceptions queue")
    esub = exc.add_subparsers(dest="exceptions_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = esub.add_parser("list", help="exceptions, oldest first")
    sp.add_argument("--status", choices=("open", "assigned", "resolved", "written_off"))
    sp.add_argument("--reason", help="a reason code")
    sp.add_argument("--limit", type=positive, default=50)
    sp.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sp.set_defaults(handler=exceptions_list)
    sp = esub.add_parser("show", help="one exception with its original bytes")
    sp.add_argument("exception_id", type=positive)
    sp.set_defaults(handler=exceptions_show)
    sp = esub.add_parser("assign", help="assign to someone")
    sp.add_argument("exception_id", type=positive)
    sp.add_argument("--to", required=True)
    sp.set_defaults(handler=exceptions_assign)
    sp = esub.add_parser("resolve", help="resolve (or write off); never edits the journal")
    sp.add_argument("exception_id", type=positive)
    sp.add_argument("--note", required=True)
    sp.add_argument("--write-off", action="store_true")
    sp.add_argument("--transaction", help="the correcting journal transaction id, if one was needed")
    sp.set_defaults(handler=exceptions_resolve)

    adj = sub.add_parser("adjust", help="manual adjustments with maker-checker")
    asub = adj.add_subparsers(dest="adjust_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = asub.add_parser("propose", help="propose a balanced adjustment (postings in minor units, + debit, - credit)")
    sp.add_argument("--posting", action="append", required=True, type=posting, metavar="ACCOUNT=AMOUNT")
    sp.add_argument("--currency", required=True)
    sp.add_argument("--reason-code", required=True)
    sp.add_argument("--reason", required=True)
    sp.add_argument("--exception", type=positive, help="the exception this corrects")
    sp.set_defaults(handler=adjust_propose)
    sp = asub.add_parser("approve", help="approve (not your own); posts once enough approvers agree")
    sp.add_argument("adjustment_id")
    sp.set_defaults(handler=adjust_approve)
    sp = asub.add_parser("refuse", help="turn a pending adjustment down, with a note: it is never posted")
    sp.add_argument("adjustment_id")
    sp.add_argument("--note", required=True)
    sp.set_defaults(handler=adjust_refuse)
    asub.add_parser("list", help="adjustments with their approvals").set_defaults(handler=adjust_list)


def _operator(settings: Settings):
    return db.connect(settings.database_url, role="splitbook_operator")
# Writes act as the operator whose token is SPLITBOOK_TOKEN (cli.operators.acting): the
# audit log records who that is, never a typed name.


@contextlib.contextmanager
def _refused_in_one_line():
    """A rule's refusal of an adjustment (unbalanced, a protected account, ...) as one line."""
    try:
        yield
    except Rejected as r:
        raise ConfigError(f"{r.reason.value}: {r.detail}") from r


def exceptions_list(args) -> int:
    from services.controls import exceptions_queue as queue

    with _operator(Settings.from_env()) as conn:
        rows = queue.list_(conn, args.status, args.reason, args.limit)
    print(reports.render(("id", "created", "status", "reason", "source", "subject", "amount", "assignee", "detail"),
                         rows, args.format, right=(0, 6)))
    return 0


def exceptions_show(args) -> int:
    from services.controls import exceptions_queue as queue

    with _operator(Settings.from_env()) as conn:
        shown = queue.show(conn, args.exception_id)
    for k, v in shown.items():
        if k == "payload" and v is not None:
            v = f"{len(v)} bytes: {bytes(v)[:48].hex()}{'...' if len(v) > 48 else ''}"
        print(f"{k:>24}: {v}")
    return 0


def exceptions_assign(args) -> int:
    from services.controls import exceptions_queue as queue

    with acting("exceptions.assign") as (conn, op):
        queue.assign(conn, args.exception_id, args.to, op.name)
    print(f"exception {args.exception_id} assigned to {args.to}")
    return 0


def exceptions_resolve(args) -> int:
    from services.controls import exceptions_queue as queue

    with acting("exceptions.resolve") as (conn, op):
        queue.resolve(conn, args.exception_id, op.name, args.note, args.write_off, args.transaction)
    print(f"exception {args.exception_id} {'written off' if args.write_off else 'resolved'}")
    return 0


def adjust_propose(args) -> int:
    from services.controls import adjustments

    settings = Settings.from_env()
    with acting("adjustments.propose") as (conn, op), _refused_in_one_line():
        adj_id = adjustments.propose(conn, op.name, args.reason_code, args.reason, args.currency, args.posting,
                                     settings.two_approvals_above_minor, args.exception)
    print(f"{adj_id} proposed by {op.name}; waiting for approval")
    return 0


def adjust_approve(args) -> int:
    from services.controls import adjustments

    settings = Settings.from_env()
    with acting("adjustments.approve") as (conn, op), _refused_in_one_line():
        outcome = adjustments.approve(settings, conn, bootstrap.producer(settings), SchemaRegistry.from_dir(),
                                      args.adjustment_id, op.name, now())
    print({"approved": f"{args.adjustment_id} approved by {op.name}: submitted to the ledger",
           "waiting": f"{args.adjustment_id} approved by {op.name}: needs another approver",
           "repeated": f"{args.adjustment_id}: {op.name} had already approved it"}[outcome])
    return 0


def adjust_refuse(args) -> int:
    from services.controls import adjustments

    with acting("adjustments.refuse") as (conn, op):
        adjustments.refuse(conn, args.adjustment_id, op.name, args.note)
    print(f"{args.adjustment_id} refused by {op.name}: it will not be posted")
    return 0


def adjust_list(args) -> int:
    from services.controls import adjustments

    with _operator(Settings.from_env()) as conn:
        rows = adjustments.list_(conn)
    print(reports.render(("id", "created", "proposer", "currency", "amount", "needs", "status", "approvers"),
                         rows, "table", right=(4, 5)))
    return 0
