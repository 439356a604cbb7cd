"""splitbook release | release-reserves | release-scheduler: ReleaseEscrow commands for
orders whose escrow window has passed, ReleaseReserve for reserves past their period."""

from __future__ import annotations

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres import db
from services.entrypoints import bootstrap
from services.entrypoints.cli.args import instant, now, positive
from services.entrypoints.settings import Settings
from services.runtime import metrics
from services.runtime.runloop import Stop, reconnecting


def register(sub) -> None:
    sp = sub.add_parser("release", help="publish ReleaseEscrow for every order whose escrow window has passed")
    sp.add_argument("--as-of", type=instant, default=None, help="the time to release as of (ISO 8601), default now")
    sp.set_defaults(handler=release)
    sp = sub.add_parser("release-reserves",
                        help="publish ReleaseReserve for every seller whose reserve holds amounts past their period")
    sp.add_argument("--as-of", type=instant, default=None, help="the time to release as of (ISO 8601), default now")
    sp.set_defaults(handler=release_reserves)
    sp = sub.add_parser("release-scheduler",
                        help="run the release scheduler (release and release-reserves --as-of now, every interval)")
    sp.add_argument("--interval-s", type=float, default=60.0)
    sp.add_argument("--metrics-port", type=positive, default=None, help="serve Prometheus /metrics on this port")
    sp.set_defaults(handler=release_scheduler)


def release(args) -> int:
    from services.release import scheduler

    return _publish_once(scheduler, "ReleaseEscrow", args.as_of)


def release_reserves(args) -> int:
    from services.release import reserves

    return _publish_once(reserves, "ReleaseReserve", args.as_of)


def _publish_once(scheduler, command: str, as_of) -> int:
    """One pass of a scheduler (its run_once) as of as_of, default now."""
    settings = Settings.from_env()
    with db.connect(settings.database_url) as conn:
        as_of = as_of or now()
        n = scheduler.run_once(settings, conn, bootstrap.producer(settings), SchemaRegistry.from_dir(), as_of)
    print(f"published {n} {command} commands as of {as_of.isoformat()}")
    return 0


def release_scheduler(args) -> int:
    from services.release import scheduler

    settings = Settings.from_env()
    registry = SchemaRegistry.from_dir()
    stop = Stop().install()
    metrics.serve(args.metrics_port)

    def once() -> None:
        with db.connect(settings.database_url, application_name="splitbook-release-scheduler") as conn:
            scheduler.run_forever(settings, conn, bootstrap.producer(settings), registry, now, args.interval_s, stop)

    reconnecting(once, what="release_scheduler", stop=stop)
    return 0
