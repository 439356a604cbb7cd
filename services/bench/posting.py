"""End-to-end posting throughput on real Kafka and PostgreSQL.

1. N capture events are published to a fresh set of topics.
2. The real posting consumer (`splitbook post`, its own process) posts them: events/s
   and postings/s from the first consume to the last commit, and its peak RSS.
3. The relay, alone, publishes the N journal transactions; then the projection worker,
   alone, folds them into the read models: transactions/s of each, timed from its batch
   logs as the posting consumer is, and each as a share of the posting consumer's rate.
4. Baseline, same run: the same consumer with one event per database transaction
   (batch size 1) over the first B of the same events, into a fresh database.
5. Ceiling, same run: the capture rule in Python + a raw COPY of the same journal rows
   into unconstrained tables.
6. PostgreSQL alone, same run: the rows formatted beforehand exactly as the consumer
   writes them, COPYed in batches of the consumer's size into unconstrained tables (the
   raw COPY figure) and into the journal itself (what no consumer can exceed here).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import psycopg
from psycopg import conninfo, sql

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka.publish import publish
from services.adapters.kafka.topics import ORDERS, ensure_topics
from services.adapters.postgres import journal
from services.adapters.postgres.chain import GENESIS
from services.adapters.postgres.journal import Staged, format_rows
from services.adapters.postgres.migrate import migrate
from services.domain.events import OrderCaptured
from services.domain.rules.capture import Policy, handle_order_captured
from services.entrypoints.bootstrap import producer as make_producer
from services.entrypoints.settings import ROOT, Settings
from services.posting.batch import digest
from services.posting.registry import BY_NAME
from services.simulators.storefront import marketplace_day
from services.statements.reports import table

TARGET_EVENTS_PER_S = 25_000  # capture events/s end to end (issue 2)


def _proc_value(path: str, key: str) -> str | None:
    """The value of the first 'key: value' line of a /proc file (None: no such file or key;
    cpuinfo pads its keys with tabs)."""
    try:
        with open(path) as f:
            pairs = (line.split(":", 1) for line in f if ":" in line)
            return next((value.strip() for k, value in pairs if k.strip() == key), None)
    except OSError:
        return None


def _cpu_model() -> str:
    """The processor's model name (Linux), to tell runs on different machines apart."""
    return _proc_value("/proc/cpuinfo", "model name") or "unknown"


def machine() -> dict:
    """What a figure was measured on: cores, CPU model, Python."""
    return {"cores": os.cpu_count(), "cpu": _cpu_model(), "python": sys.version.split()[0]}


