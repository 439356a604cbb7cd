"""The topics of DESIGN.md and their layout."""

from __future__ import annotations

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic, ResourceType

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


# What the ledger itself writes may be larger than the broker's default (1 MB): a payout
# batch of bounds.RESULTS_MAX sellers is one journal transaction of up to ~25 MB. The
# relay's producer and the consumers of these topics accept records up to this size.
RECORD_MAX_BYTES = 64 * 1024 * 1024
CONFIGS = {JOURNAL: {"max.message.bytes": str(RECORD_MAX_BYTES)}, REJECTED: {"max.message.bytes": str(RECORD_MAX_BYTES)}}


def ensure_topics(bootstrap: str, prefix: str = "", timeout_s: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet; returns those created."""
    from services.adapters.kafka.config import REACH_TIMEOUT_S, client_config

    admin = AdminClient(client_config(bootstrap))
    try:
        existing = set(admin.list_topics(timeout=min(timeout_s, REACH_TIMEOUT_S)).topics)
    except KafkaException as e:
        raise TransientError(f"cannot reach Kafka at {bootstrap} (no answer in {REACH_TIMEOUT_S:.0f} s)") from e
    wanted = [NewTopic(prefix + name, num_partitions=n, replication_factor=1, config=CONFIGS.get(name, {}))
              for name, n in LAYOUT.items() if prefix + name not in existing]
    _configure(admin, [prefix + name for name in CONFIGS if prefix + name in existing], prefix, timeout_s)
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


def _configure(admin: AdminClient, names: list[str], prefix: str, timeout_s: float) -> None:
    """Topics created before CONFIGS said what they need get it (idempotent)."""
    if not names:
        return
    resources = [ConfigResource(ResourceType.TOPIC, name, incremental_configs=[
        ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
        for key, value in CONFIGS[name[len(prefix):]].items()]) for name in names]
    for name, fut in admin.incremental_alter_configs(resources, request_timeout=timeout_s).items():
        try:
            fut.result()
        except KafkaException as e:
            raise TransientError(f"configuring topic {name}: {e}") from e
