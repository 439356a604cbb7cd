"""The topics of DESIGN.md and their layout."""

from __future__ import annotations

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from services.domain.errors import TransientError

ORDERS = "marketplace.orders"
REFUNDS = "marketplace.refunds"
DISPUTES = "marketplace.disputes"
SELLERS = "marketplace.sellers"
BANK_CONFIRMATIONS = "bank.confirmations"
COMMANDS = "ledger.commands"
JOURNAL = "ledger.journal"
REJECTED = "ledger.rejected"

# name -> partitions. The journal has one partition: it carries the global store order.
LAYOUT = {
    ORDERS: 3,
    REFUNDS: 3,
    DISPUTES: 3,
    SELLERS: 1,
    BANK_CONFIRMATIONS: 1,
    COMMANDS: 1,
    JOURNAL: 1,
    REJECTED: 1,
}


def ensure_topics(bootstrap: str, prefix: str = "", timeout_s: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet; returns those created."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        existing = set(admin.list_topics(timeout=timeout_s).topics)
    except KafkaException as e:
        raise TransientError(f"Kafka at {bootstrap} did not answer: {e}") from e
    wanted = [NewTopic(prefix + name, num_partitions=n, replication_factor=1)
              for name, n in LAYOUT.items() if prefix + name not in existing]
    if not wanted:
        return []
    created = []
    for topic, fut in admin.create_topics(wanted, operation_timeout=timeout_s).items():
        try:
            fut.result()
            created.append(topic)
        except KafkaException as e:
            if e.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise TransientError(f"creating topic {topic}: {e}") from e
    return created