def _db(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = conninfo.conninfo_to_dict(admin_url)
    params["dbname"] = name
    url = conninfo.make_conninfo(**params)
    with psycopg.connect(url, autocommit=True) as c:
        migrate(c)
    return url


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _worker(cmd: str, env: dict, *extra: str, profile: Path | None = None) -> subprocess.Popen:
    """A worker process whose log goes to a temp file (a pipe would fill up and block it).
    With profile, it runs under py-spy (its helper processes too), in a session of its
    own: _stop then interrupts the session, and py-spy writes the SVG once the worker ends."""
    log = tempfile.TemporaryFile("w+")
    argv = [sys.executable, "-m", "services.entrypoints.cli.main", cmd, *extra]
    if profile is not None:
        argv = [str(Path(sys.executable).with_name("py-spy")), "record", "--subprocesses", "--rate", "200",
                "--output", str(profile), "--", *argv]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True,
                            start_new_session=profile is not None)
    proc.log = log  # type: ignore[attr-defined]
    proc.profiled = profile is not None  # type: ignore[attr-defined]
    return proc


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the worker; a profiled one gets SIGINT with its py-spy, which then writes."""
    if getattr(proc, "profiled", False):
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.terminate()
    proc.wait(120)


def _log_of(proc: subprocess.Popen) -> str:
    proc.log.seek(0)  # type: ignore[attr-defined]
    return proc.log.read()  # type: ignore[attr-defined]


def _timed_run(cmd: str, env: dict, url: str, expected: int, position_sql: str, event: str,
               measure_peaks: bool = False, profile: Path | None = None) -> dict:
    """Run worker `cmd` until `position_sql` reaches `expected` (then SIGTERM) and time it
    from its batch logs: from the first batch's start (its log time less its elapsed_ms)
    to the last batch's log. Start-up and the wait for the first messages are left out,
    alike for every stage."""
    proc = _worker(cmd, env, profile=profile)
    deadline = time.monotonic() + 3600
    with psycopg.connect(url, autocommit=True) as c:
        while (c.execute(position_sql).fetchone() or (0,))[0] < expected:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"{cmd} stopped early: {_log_of(proc)[-2000:]}")
            time.sleep(0.1)
    peaks = _peak_rss_mb(proc.pid) if measure_peaks and profile is None else {}
    _stop(proc)
    err = _log_of(proc)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed: {err[-2000:]}")
    if profile is not None:
        print(f"  flame graph of {cmd}: {profile}", flush=True)
    batches = [json.loads(line) for line in err.splitlines() if f'"{event}"' in line]
    if not batches:
        raise SystemExit(f"{cmd} logged no {event}")
    ts = lambda b: datetime.fromisoformat(b["timestamp"]).timestamp()  # noqa: E731
    seconds = ts(batches[-1]) - (ts(batches[0]) - batches[0]["elapsed_ms"] / 1000)
    return {"events": expected, "seconds": seconds, "batches": len(batches), "events_per_s": expected / seconds, **peaks}


def _post_run(env: dict, expected: int, url: str, profile: Path | None = None) -> dict:
    """The posting consumer over `expected` events; its postings/s and peak RSS besides.
    (max(seq), not count(*): the sequence is gap-free, and an index lookup does not take
    CPU from the run it is watching.)"""
    run = _timed_run("post", env, url, expected, "SELECT coalesce(max(seq), 0) FROM journal_transactions",
                     "batch_posted", measure_peaks=True, profile=profile)
    with psycopg.connect(url) as c:
        posted, postings = c.execute(
            "SELECT (SELECT count(*) FROM journal_transactions), (SELECT count(*) FROM journal_postings)").fetchone()
    if posted != expected:
        raise SystemExit(f"expected {expected} transactions, the journal has {posted}")
    return {**run, "postings": postings, "postings_per_s": postings / run["seconds"]}


def _hwm_mb(pid: int) -> float | None:
    """A process's peak resident set since it started its program (VmHWM), in MB."""
    value = _proc_value(f"/proc/{pid}/status", "VmHWM")  # "123456 kB"
    return None if value is None else int(value.split()[0]) / 1024


def _peak_rss_mb(pid: int) -> dict:
    """Peak RSS of the posting consumer and of its child processes (decoder and writer
    helpers, multiprocessing's resource tracker), read from /proc while they still run.
    (getrusage's figure for children is no use here: a child started by vfork + exec
    inherits its parent's peak, the benchmark's own, with all the events.)"""
    helpers = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():  # "self", "thread-self" and the like
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and (mb := _hwm_mb(int(entry))) is not None:
            helpers.append(round(mb, 1))
    consumer = _hwm_mb(pid)
    return {"peak_rss_mb": None if consumer is None else round(consumer, 1), "helpers_peak_rss_mb": sorted(helpers)}


def _raw_copy(url: str, records: list[dict]) -> dict:
    """The same journal rows built by the same rule, COPYed into tables with no
    index, trigger or constraint: what PostgreSQL + this Python can reach at best."""
    policy = Policy()
    started = time.perf_counter()
    txns = [handle_order_captured(OrderCaptured.from_record(r), policy) for r in records]
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE UNLOGGED TABLE raw_t AS SELECT * FROM journal_transactions WITH NO DATA")
        c.execute("CREATE UNLOGGED TABLE raw_p AS SELECT * FROM journal_postings WITH NO DATA")
        with c.transaction(), c.cursor() as cur:
            with cur.copy("COPY raw_t (seq, transaction_id, kind, event_id, payload_sha256, order_id, occurred_at,"
                          " recorded_at, metadata) FROM STDIN") as cp:
                now = datetime.now(timezone.utc)
                for i, t in enumerate(txns, 1):
                    cp.write_row((i, t.transaction_id, t.kind, t.event_id, b"", t.order_id, t.occurred_at, now,
                                  json.dumps(t.metadata)))
            with cur.copy("COPY raw_p (seq, account, currency, amount_minor) FROM STDIN") as cp:
                for i, t in enumerate(txns, 1):
                    for p in t.postings:
                        cp.write_row((i, p.account, p.currency, p.amount_minor))
    seconds = time.perf_counter() - started
    return {"events": len(txns), "seconds": seconds, "events_per_s": len(txns) / seconds}


