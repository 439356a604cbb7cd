"""One fixture for the real services: testcontainers where a Docker engine answers,
the project's locally started PostgreSQL and Kafka otherwise (deploy/scripts), or
whatever DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS point at."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo, sql

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Services:
    admin_url: str  # a database URL with CREATE DATABASE rights
    kafka: str


def _docker_ok() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


def _local_env() -> dict[str, str]:
    path = ROOT / ".local" / "env"
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


@pytest.fixture(scope="session")
def services():
    if os.environ.get("DATABASE_URL") and os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield Services(os.environ["DATABASE_URL"], os.environ["KAFKA_BOOTSTRAP_SERVERS"])
        return
    if _docker_ok():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as pg, \
                KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka:
            yield Services(pg.get_connection_url(), kafka.get_bootstrap_server())
        return
    env = _local_env()
    if not env:
        pytest.exit("no services: run the suite with `make test` (it starts PostgreSQL and Kafka)", returncode=3)
    yield Services(env["DATABASE_URL"], env["KAFKA_BOOTSTRAP_SERVERS"])


def _with_db(url: str, dbname: str) -> str:
    params = conninfo.conninfo_to_dict(url)
    params["dbname"] = dbname
    return conninfo.make_conninfo(**params)


@pytest.fixture(scope="session")
def template_db(services):
    """A migrated database that each test's database is copied from."""
    from services.adapters.postgres.migrate import migrate

    name = f"splitbook_tmpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(services.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(_with_db(services.admin_url, name), autocommit=True) as conn:
        migrate(conn)
    yield name
    with psycopg.connect(services.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def database_url(services, template_db):
    name = f"splitbook_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(services.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_db)))
    yield _with_db(services.admin_url, name)
    with psycopg.connect(services.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def conn(database_url):
    with psycopg.connect(database_url, autocommit=True) as c:
        yield c


@pytest.fixture
def settings(services, database_url):
    """Settings for one test: its own database and its own topics (a unique prefix)."""
    from services.adapters.kafka.topics import ensure_topics
    from services.entrypoints.settings import Settings

    prefix = f"t{uuid.uuid4().hex[:10]}."
    ensure_topics(services.kafka, prefix)
    return Settings(database_url=database_url, kafka_bootstrap_servers=services.kafka, topic_prefix=prefix,
                    batch_timeout_s=0.1)


@pytest.fixture
def worker_env(settings):
    """Environment for running the real `splitbook` processes against this test's stack."""
    from services.controls import operators

    env = {k: v for k, v in os.environ.items() if not k.startswith("SPLITBOOK_")}
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        token = operators.add(conn, "test-admin", "admin", "tests")  # the CLI's writes act as an operator
    env.update(DATABASE_URL=settings.database_url, KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap_servers,
               SPLITBOOK_TOPIC_PREFIX=settings.topic_prefix, SPLITBOOK_TOKEN=token)
    return env
