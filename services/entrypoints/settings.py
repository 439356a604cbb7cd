"""Settings from the environment (and .local/env written by `make up`), validated once."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from services.domain.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ENV = ROOT / ".local" / "env"


def _local_env() -> dict[str, str]:
    """KEY=VALUE lines of .local/env, if `make up` wrote one."""
    values: dict[str, str] = {}
    if LOCAL_ENV.exists():
        for line in LOCAL_ENV.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip().strip("'\"")
    return values


class Settings(BaseModel):
    database_url: str = Field(min_length=1)
    kafka_bootstrap_servers: str = Field(min_length=1)
    topic_prefix: str = ""  # tests isolate themselves with a prefix
    batch_max_messages: int = Field(5000, ge=1, le=100_000)
    batch_timeout_s: float = Field(0.2, gt=0)
    escrow_window_days: int = Field(30, ge=0)
    queued_max_kbytes: int = Field(4096, ge=1024)
    park_timeout_s: float = Field(86_400, gt=0)  # parked this long -> UNKNOWN_ORDER exception
    two_approvals_above_minor: int = Field(100_000, ge=0)  # adjustments larger than this need two checkers
    # Who pays out, as the payout files name them (pain.001 Dbtr, DbtrAcct, DbtrAgt).
    payout_debtor_name: str = Field("Splitbook Marketplace Ltda", min_length=1, max_length=140)
    payout_debtor_account: str = Field("BR00SPLITBOOK0PAYOUTS0000001", min_length=1, max_length=34)
    payout_debtor_bic: str = Field("SPLTBRSPXXX", pattern=r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")

    @field_validator("topic_prefix")
    @classmethod
    def _prefix_ok(cls, v: str) -> str:
        if v and not all(c.isalnum() or c in "._-" for c in v):
            raise ValueError("topic prefix may hold only letters, digits, '.', '_' and '-'")
        return v

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def group(self, name: str) -> str:
        return f"{self.topic_prefix}splitbook-{name}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        env = {**_local_env(), **(os.environ if env is None else env)}
        raw = {
            "database_url": env.get("DATABASE_URL", ""),
            "kafka_bootstrap_servers": env.get("KAFKA_BOOTSTRAP_SERVERS", ""),
            "topic_prefix": env.get("SPLITBOOK_TOPIC_PREFIX", ""),
        }
        for key in ("batch_max_messages", "batch_timeout_s", "escrow_window_days", "queued_max_kbytes",
                    "park_timeout_s", "two_approvals_above_minor", "payout_debtor_name", "payout_debtor_account",
                    "payout_debtor_bic"):
            if f"SPLITBOOK_{key.upper()}" in env:
                raw[key] = env[f"SPLITBOOK_{key.upper()}"]
        raw.update(overrides)
        if not raw["database_url"]:
            raise ConfigError("DATABASE_URL is not set and .local/env has none: run `make up` first")
        if not raw["kafka_bootstrap_servers"]:
            raise ConfigError("KAFKA_BOOTSTRAP_SERVERS is not set and .local/env has none: run `make up` first")
        try:
            return cls(**raw)
        except ValidationError as e:
            first = e.errors()[0]
            raise ConfigError(f"setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from e