def _database_alone(url: str, records: list[dict], batch: int) -> dict:
    """PostgreSQL by itself: the journal rows of the same events, formatted beforehand
    exactly as the consumer writes them, COPYed in transactions of `batch` events
    (the consumer's batch size), timed from the first COPY to the last commit.

    - into tables without indexes, triggers or constraints: the raw COPY figure;
    - into the journal itself (its unique indexes, the balance, sequence and
      has-postings triggers): what no posting consumer can exceed on this machine,
      since it must write exactly these rows there."""
    policy = Policy()
    capture = BY_NAME["OrderCaptured"]
    staged = [Staged(handle_order_captured(e, policy), digest(capture.identity(e)))
              for e in map(OrderCaptured.from_record, records)]
    chunks, seq, chain = [], 1, GENESIS
    for i in range(0, len(staged), batch):
        rows = format_rows(staged[i:i + batch], seq, chain)
        chunks.append(rows)
        seq, chain = rows.last_seq + 1, rows.last_hash
    out = {}
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE TABLE bare_transactions (LIKE journal_transactions INCLUDING DEFAULTS)")
        c.execute("CREATE TABLE bare_postings (LIKE journal_postings INCLUDING DEFAULTS)")
        for label, prefix in (("unconstrained", "bare_"), ("journal", "journal_")):
            started = time.perf_counter()
            for rows in chunks:
                with c.transaction():
                    journal.copy_rows(c, rows, f"{prefix}transactions", f"{prefix}postings")
            seconds = time.perf_counter() - started
            out[label] = {"events": len(staged), "seconds": seconds, "events_per_s": len(staged) / seconds}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--baseline-events", type=int, default=10_000)
    ap.add_argument("--out", default=str(ROOT / "bench-results"))
    ap.add_argument("--dimensions", action="store_true",
                    help="captures that name a category per line and a region (OrderCaptured v3's reporting "
                         "dimensions): the Python path, which the capture lane leaves them to")
    ap.add_argument("--profile", action="store_true",
                    help="run the posting consumer, the relay and the projection worker under py-spy and write a flame "
                         "graph of each (SVG) next to the results; their rates are then lower than without it")
    args = ap.parse_args(argv)
    if args.events < 1 or args.baseline_events < 1:
        ap.error("event counts must be positive")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
    if args.profile and not Path(sys.executable).with_name("py-spy").exists():
        ap.error("--profile needs py-spy: pip install -e '.[bench]'")
    profile = (lambda stage: out / f"profile-{stamp}-{stage}.svg") if args.profile else (lambda stage: None)
    base = Settings.from_env()
    run = uuid.uuid4().hex[:8]
    prefix = f"bench{run}."
    ensure_topics(base.kafka_bootstrap_servers, prefix)
    registry = SchemaRegistry.from_dir()

    print(f"generating and publishing {args.events:,} capture events ...", flush=True)
    records = marketplace_day(date(2026, 11, 24), args.events, 500, seed=42, run_id=f"_{run}",
                              dimensions=args.dimensions)
    t0 = time.perf_counter()
    publish(make_producer(base), prefix + ORDERS, registry, records)
    publish_s = time.perf_counter() - t0

    dbs = {k: f"bench_{run}_{k}" for k in ("main", "baseline", "raw", "alone")}
    results: dict = {"machine": machine(), "dimensions": args.dimensions,
                     "events": args.events, "published_per_s": args.events / publish_s}
    try:
        url = _db(base.database_url, dbs["main"])
        env = {**os.environ, "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": base.kafka_bootstrap_servers,
               "SPLITBOOK_TOPIC_PREFIX": prefix}
        print("posting (batched, one transaction per batch) ...", flush=True)
        results["batched"] = _post_run(env, args.events, url, profile("post"))
        print("relay, alone: the journal to ledger.journal ...", flush=True)
        results["relay"] = _timed_run("relay", env, url, args.events, "SELECT last_seq FROM relay_positions",
                                      "journal_relayed", profile=profile("relay"))
        print("projection worker, alone: ledger.journal to the read models ...", flush=True)
        results["projection"] = _timed_run("project", env, url, args.events,
                                           "SELECT last_seq FROM projection_positions", "journal_projected",
                                           profile=profile("project"))

        b = min(args.baseline_events, args.events)
        print(f"baseline: one event per transaction, first {b:,} events ...", flush=True)
        burl = _db(base.database_url, dbs["baseline"])
        benv = {**env, "DATABASE_URL": burl, "SPLITBOOK_BATCH_MAX_MESSAGES": "1"}
        # a baseline consumer that stops after b events: a topic holding just those
        bprefix = f"bench{run}b."
        ensure_topics(base.kafka_bootstrap_servers, bprefix)
        publish(make_producer(base), bprefix + ORDERS, registry, records[:b])
        benv["SPLITBOOK_TOPIC_PREFIX"] = bprefix
        results["one_per_transaction"] = _post_run(benv, b, burl)

        print("ceiling: raw COPY of the same rows ...", flush=True)
        results["raw_copy"] = _raw_copy(_db(base.database_url, dbs["raw"]), records)
        print("PostgreSQL alone: COPY of the formatted rows, unconstrained and into the journal ...", flush=True)
        alone = _database_alone(_db(base.database_url, dbs["alone"]), records, base.batch_max_messages)
        results["copy_unconstrained"], results["copy_into_journal"] = alone["unconstrained"], alone["journal"]
    finally:
        for name in dbs.values():
            _drop(base.database_url, name)

    batched, naive, raw = results["batched"], results["one_per_transaction"], results["raw_copy"]
    bare, into = results["copy_unconstrained"], results["copy_into_journal"]
    results["speedup_vs_one_per_transaction"] = batched["events_per_s"] / naive["events_per_s"]
    results["share_of_raw_copy"] = batched["events_per_s"] / raw["events_per_s"]
    results["share_of_copy_unconstrained"] = batched["events_per_s"] / bare["events_per_s"]
    results["share_of_copy_into_journal"] = batched["events_per_s"] / into["events_per_s"]
    results["relay_to_posting"] = results["relay"]["events_per_s"] / batched["events_per_s"]
    results["projection_to_posting"] = results["projection"]["events_per_s"] / batched["events_per_s"]

    def row(label: str, r: dict, postings: bool = False) -> tuple:
        return (label, f"{r['events']:,}", f"{r['events_per_s']:,.0f}",
                f"{r['postings_per_s']:,.0f}" if postings else "", f"{r['seconds']:.2f}",
                f"{r['events_per_s'] / batched['events_per_s']:.3f}")

    rows = [
        row("batched posting consumer", batched, True),
        row("one event per transaction", naive, True),
        row("rule + COPY, no constraints", raw),
        row("PostgreSQL alone: COPY, no constraints", bare),
        row("PostgreSQL alone: COPY into the journal", into),
        row("relay alone (transactions)", results["relay"]),
        row("projection worker alone (transactions)", results["projection"]),
    ]
    print()
    print(table(("run", "events", "events/s", "postings/s", "seconds", "vs batched"), rows, right=(1, 2, 3, 4, 5)))
    print()
    print(f"batched is {results['speedup_vs_one_per_transaction']:.1f}x one-per-transaction, "
          f"{results['share_of_raw_copy']:.0%} of the rule + COPY without constraints, "
          f"{results['share_of_copy_unconstrained']:.0%} of PostgreSQL's raw COPY of the same rows and "
          f"{results['share_of_copy_into_journal']:.0%} of PostgreSQL's COPY of them into the journal")
    verdict = "reached" if batched["events_per_s"] >= TARGET_EVENTS_PER_S else "not reached"
    print(f"target {TARGET_EVENTS_PER_S:,} events/s end to end: {verdict} "
          f"(PostgreSQL alone takes the journal rows at {into['events_per_s']:,.0f}/s on this machine)")
    print(f"read models, {args.events:,} transactions: relay {results['relay']['events_per_s']:,.0f} txn/s "
          f"({results['relay_to_posting']:.2f} of posting), projection worker "
          f"{results['projection']['events_per_s']:,.0f} txn/s ({results['projection_to_posting']:.2f} of posting)")
    print(f"machine: {results['machine']['cores']} cores, {results['machine']['cpu']}, Python {results['machine']['python']}")
    if args.profile:
        print("profiled run: py-spy took its share of the CPU, so these rates are below an unprofiled run's")
    rss = "unknown" if batched.get("peak_rss_mb") is None else f"{batched['peak_rss_mb']:.0f} MB"
    children = ", ".join(f"{mb:.0f}" for mb in batched.get("helpers_peak_rss_mb", ())) or "none"
    print(f"posting consumer peak RSS: {rss} (its child processes, MB: {children}); "
          f"published at {results['published_per_s']:,.0f} events/s")
    path = out / f"posting-{stamp}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
