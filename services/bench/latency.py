"""Latency under sustained load, on real Kafka and PostgreSQL (make bench-latency).

For each arrival rate R: the full pipeline runs (posting consumer, relay, projection
worker, each its own process, on a fresh database and topics); a producer publishes a
marketplace's events — captures, and refunds of some of them a little later — at R
events/s for T seconds, noting when it published each; a watcher samples, every 50 ms,
how far the journal and the read models have got. Reported per rate:

- latency from publish to committed in the journal (the transaction's recorded_at) and
  from publish to visible in the read models (seller_balances / order_escrow: the first
  sample at which the projection's position covers the event's sequence), p50/p99/max;
- the lag (events published but not yet visible) over time;
- whether the rate is sustainable: p99 visible latency under 1 s and the lag drained
  within 2 s of the producer stopping.

Same run, first: a baseline — the same pipeline given a backlog all at once, and how many
events per second it makes visible; each rate is also given as a share of that. The
highest sustainable rate, and its share of the backlog rate, is the headline. A table is printed; JSON and a PNG plot
(lag and latency over time per rate, with matplotlib from the `bench` extra) are written.
Figures mean something only as ratios on the same machine: the CPU model is reported."""

from __future__ import annotations

import argparse
import heapq
import json
import os
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka.publish import message_key
from services.adapters.kafka.topics import COMMANDS, DISPUTES, ORDERS, REFUNDS, ensure_topics
from services.bench.posting import _db, _drop, _log_of, _worker, machine
from services.entrypoints.bootstrap import producer as make_producer
from services.entrypoints.settings import ROOT, Settings
from services.simulators.storefront import after_sales, marketplace_day
from services.statements.reports import table

SAMPLE_S = 0.05
VISIBLE_P99_LIMIT_S = 1.0
RELEASE_EVERY = 5  # orders without refund or dispute: every fifth is released within the run


def _events(rate: int, seconds: float, run: str) -> list[tuple[str, str, dict]]:
    """(topic, record name, record) in publishing order: captures, and after them what a
    marketplace's day brings (storefront.after_sales): refunds, partial and full (~7 % of
    orders), disputes (~1.5 %) one second after their capture and their resolution a
    second later, and the escrow release of every RELEASE_EVERY-th order untouched by
    either, two seconds after its capture (the release scheduler's command, as of the end
    of the escrow window). Each event posts one journal transaction."""
    n = int(rate * seconds)
    captures = marketplace_day(date(2026, 11, 24), n, 500, seed=7, run_id=f"_{run}")
    later = after_sales(captures, seed=7, release_at=datetime(2026, 12, 30, tzinfo=timezone.utc))
    touched = {e["order_id"] for e in (*later.refunds_in_escrow, *later.disputes_opened)}
    follow: dict[str, list[tuple[int, str, str, dict]]] = {}
    for r in later.refunds_in_escrow:
        follow.setdefault(r["order_id"], []).append((rate, REFUNDS, "RefundIssued", r))
    for opened, resolved in zip(later.disputes_opened, later.disputes_resolved):
        follow.setdefault(opened["order_id"], []).extend([(rate, DISPUTES, "DisputeOpened", opened),
                                                           (2 * rate, DISPUTES, "DisputeResolved", resolved)])
    out: list[tuple[str, str, dict]] = []
    pending: list[tuple[int, int, str, str, dict]] = []  # (due index, tie-break, topic, name, record)
    for i, c in enumerate(captures):
        out.append((ORDERS, "OrderCaptured", c))
        oid = c["order_id"]
        for delay, topic, name, record in follow.get(oid, ()):
            heapq.heappush(pending, (i + delay, len(out) + len(pending), topic, name, record))
        if oid not in touched and i % RELEASE_EVERY == 0:
            release = {"event_id": f"release:{oid}", "order_id": oid,
                       "occurred_at": c["occurred_at"] + timedelta(days=31)}
            heapq.heappush(pending, (i + 2 * rate, len(out) + len(pending), COMMANDS, "ReleaseEscrow", release))
        while pending and pending[0][0] <= i:
            _, _, topic, name, record = heapq.heappop(pending)
            out.append((topic, name, record))
    return out[:n]


def _publish_at_rate(settings: Settings, prefix: str, events: list, rate: int | None, stamps: dict) -> None:
    """Publish at `rate` events/s (None: as fast as the producer goes), noting each event's
    publish time."""
    registry = SchemaRegistry.from_dir()
    producer = make_producer(settings)
    encoded = [(prefix + topic, message_key(rec), registry.encode(name, rec), rec["event_id"])
               for topic, name, rec in events]
    started = time.monotonic()
    for i, (topic, key, value, event_id) in enumerate(encoded):
        due = started + i / rate if rate else 0
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        stamps[event_id] = time.time()
        while True:
            try:
                producer.produce(topic, value, key=key)
                break
            except BufferError:
                producer.poll(0.01)
        if i % 200 == 0:
            producer.poll(0)
    producer.flush(60)


