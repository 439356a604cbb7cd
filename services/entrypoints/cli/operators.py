"""splitbook operators add | list | revoke: who may act on the ledger. Every write verb of
the CLI acts as the operator whose token is in SPLITBOOK_TOKEN (`acting`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import psycopg

from services.adapters.postgres import db
from services.controls import operators
from services.controls.operators import Operator
from services.entrypoints.cli.args import Parser
from services.entrypoints.settings import Settings
from services.statements import reports


def register(sub) -> None:
    ops = sub.add_parser("operators", help="operators, their roles and API tokens")
    osub = ops.add_subparsers(dest="operators_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = osub.add_parser("add", help="add an operator and print its API token, once")
    sp.add_argument("name")
    sp.add_argument("--role", required=True, choices=("viewer", "operator", "approver", "admin"))
    sp.add_argument("--as-server", action="store_true",
                    help="add without an admin token, as whoever holds the database's owner credentials (the"
                         " demo, a locked-out team); recorded as 'server' in the audit log")
    sp.set_defaults(handler=add)
    sp = osub.add_parser("list", help="operators with their roles")
    sp.set_defaults(handler=list_operators)
    sp = osub.add_parser("revoke", help="revoke an operator's token (the name stays, for the audit log)")
    sp.add_argument("name")
    sp.set_defaults(handler=revoke)


def token() -> str | None:
    return os.environ.get("SPLITBOOK_TOKEN")


@contextlib.contextmanager
def acting(action: str, role: str | None = "splitbook_operator") -> Iterator[tuple[psycopg.Connection, Operator]]:
    """A connection and the operator (from SPLITBOOK_TOKEN) allowed to take action."""
    with db.connect(Settings.from_env().database_url, role=role) as conn:
        yield conn, operators.acting(conn, token(), action)


def add(args) -> int:
    with db.connect(Settings.from_env().database_url) as conn:
        if operators.bootstrapping(conn) and args.role == "admin":
            by = "bootstrap"  # the first admin, added by whoever runs the server's CLI
        elif args.as_server:
            by = "server"  # the database's owner credentials: the power psql has anyway
        else:
            by = operators.acting(conn, token(), "operators.manage").name
        secret = operators.add(conn, args.name, args.role, by)
    print(f"{args.name} ({args.role}) added by {by}. Its API token, shown this once (only a hash is kept):")
    print(secret)
    return 0


def list_operators(args) -> int:
    with acting("read") as (conn, _op):
        rows = operators.list_(conn)
    print(reports.render(("name", "role", "created", "by", "revoked"), rows, "table"))
    return 0


def revoke(args) -> int:
    with db.connect(Settings.from_env().database_url) as conn:
        by = operators.acting(conn, token(), "operators.manage").name
        operators.revoke(conn, args.name, by)
    print(f"{args.name} revoked by {by}")
    return 0
