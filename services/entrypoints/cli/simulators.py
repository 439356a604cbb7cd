"""splitbook simulate | story | bank settle: the simulators (not the product) — a
storefront publishing a marketplace day, the demo's story, a bank settling a pain.001."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from services.adapters.postgres import db
from services.domain.errors import ConfigError
from services.entrypoints import bootstrap
from services.entrypoints.cli.args import Parser, day, now, positive, rate
from services.entrypoints.settings import ROOT, Settings


def register(sub) -> None:
    sp = sub.add_parser("simulate", help="publish a simulated marketplace day to marketplace.orders")
    sp.add_argument("--date", type=day, default=date.today(), help="the day (YYYY-MM-DD), default today")
    sp.add_argument("--orders", type=positive, default=2500)
    sp.add_argument("--sellers", type=positive, default=60)
    sp.add_argument("--seed", type=int, default=7)
    sp.add_argument("--run-id", default="", help="suffix for order ids, to publish the same day again")
    sp.add_argument("--messy", action="store_true", help="also redeliver, conflict and send poison messages")
    sp.set_defaults(handler=simulate)

    sp = sub.add_parser("story", help="publish the demo's storyline: profiles, two days, refunds, disputes, release")
    sp.add_argument("--date", type=day, default=date.today(), help="today (YYYY-MM-DD)")
    sp.add_argument("--orders", type=positive, default=2500, help="orders per day")
    sp.add_argument("--sellers", type=positive, default=60)
    sp.set_defaults(handler=story)

    bank = sub.add_parser("bank", help="the simulated bank adapter")
    bsub = bank.add_subparsers(dest="bank_command", required=True, metavar="ACTION", parser_class=Parser)
    sp = bsub.add_parser("settle", help="settle or fail each transfer of a pain.001 or CNAB 240 file and answer it")
    sp.add_argument("file", type=Path)
    sp.add_argument("--failure-rate", type=rate, default=0.05)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--parts", type=positive, default=1, help="answer in this many files")
    sp.add_argument("--no-confirm", dest="confirm", action="store_false",
                    help="only write the answers; read them later with `splitbook payouts confirm FILE`")
    sp.set_defaults(handler=bank_settle)


def simulate(args) -> int:
    from services.adapters.avro import SchemaRegistry
    from services.adapters.kafka import topics
    from services.adapters.kafka.publish import publish
    from services.simulators.storefront import marketplace_day, messy_deliveries

    settings = Settings.from_env()
    registry = SchemaRegistry.from_dir()
    producer = bootstrap.producer(settings)
    orders = marketplace_day(args.date, args.orders, args.sellers, args.seed, args.run_id)
    topic = settings.topic(topics.ORDERS)
    n = publish(producer, topic, registry, orders)
    print(f"published {n} orders for {args.date} to {topic}")
    if args.messy:
        m = messy_deliveries(producer, topic, registry, orders)
        print(f"also published {m.duplicates} redeliveries, {m.conflicts} conflicting duplicate, {m.poison} poison messages")
    return 0


def story(args) -> int:
    from services.simulators import story as demo_story

    settings = Settings.from_env()
    with db.connect(settings.database_url) as conn:
        demo_story.run(settings, conn, args.date, args.orders, args.sellers, settings.escrow_window_days,
                       ROOT / ".local" / "payouts")
    return 0


def bank_settle(args) -> int:
    from services.adapters.avro import SchemaRegistry
    from services.payouts import answers
    from services.simulators import bank

    settings = Settings.from_env()
    if not args.file.is_file():
        raise ConfigError(f"no such file: {args.file}")
    at = now()
    results, replies = bank.settle_file(args.file, args.failure_rate, args.seed, args.parts, at)
    failed = sum(r["status"] == "FAILED" for r in results)
    print(f"{args.file.name}: {len(results) - failed} settled, {failed} failed; the bank answered in"
          f" {', '.join(str(r) for r in replies)}")
    if args.confirm:
        with db.connect(settings.database_url) as conn:
            for reply in replies:
                answers.confirm(settings, conn, bootstrap.producer(settings), SchemaRegistry.from_dir(),
                                reply.read_bytes(), at)
        print("  ... and the ledger's bank adapter read them (as `splitbook payouts confirm FILE` does)")
    return 0