def _watch(url: str, stop: threading.Event, samples: list) -> None:
    """(time, journal's last seq, read models' seq) every SAMPLE_S."""
    with psycopg.connect(url, autocommit=True) as c:
        while not stop.is_set():
            posted = c.execute("SELECT coalesce(max(seq), 0) FROM journal_transactions").fetchone()[0]
            row = c.execute("SELECT max(last_seq) FROM projection_positions").fetchone()
            samples.append((time.time(), posted, row[0] or 0))
            time.sleep(SAMPLE_S)


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    s = sorted(values)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return {"p50": pick(0.50), "p99": pick(0.99), "max": s[-1]}


def run_rate(base: Settings, rate: int, seconds: float, batch_timeout_s: float, paced: bool = True) -> dict:
    """rate x seconds events at rate events/s (paced) or all at once (not paced: the
    same-run baseline, how fast the pipeline makes a backlog visible)."""
    run = uuid.uuid4().hex[:8]
    prefix = f"lat{run}."
    ensure_topics(base.kafka_bootstrap_servers, prefix)
    name = f"bench_lat_{run}"
    url = _db(base.database_url, name)
    env = {**os.environ, "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": base.kafka_bootstrap_servers,
           "SPLITBOOK_TOPIC_PREFIX": prefix, "SPLITBOOK_BATCH_TIMEOUT_S": str(batch_timeout_s)}
    events = _events(rate, seconds, run)
    workers = [_worker(cmd, env) for cmd in ("post", "relay", "project")]
    stamps: dict[str, float] = {}
    samples: list = []
    stop = threading.Event()
    try:
        time.sleep(3)  # the workers join their groups before the clock starts
        watcher = threading.Thread(target=_watch, args=(url, stop, samples), daemon=True)
        watcher.start()
        published_from = time.time()
        _publish_at_rate(base, prefix, events, rate if paced else None, stamps)
        published_to = time.time()
        # until every event is visible, or the journal has not grown for 3 s and all of it is
        deadline, grew_at, last_posted = time.monotonic() + 120, time.monotonic(), -1
        while time.monotonic() < deadline and all(w.poll() is None for w in workers):
            if samples:
                _, posted, projected = samples[-1]
                if posted != last_posted:
                    grew_at, last_posted = time.monotonic(), posted
                if projected >= posted and (posted >= len(events) or time.monotonic() - grew_at > 3):
                    break
            time.sleep(0.1)
        stop.set()
        watcher.join(5)
        with psycopg.connect(url) as c:
            rows = c.execute("SELECT seq, event_id, extract(epoch FROM recorded_at) FROM journal_transactions"
                             " ORDER BY seq").fetchall()
    finally:
        stop.set()
        for w in workers:
            w.terminate()
        for w in workers:
            try:
                w.wait(30)
            except Exception:  # noqa: BLE001 - a worker that will not stop is killed
                w.kill()
        logs = {w.args[3]: _log_of(w)[-1500:] for w in workers if w.returncode not in (0, -15)}
        _drop(base.database_url, name)
    if logs:
        raise SystemExit(f"a worker failed at {rate}/s: {logs}")

    committed, visible = [], []
    seen = iter(samples)
    sample = next(seen, None)
    for seq, event_id, recorded in rows:  # rows and samples both ascend: one pass
        if event_id not in stamps:
            continue
        committed.append(float(recorded) - stamps[event_id])
        while sample is not None and sample[2] < seq:
            sample = next(seen, None)
        if sample is not None:
            visible.append(sample[0] - stamps[event_id])
    all_visible_at = next((t for t, _, projected in samples if projected >= len(rows)), None)
    drained = None if all_visible_at is None else max(all_visible_at, published_to)
    publish_times = sorted(stamps.values())
    lag_series = []
    j = 0
    for t, posted, projected in samples:
        while j < len(publish_times) and publish_times[j] <= t:
            j += 1
        lag_series.append((round(t - published_from, 3), j - posted, j - projected))
    result = {"rate": rate, "seconds": seconds, "events": len(events), "posted": len(rows),
              "achieved_rate": len(events) / max(1e-9, published_to - published_from),
              "committed_s": _percentiles(committed), "visible_s": _percentiles(visible),
              "all_visible": len(rows) == len(events) and len(visible) == len(events),
              "drain_after_publish_s": None if drained is None else drained - published_to,
              "visible_per_s": None if all_visible_at is None else len(rows) / (all_visible_at - published_from),
              "max_lag_events": max((v for *_, v in lag_series), default=0), "lag": lag_series,
              "latency": [(round(stamps[e] - published_from, 3), v) for (_, e, _), v in
                          zip([r for r in rows if r[1] in stamps], visible)][::max(1, len(visible) // 400)]}
    result["sustainable"] = bool(result["all_visible"] and result["visible_s"]["p99"] is not None
                                 and result["visible_s"]["p99"] < VISIBLE_P99_LIMIT_S
                                 and result["drain_after_publish_s"] is not None
                                 and result["drain_after_publish_s"] < 2.0)
    return result


def _plot(results: list[dict], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, (lag_ax, lat_ax) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for r in results:
        lag_ax.plot([t for t, *_ in r["lag"]], [v for *_, v in r["lag"]], label=f"{r['rate']:,}/s")
        lat_ax.plot([t for t, _ in r["latency"]], [v * 1000 for _, v in r["latency"]], ".", markersize=2,
                    label=f"{r['rate']:,}/s")
    lag_ax.set_ylabel("published, not yet visible (events)")
    lat_ax.set_ylabel("publish -> visible (ms)")
    lat_ax.set_xlabel("seconds since the producer started")
    lat_ax.axhline(VISIBLE_P99_LIMIT_S * 1000, color="grey", linewidth=0.8, linestyle="--")
    lag_ax.legend(title="arrival rate")
    fig.suptitle("Splitbook: lag and latency under sustained load")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench-latency", description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="500,1000,2000,4000,8000", help="events/s, comma-separated")
    ap.add_argument("--seconds", type=float, default=20.0, help="how long each rate is sustained")
    ap.add_argument("--batch-timeout-s", type=float, default=0.05,
                    help="the posting consumer's SPLITBOOK_BATCH_TIMEOUT_S (how long it waits to fill a batch)")
    ap.add_argument("--baseline-events", type=int, default=30_000,
                    help="the same-run baseline: this many events at once, how fast they become visible")
    ap.add_argument("--out", default=str(ROOT / "bench-results"))
    args = ap.parse_args(argv)
    try:
        rates = [int(r) for r in args.rates.split(",") if r.strip()]
    except ValueError:
        ap.error(f"--rates {args.rates!r}: whole numbers, comma-separated")
    if not rates or min(rates) < 1 or args.seconds <= 0 or args.baseline_events < 1:
        ap.error("rates and seconds must be positive")
    base = Settings.from_env()
    print(f"baseline, same run: {args.baseline_events:,} events published at once, until all are visible ...",
          flush=True)
    backlog = run_rate(base, args.baseline_events, 1.0, args.batch_timeout_s, paced=False)
    ceiling = backlog["visible_per_s"]
    print(f"  {ceiling:,.0f} events/s made visible from a backlog" if ceiling else "  never all visible", flush=True)
    results = []
    for rate in rates:
        print(f"{rate:,} events/s for {args.seconds:g} s ...", flush=True)
        r = run_rate(base, rate, args.seconds, args.batch_timeout_s)
        results.append(r)
        drain = r["drain_after_publish_s"]
        p99 = r["visible_s"]["p99"]
        print(f"  p99 publish->visible {'-' if p99 is None else f'{p99:.3f} s'}, drained "
              f"{'never' if drain is None else f'{drain:.2f} s'} after the producer stopped: "
              f"{'sustainable' if r['sustainable'] else 'NOT sustainable'}", flush=True)
    ms = lambda v: "" if v is None else f"{v * 1000:,.0f}"  # noqa: E731
    share = lambda r: "" if not ceiling else f"{r['rate'] / ceiling:.2f}"  # noqa: E731
    rows = [(f"{r['rate']:,}", share(r), f"{r['achieved_rate']:,.0f}", f"{r['events']:,}", ms(r["committed_s"]["p50"]),
             ms(r["committed_s"]["p99"]), ms(r["visible_s"]["p50"]), ms(r["visible_s"]["p99"]),
             ms(r["visible_s"]["max"]), f"{r['max_lag_events']:,}",
             "yes" if r["sustainable"] else "no") for r in results]
    print()
    print(table(("rate/s", "of backlog", "achieved/s", "events", "commit p50 ms", "commit p99 ms", "visible p50 ms",
                 "visible p99 ms", "visible max ms", "max lag", "sustainable"), rows, right=tuple(range(0, 10))))
    ok = [r["rate"] for r in results if r["sustainable"]]
    best = max(ok) if ok else None
    print()
    print(f"highest sustainable rate (p99 publish->visible < {VISIBLE_P99_LIMIT_S:g} s, lag drained): "
          f"{'none of those tried' if best is None else f'{best:,} events/s'}"
          + (f", {best / ceiling:.2f} of the same run's backlog rate ({ceiling:,.0f} events/s made visible)"
             if best and ceiling else ""))
    where = machine()
    print(f"machine: {where['cores']} cores, {where['cpu']}, Python {where['python']}; "
          f"posting batch timeout {args.batch_timeout_s:g} s")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
    path = out / f"latency-{stamp}.json"
    path.write_text(json.dumps({"machine": where, "batch_timeout_s": args.batch_timeout_s,
                                "backlog_visible_per_s": ceiling, "highest_sustainable_rate": best,
                                "highest_sustainable_share_of_backlog": best / ceiling if best and ceiling else None,
                                "backlog": {k: v for k, v in backlog.items() if k not in ("lag", "latency")},
                                "runs": results}, indent=1))
    png = out / f"latency-{stamp}.png"
    print(f"results: {path}" + (f"  plot: {png}" if _plot(results, png) else "  (no plot: matplotlib missing)"))
    return 0


if __name__ == "__main__":
    from services.domain.errors import SplitbookError

    try:
        sys.exit(main())
    except SplitbookError as e:  # an unreachable service, a bad setting: one line
        print(f"bench-latency: error: {e}", file=sys.stderr)
        sys.exit(1)
