"""The one place that builds concrete adapters from Settings. Nothing connects at import."""

from __future__ import annotations

from datetime import timedelta

from confluent_kafka import Consumer, Producer

from projections.worker import ProjectionWorker
from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.adapters.kafka.config import consumer_config, ensure_reachable, producer_config
from services.adapters.postgres import db
from services.adapters.postgres.migrate import migrate
from services.domain.rules.capture import Policy
from services.entrypoints.settings import Settings
from services.posting.consumer import PostingConsumer
from services.posting.lane import capture_lane
from services.posting.registry import input_topics
from services.relay.relay import Relay


def policy(settings: Settings) -> Policy:
    return Policy(escrow_window=timedelta(days=settings.escrow_window_days))


def prepare(settings: Settings) -> None:
    """Migrate the database and create the topics (both idempotent)."""
    with db.connect(settings.database_url) as conn:
        migrate(conn)
    topics.ensure_topics(settings.kafka_bootstrap_servers, settings.topic_prefix)


def posting_consumer(settings: Settings) -> PostingConsumer:
    registry = SchemaRegistry.from_dir()
    return PostingConsumer(
        consumer=Consumer(consumer_config(settings, "posting")),
        conn=db.connect(settings.database_url, application_name="splitbook-posting", role="splitbook_posting"),
        reader=db.connect(settings.database_url, application_name="splitbook-posting-read", role="splitbook_posting"),
        registry=registry,
        policy=policy(settings),
        topics=[settings.topic(t) for t in input_topics()],
        topic_of=settings.topic,
        batch_max=settings.batch_max_messages,
        batch_timeout_s=settings.batch_timeout_s,
        park_timeout=timedelta(seconds=settings.park_timeout_s),
        lane=capture_lane(registry, policy(settings), settings.native_lane),
    )


def relay(settings: Settings) -> Relay:
    return Relay(
        conn=db.connect(settings.database_url, application_name="splitbook-relay", role="splitbook_relay"),
        listen_conn=db.connect(settings.database_url, application_name="splitbook-relay-listen", role="splitbook_relay"),
        producer=Producer(producer_config(settings)),
        registry=SchemaRegistry.from_dir(),
        journal_topic=settings.topic(topics.JOURNAL),
        rejected_topic=settings.topic(topics.REJECTED),
    )


def projection_worker(settings: Settings) -> ProjectionWorker:
    return ProjectionWorker(
        consumer=Consumer(consumer_config(settings, "projections")),
        # the read models and their position commit together and are recomputed from the
        # journal: a commit lost in a crash of PostgreSQL is folded again from the older position
        conn=db.connect(settings.database_url, application_name="splitbook-projections", role="splitbook_projector",
                        durable_commits=False),
        registry=SchemaRegistry.from_dir(),
        journal_topic=settings.topic(topics.JOURNAL),
        batch_max=settings.batch_max_messages,
        batch_timeout_s=settings.batch_timeout_s,
        native_lane=settings.native_lane,
    )


def producer(settings: Settings) -> Producer:
    """A producer for a command that publishes (fails within seconds, naming the broker,
    when Kafka does not answer)."""
    ensure_reachable(settings.kafka_bootstrap_servers)
    return Producer(producer_config(settings))


def close_connections(worker) -> None:
    """Close the database connections a worker built here holds (it is done, or is about
    to be built again after PostgreSQL went away)."""
    for name in ("conn", "reader", "listen_conn"):
        conn = getattr(worker, name, None)
        if conn is not None and not conn.closed:
            conn.close()
