"""splitbook: the ledger's command line. Each command group lives in its own module
(pipeline, simulators, release, payouts, controls, books, operators, alerts, api) and registers
its verbs here.

Every error is one readable line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import sys

import psycopg
import structlog

from services.domain.errors import ConfigError, Forbidden, SplitbookError, Unauthenticated
from services.entrypoints.cli import alerts, api, books, controls, operators, payouts, pipeline, release, simulators
from services.entrypoints.cli.args import Parser
from services.runtime import logs

log = structlog.get_logger()

GROUPS = (pipeline, simulators, release, payouts, controls, books, operators, alerts, api)


def build_parser() -> Parser:
    p = Parser(prog="splitbook", description="Splitbook: an event-sourced double-entry ledger for marketplaces.")
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level)
    try:
        return args.handler(args)
    except ConfigError as e:
        print(f"splitbook: error: {e}", file=sys.stderr)
        return 2
    except (Unauthenticated, Forbidden) as e:
        print(f"splitbook: {'forbidden' if isinstance(e, Forbidden) else 'unauthenticated'}: {e}", file=sys.stderr)
        return 77  # EX_NOPERM
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
