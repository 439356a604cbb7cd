"""Prometheus metrics. The API's /metrics reads the ledger's state at scrape time
(PipelineCollector: journal and read-model positions and lag in sequence numbers and
seconds, per-partition consumer lag, events posted by kind and rejected by reason,
parked events, open exceptions and the age of the oldest); the posting consumer also
counts and times its own batches (POSTING_* below), the relay and the projection worker
count what they carried, each served on its --metrics-port."""

from __future__ import annotations

import structlog
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.adapters.postgres import db, offsets, queries
from services.domain.errors import SplitbookError
from services.entrypoints.settings import Settings

log = structlog.get_logger()

POSTING_EVENTS = Counter("splitbook_posting_events", "events the posting consumer took, by outcome",
                         ["outcome"])
POSTING_REJECTED = Counter("splitbook_posting_rejected", "events rejected, by reason code", ["reason_code"])
POSTING_BATCH_SIZE = Histogram("splitbook_posting_batch_messages", "messages per posted batch",
                               buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10_000))
POSTING_BATCH_SECONDS = Histogram("splitbook_posting_batch_seconds", "time to post a batch",
                                  buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
RELAYED = Counter("splitbook_relay_transactions", "journal transactions the relay published to ledger.journal")
RELAY_SEQ = Gauge("splitbook_relay_last_seq", "the last journal sequence the relay published")
PROJECTED = Counter("splitbook_projection_transactions", "journal transactions the projection worker applied")
PROJECTION_SEQ = Gauge("splitbook_projection_last_seq", "the last journal sequence in the read models")
RELEASES = Counter("splitbook_release_commands", "ReleaseEscrow commands the release scheduler published")
RESERVE_RELEASES = Counter("splitbook_reserve_release_commands", "ReleaseReserve commands the release scheduler published")
ALERTS = Counter("splitbook_alerts_raised", "alerts raised (each breach once), by rule", ["rule"])
ALERTS_BREACHING = Gauge("splitbook_alerts_breaching", "subjects breaching each rule at the last evaluation", ["rule"])
PAYOUT_BATCHES = Counter("splitbook_payout_batches_asked", "CreatePayoutBatch commands the payout scheduler published")


def serve(port: int | None) -> None:
    """This process's metrics on 127.0.0.1:port (a port already taken is logged, not fatal)."""
    if not port:
        return
    from prometheus_client import start_http_server

    try:
        start_http_server(port, addr="127.0.0.1")
    except OSError as e:
        log.warning("metrics_port_unavailable", port=port, error=str(e))


class PipelineCollector(Collector):
    """Reads the database (and Kafka's watermarks) when Prometheus scrapes."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def collect(self):
        from services.posting.consumer import CONSUMER_NAME
        from services.posting.registry import input_topics
        from services.runtime import progress

        up = GaugeMetricFamily("splitbook_up", "1 when the ledger's database answered this scrape")
        try:
            with db.connect(self.settings.database_url, role="splitbook_operator", application_name="metrics") as c:
                s = queries.pipeline_state(c)
                stored = offsets.load(c, CONSUMER_NAME)
        except SplitbookError as e:
            log.warning("metrics_unavailable", error=str(e))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        seqs = GaugeMetricFamily("splitbook_journal_seq", "journal sequence reached", labels=["stage"])
        for stage, key in (("posted", "last_seq"), ("relayed", "relayed_seq"), ("projected", "projected_seq")):
            seqs.add_metric([stage], s[key])
        yield seqs
        lag = GaugeMetricFamily("splitbook_lag_seq", "journal sequences not yet relayed / projected", labels=["stage"])
        lag.add_metric(["relay"], s["last_seq"] - s["relayed_seq"])
        lag.add_metric(["projection"], s["last_seq"] - s["projected_seq"])
        yield lag
        lag_s = GaugeMetricFamily("splitbook_lag_seconds", "age of the oldest journal transaction not yet relayed /"
                                  " projected", labels=["stage"])
        lag_s.add_metric(["relay"], s["relay_lag_s"])
        lag_s.add_metric(["projection"], s["projection_lag_s"])
        yield lag_s
        posted = GaugeMetricFamily("splitbook_posted_transactions", "journal transactions, by kind", labels=["kind"])
        for kind, n in sorted(s["posted_by_kind"].items()):
            posted.add_metric([kind], n)
        yield posted
        rejected = GaugeMetricFamily("splitbook_exceptions", "exceptions ever recorded, by reason code",
                                     labels=["reason_code"])
        for reason, n in sorted(s["exceptions_by_reason"].items()):
            rejected.add_metric([reason], n)
        yield rejected
        yield GaugeMetricFamily("splitbook_open_exceptions", "exceptions open or assigned", value=s["open_exceptions"])
        yield GaugeMetricFamily("splitbook_oldest_open_exception_seconds", "age of the oldest open exception",
                                value=s["oldest_open_exception_s"])
        yield GaugeMetricFamily("splitbook_parked_events", "events waiting for what they need", value=s["parked"])
        consumer = GaugeMetricFamily("splitbook_consumer_lag_messages", "messages on an input partition not yet"
                                     " posted", labels=["topic", "partition"])
        try:
            highs = progress.high_watermarks(self.settings, [self.settings.topic(t) for t in input_topics()], 2)
        except SplitbookError as e:
            log.warning("metrics_kafka_unavailable", error=str(e))
            highs = {}
        for (topic, partition), high in sorted(highs.items()):
            consumer.add_metric([topic, str(partition)], max(0, high - stored.get((topic, partition), 0)))
        yield consumer
