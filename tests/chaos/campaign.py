"""The project's own fault campaign (`make chaos`), in the spirit of TigerBeetle's VOPR
and Jepsen: a seeded stream of valid lifecycle events (captures, refunds before and after
release, disputes won and lost, releases, seller profiles, redeliveries) is published
while the real workers (posting consumer, relay, projection
worker, under the real supervisor) are SIGKILLed and SIGSTOPped at random points, and
the broker and PostgreSQL are restarted, gracefully and not. Then SQL checks that
every valid event posted exactly once, the books balance, every read model equals a
fold of the journal, and `splitbook verify` passes. One figure line says how it went.

It runs on the project's local services (`deploy/scripts`), in a database and topics of
its own, so the demo's data is left alone; restarts need the local services (with other
ones, DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS, they are skipped and said so).

    python -m tests.chaos.campaign --orders 400 --kills 6 --seed 7
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
from confluent_kafka import Producer
from psycopg import conninfo, sql

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.config import client_config
from services.adapters.kafka.publish import message_key
from services.adapters.postgres import db
from services.adapters.postgres.migrate import migrate
from services.closing.verify import read_model_differences, verify
from services.domain.errors import TransientError
from services.entrypoints.settings import Settings
from services.runtime import progress
from services.runtime.supervisor import Supervisor
from services.simulators.storefront import marketplace_day

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "deploy" / "scripts"
REGISTRY = SchemaRegistry.from_dir()
WORKERS = ("post", "relay", "project")


@dataclass(frozen=True)
class Plan:
    orders: int = 400
    sellers: int = 40
    kills: int = 6
    stops: int = 2
    pg_restarts: int = 2  # alternately graceful (fast) and immediate
    broker_restarts: int = 2  # alternately graceful (SIGTERM) and SIGKILL
    seed: int = 7
    catch_up_timeout_s: float = 600.0


@dataclass(frozen=True)
class Message:
    topic: str
    name: str
    record: dict
    value: bytes


@dataclass
class Figures:
    seed: int = 0
    events: int = 0  # messages published, redeliveries included
    valid: int = 0  # distinct events, each to be posted (or recorded, profiles) exactly once
    redelivered: int = 0
    kills: int = 0
    stops: int = 0
    broker_restarts: int = 0
    pg_restarts: int = 0
    worker_restarts: int = 0  # by the supervisor
    lost: int = 0
    doubled: int = 0
    rejected: int = 0
    parked: int = 0
    unbalanced: int = 0
    read_model_diffs: int = 0
    verify_ok: bool = False
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (self.verify_ok and not (self.lost or self.doubled or self.rejected or self.parked or self.unbalanced
                                        or self.read_model_diffs))

    def line(self) -> str:
        return (f"chaos seed={self.seed}: events={self.events} (valid {self.valid}, redelivered {self.redelivered})"
                f" kills={self.kills} stops={self.stops} broker_restarts={self.broker_restarts}"
                f" pg_restarts={self.pg_restarts} worker_restarts={self.worker_restarts} | lost={self.lost}"
                f" doubled={self.doubled} rejected={self.rejected} parked={self.parked} unbalanced={self.unbalanced}"
                f" read_model_diffs={self.read_model_diffs} verify={'ok' if self.verify_ok else 'FAILED'}"
                f" | {self.elapsed_s:.0f} s -> {'PASSED' if self.passed else 'FAILED'}")


# -- the stream -------------------------------------------------------------------------

def stream(plan: Plan, today: date) -> list[Message]:
    """Valid events in a seeded random order across topics (a refund may come before its
    capture, a resolution before its dispute), plus redeliveries of some of them. Valid
    whatever the interleaving: orders with disputes are never released or refunded; the
    refunds of an order take at most half of each line, so they post before or after
    its release."""
    rng = random.Random(plan.seed)
    day = today - timedelta(days=40)  # past the 30-day escrow window
    captures = marketplace_day(day, plan.orders, plan.sellers, plan.seed, run_id=f"X{plan.seed}")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    out: list[tuple[str, str, dict]] = []
    sellers = sorted({ln["seller_id"] for c in captures for ln in c["lines"]})
    for s in sellers:
        out.append((topics.SELLERS, "SellerProfileUpdated", {
            "event_id": f"evt_profile_{s}_{plan.seed}", "occurred_at": datetime.combine(
                day - timedelta(days=1), datetime.min.time(), tzinfo=timezone.utc), "seller_id": s,
            "withholding_rate_bp": rng.choice((0, 150, 250)), "payout_minimum": 0, "payout_hold": False,
            "bank_account_ref": f"BANK-{s}"}))
    for c in captures:
        oid, later = c["order_id"], c["occurred_at"] + timedelta(days=rng.randint(1, 20))
        out.append((topics.ORDERS, "OrderCaptured", c))
        fate = rng.random()
        if fate < 0.15:  # disputed: opened, resolved won or lost
            d = f"D_{oid}"
            out.append((topics.DISPUTES, "DisputeOpened", {
                "event_id": f"evt_dispute_{d}", "occurred_at": later, "dispute_id": d, "order_id": oid,
                "amount": max(1, c["amount"] // 5), "reason": "fraud", "currency": None}))
            out.append((topics.DISPUTES, "DisputeResolved", {
                "event_id": f"evt_resolved_{d}", "occurred_at": later + timedelta(days=2), "dispute_id": d,
                "order_id": oid, "outcome": rng.choice(("won", "lost")), "chargeback_fee": rng.choice((None, 150))}))
            continue
        if fate < 0.55:  # refunds: one or two, of a quarter of one line each
            for k in range(rng.choice((1, 2))):
                ln = rng.choice(c["lines"])
                amount, fee = ln["amount"] // 4, ln["platform_fee"] // 4
                r = f"R_{oid}_{k}"
                out.append((topics.REFUNDS, "RefundIssued", {
                    "event_id": f"evt_refund_{r}", "occurred_at": later + timedelta(hours=k), "refund_id": r,
                    "order_id": oid, "lines": [{"seller_id": ln["seller_id"], "amount": amount, "platform_fee": fee}],
                    "shipping": 0, "reason_code": "RETURNED", "currency": None}))
        if fate < 0.85:  # released (as of now: the window has passed)
            out.append((topics.COMMANDS, "ReleaseEscrow", {"event_id": f"release:{oid}", "occurred_at": now,
                                                           "order_id": oid}))
    rng.shuffle(out)
    messages = [Message(t, n, r, REGISTRY.encode(n, r)) for t, n, r in out]
    redeliveries = [m for m in messages if rng.random() < 0.08]
    for m in redeliveries:  # each again, somewhere after the original
        messages.insert(rng.randint(messages.index(m) + 1, len(messages)), m)
    return messages


# -- the stack ------------------------------------------------------------------------

def _local_env() -> dict[str, str]:
    path = ROOT / ".local" / "env"
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line) if path.exists() else {}


def _script(name: str, action: str) -> None:
    r = subprocess.run(["bash", str(SCRIPTS / name), action], capture_output=True, text=True, timeout=180)
    if r.returncode:
        raise RuntimeError(f"{name} {action} failed: {r.stderr.strip() or r.stdout.strip()}")


class Stack:
    """A database and topics of the campaign's own on the shared services, the three
    workers under the real supervisor, and the faults."""

    def __init__(self, plan: Plan, log: callable):
        env = {**_local_env(), **{k: v for k, v in os.environ.items() if k in ("DATABASE_URL",
                                                                               "KAFKA_BOOTSTRAP_SERVERS")}}
        if not env.get("DATABASE_URL") or not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            raise RuntimeError("no services: run `make up` (or set DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS)")
        self.admin_url, self.kafka = env["DATABASE_URL"], env["KAFKA_BOOTSTRAP_SERVERS"]
        self.local = (ROOT / ".local" / "run" / "kafka.pid").exists() and (ROOT / ".local" / "pg").exists()
        self.log = log
        run = uuid.uuid4().hex[:8]
        self.dbname = f"splitbook_chaos_{plan.seed}_{run}"
        params = conninfo.conninfo_to_dict(self.admin_url)
        params["dbname"] = self.dbname
        self.settings = Settings(database_url=conninfo.make_conninfo(**params), kafka_bootstrap_servers=self.kafka,
                                 topic_prefix=f"chaos{run}.")
        self.lock = threading.Lock()
        self.supervisor: Supervisor | None = None
        self._running = False
        self._thread: threading.Thread | None = None

    def create(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))
        with db.connect(self.settings.database_url) as conn:
            migrate(conn)
        topics.ensure_topics(self.kafka, self.settings.topic_prefix)

    def start_workers(self) -> None:
        logs = ROOT / ".local" / "logs" / "chaos"
        logs.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPLITBOOK_")}
        env.update(DATABASE_URL=self.settings.database_url, KAFKA_BOOTSTRAP_SERVERS=self.kafka,
                   SPLITBOOK_TOPIC_PREFIX=self.settings.topic_prefix, SPLITBOOK_BATCH_TIMEOUT_S="0.1")
        argv = {w: [sys.executable, "-m", "services.entrypoints.cli.main", w] for w in WORKERS}
        self.supervisor = Supervisor(argv, ROOT / ".local" / "run" / "chaos-supervisor.json", logs, env=env,
                                     first_delay_s=0.3, max_delay_s=3.0)
        self._running = True
        self._thread = threading.Thread(target=self._supervise, name="chaos-supervisor", daemon=True)
        self._thread.start()

    def _supervise(self) -> None:
        while self._running:
            with self.lock:
                if self.supervisor.step():
                    self.supervisor.write_state()
            time.sleep(0.2)

    def stop_workers(self) -> int:
        self._running = False
        if self._thread:
            self._thread.join()
        self.supervisor.stop_all()
        return sum(w.restarts for w in self.supervisor.workers.values())

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.dbname)))

    # -- faults --------------------------------------------------------------------
    def signal_worker(self, name: str, sig: int, wait_s: float = 30.0) -> bool:
        """Signal the worker (once the supervisor has it running) and its process group."""
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            with self.lock:
                pid = self.supervisor.workers[name].pid
                if pid is not None:
                    try:
                        os.killpg(pid, sig)
                        return True
                    except ProcessLookupError:
                        pass  # it just exited: the supervisor starts it again
            time.sleep(0.1)
        return False

    def restart(self, service: str, hard: bool) -> None:
        script = {"pg": "postgres.sh", "broker": "kafka.sh"}[service]
        _script(script, "crash" if hard else "stop")
        time.sleep(random.uniform(1.0, 4.0))
        _script(script, "start")


# -- the campaign ---------------------------------------------------------------------

def _publish(producer: Producer, settings: Settings, chunk: list[Message]) -> None:
    """Every message acknowledged, however long the broker is away."""
    failures: list = []
    for m in chunk:
        while True:
            try:
                producer.produce(settings.topic(m.topic), m.value, key=message_key(m.record),
                                 on_delivery=lambda err, _msg: err and failures.append(err))
                break
            except BufferError:
                producer.poll(0.5)
    deadline = time.monotonic() + 300
    while producer.flush(5):
        if time.monotonic() > deadline:
            raise RuntimeError("the broker did not acknowledge the stream within 300 s")
    if failures:
        raise RuntimeError(f"publishing failed: {failures[:3]}")


def _faults(plan: Plan, rng: random.Random, local: bool) -> list[str]:
    faults = [f"kill:{rng.choice(WORKERS)}" for _ in range(plan.kills)]
    faults += [f"stop:{rng.choice(WORKERS)}" for _ in range(plan.stops)]
    if local:
        faults += [f"pg:{'hard' if i % 2 else 'graceful'}" for i in range(plan.pg_restarts)]
        faults += [f"broker:{'hard' if i % 2 else 'graceful'}" for i in range(plan.broker_restarts)]
    rng.shuffle(faults)
    return faults


def _inject(stack: Stack, fault: str, rng: random.Random, figures: Figures) -> None:
    kind, what = fault.split(":")
    time.sleep(rng.uniform(0.0, 1.5))  # somewhere in the middle of the work at hand
    if kind == "kill":
        if stack.signal_worker(what, signal.SIGKILL):
            figures.kills += 1
    elif kind == "stop":
        if stack.signal_worker(what, signal.SIGSTOP):
            time.sleep(rng.uniform(1.0, 9.0))  # past the consumer group's session timeout, sometimes
            stack.signal_worker(what, signal.SIGCONT)
            figures.stops += 1
    else:
        stack.restart(kind, what == "hard")
        if kind == "pg":
            figures.pg_restarts += 1
        else:
            figures.broker_restarts += 1
    stack.log(f"  fault {fault} done")


def _caught_up(settings: Settings, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with db.connect(settings.database_url) as conn:
                if progress.lag(settings, conn).caught_up:
                    return
        except (TransientError, psycopg.Error):
            pass
        time.sleep(1.0)
    raise RuntimeError(f"the pipeline did not catch up within {timeout_s:.0f} s")


def check(settings: Settings, messages: list[Message], figures: Figures) -> None:
    """What the journal, the exceptions, the parking lot and the read models say."""
    expected = {m.record["event_id"] for m in messages if m.name != "SellerProfileUpdated"}
    profiles = {m.record["event_id"] for m in messages if m.name == "SellerProfileUpdated"}
    with db.connect(settings.database_url) as conn:
        posted = [r[0] for r in conn.execute("SELECT event_id FROM journal_transactions")]
        recorded = {r[0] for r in conn.execute("SELECT event_id FROM seller_profile_versions")}
        figures.lost = len(expected - set(posted)) + len(profiles - recorded)
        figures.doubled = (len(posted) - len(set(posted))) + len(set(posted) - expected) + len(recorded - profiles)
        figures.rejected = conn.execute("SELECT count(*) FROM exceptions").fetchone()[0]
        figures.parked = conn.execute("SELECT count(*) FROM parked_events").fetchone()[0]
        figures.unbalanced = conn.execute(
            "SELECT count(*) FROM (SELECT seq, currency FROM journal_postings GROUP BY seq, currency"
            " HAVING sum(amount_minor) <> 0) x").fetchone()[0]
        figures.read_model_diffs = sum(len(c.differing) for c in read_model_differences(conn).values())
        report = verify(conn)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SPLITBOOK_")},
           "DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "SPLITBOOK_TOPIC_PREFIX": settings.topic_prefix}
    cli = subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", "verify"], capture_output=True, text=True,
                         env=env, timeout=600)
    figures.verify_ok = report.ok and cli.returncode == 0
    if not figures.verify_ok:
        figures.notes.append(report.text() + "\n" + cli.stdout[-2000:] + cli.stderr[-2000:])


def run(plan: Plan, log=print, keep: bool = False) -> Figures:
    began = time.monotonic()
    figures = Figures(seed=plan.seed)
    rng = random.Random(plan.seed * 7919 + 1)
    messages = stream(plan, date.today())
    figures.events = len(messages)
    figures.valid = len({m.record["event_id"] for m in messages})
    figures.redelivered = figures.events - figures.valid
    stack = Stack(plan, log)
    stack.create()
    faults = _faults(plan, rng, stack.local)
    if not stack.local:
        figures.notes.append("broker and PostgreSQL restarts skipped: the services are not the local ones")
    log(f"chaos: {figures.events} messages, {len(faults)} faults, database {stack.dbname},"
        f" topics {stack.settings.topic_prefix}*")
    producer = Producer({**client_config(stack.kafka), "enable.idempotence": True, "linger.ms": 5,
                         "partitioner": "murmur2_random"})
    stack.start_workers()
    try:
        chunks = len(faults) + 1
        size = -(-len(messages) // chunks)
        for i in range(chunks):
            _publish(producer, stack.settings, messages[i * size:(i + 1) * size])
            log(f"  published {min(len(messages), (i + 1) * size)}/{len(messages)}")
            if i < len(faults):
                _inject(stack, faults[i], rng, figures)
        _caught_up(stack.settings, plan.catch_up_timeout_s)
        time.sleep(2)  # what the last batches staged reaches the read models
        _caught_up(stack.settings, plan.catch_up_timeout_s)
    finally:
        figures.worker_restarts = stack.stop_workers()
    check(stack.settings, messages, figures)
    figures.elapsed_s = time.monotonic() - began
    if figures.passed and not keep:
        stack.drop()
    else:
        figures.notes.append(f"database {stack.dbname} kept for inspection; worker logs in .local/logs/chaos/")
    return figures


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not usage + error
        self.exit(2, f"chaos: error: {message} (see --help)\n")


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser(prog="make chaos", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=Plan.orders, help="orders in the stream (each 1-4 events)")
    p.add_argument("--sellers", type=int, default=Plan.sellers)
    p.add_argument("--kills", type=int, default=Plan.kills, help="SIGKILLs of a worker")
    p.add_argument("--stops", type=int, default=Plan.stops, help="SIGSTOPs of a worker (1-9 s)")
    p.add_argument("--pg-restarts", type=int, default=Plan.pg_restarts)
    p.add_argument("--broker-restarts", type=int, default=Plan.broker_restarts)
    p.add_argument("--seed", type=int, default=Plan.seed)
    p.add_argument("--keep", action="store_true", help="keep the campaign's database even when it passes")
    args = p.parse_args(argv)
    if min(args.orders, args.sellers) < 1 or min(args.kills, args.stops, args.pg_restarts, args.broker_restarts) < 0:
        p.error("counts must not be negative, orders and sellers at least 1")
    from services.runtime import logs

    logs.configure("error")
    plan = Plan(args.orders, args.sellers, args.kills, args.stops, args.pg_restarts, args.broker_restarts, args.seed)
    try:
        figures = run(plan, keep=args.keep)
    except (RuntimeError, TransientError, psycopg.Error) as e:
        print(f"chaos: error: {e}", file=sys.stderr)
        return 2
    for note in figures.notes:
        print(note)
    print(figures.line())
    return 0 if figures.passed else 1


if __name__ == "__main__":
    sys.exit(main())
