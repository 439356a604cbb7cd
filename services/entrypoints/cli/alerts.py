"""splitbook alerts check | worker: the alert rules over the journal and the read models
(services/domain/alerts.py); each new breach is raised once, as an exception."""

from __future__ import annotations

from services.adapters.postgres import db
from services.entrypoints.cli.args import instant, now, positive
from services.entrypoints.settings import Settings
from services.runtime import metrics
from services.runtime.runloop import Stop, reconnecting


def register(sub) -> None:
    sp = sub.add_parser("alerts", help="alert rules: check once, or run the alerts worker")
    verbs = sp.add_subparsers(dest="alerts_command", required=True, metavar="VERB")
    c = verbs.add_parser("check", help="evaluate the rules once and raise each new breach as an exception")
    c.add_argument("--as-of", type=instant, default=None, help="evaluate as of this time (ISO 8601), default now")
    c.set_defaults(handler=check)
    w = verbs.add_parser("worker", help="evaluate the rules every interval (started by make up)")
    w.add_argument("--interval-s", type=float, default=30.0)
    w.add_argument("--metrics-port", type=positive, default=None, help="serve Prometheus /metrics on this port")
    w.set_defaults(handler=worker)


def check(args) -> int:
    from services.alerts import worker as alerts

    settings = Settings.from_env()
    with db.connect(settings.database_url, role="splitbook_alerts", application_name="splitbook-alerts") as conn:
        raised = alerts.run_once(conn, settings.alert_thresholds(), args.as_of or now())
    for eid, b in raised:
        print(f"raised exception {eid} {b.rule.value}: {b.detail}")
    print(f"{len(raised)} new alerts")
    return 0


def worker(args) -> int:
    from services.alerts import worker as alerts

    settings = Settings.from_env()
    stop = Stop().install()
    metrics.serve(args.metrics_port)

    def once() -> None:
        with db.connect(settings.database_url, role="splitbook_alerts", application_name="splitbook-alerts") as conn:
            alerts.run_forever(conn, settings.alert_thresholds(), now, args.interval_s, stop)

    reconnecting(once, what="alerts_worker", stop=stop)
    return 0
