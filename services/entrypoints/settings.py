"""Settings from the environment (and .local/env written by `make up`), validated once."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from services.domain import payees
from services.domain.alerts import Rule, Thresholds
from services.domain.errors import ConfigError, Rejected
from services.payouts.batch import Debtor

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
    api_url: str = "http://127.0.0.1:8400"  # where `splitbook api` listens (make up writes it to .local/env)
    batch_max_messages: int = Field(5000, ge=1, le=100_000)
    batch_timeout_s: float = Field(0.2, gt=0)
    native_lane: bool = True  # the compiled capture lane (services/posting/lane.py); 0: the Python path alone
    escrow_window_days: int = Field(30, ge=0)
    queued_max_kbytes: int = Field(4096, ge=1024)
    park_timeout_s: float = Field(86_400, gt=0)  # parked this long -> UNKNOWN_ORDER exception
    two_approvals_above_minor: int = Field(100_000, ge=0)  # adjustments larger than this need two checkers
    # The alert rules' thresholds (services/domain/alerts.py, docs/operations.md "Alerts").
    alert_refund_rate_bp: int = Field(Thresholds.refund_rate_bp, ge=0, le=10_000)
    alert_chargeback_rate_bp: int = Field(Thresholds.chargeback_rate_bp, ge=0, le=10_000)
    alert_rate_window_days: int = Field(Thresholds.rate_window_days, ge=1, le=366)
    alert_rate_min_captures: int = Field(Thresholds.rate_min_captures, ge=1)
    alert_negative_payable_minor: int = Field(Thresholds.negative_payable_minor, ge=0)
    alert_recon_tolerance_minor: int = Field(Thresholds.recon_tolerance_minor, ge=0)
    alert_exception_age_hours: float = Field(Thresholds.exception_age_hours, gt=0)
    alert_parked_age_minutes: float = Field(Thresholds.parked_age_minutes, gt=0)
    alert_projection_lag_s: float = Field(Thresholds.projection_lag_s, gt=0)
    alert_rules: frozenset[Rule] = frozenset(Rule)  # SPLITBOOK_ALERT_RULES: comma-separated reason codes, or "all"
    # Who pays out, as the payout files name them (pain.001 Dbtr, DbtrAcct, DbtrAgt); the
    # defaults are the payout files' own (payouts.batch.Debtor), kept in one place.
    payout_debtor_name: str = Field(Debtor.name, min_length=1, max_length=140)
    payout_debtor_account: str = Field(Debtor.account, min_length=1, max_length=34)
    payout_debtor_bic: str = Field(Debtor.bic, pattern=r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")
    # What the debtor bank takes: the pain.001 version, the service level, and the
    # currencies whose batches go out as CNAB 240 instead (BRL at a Brazilian bank).
    payout_pain001_version: Literal["pain.001.001.09", "pain.001.001.03"] = Debtor.pain001_version
    payout_service_level: str = Field(Debtor.service_level, pattern=r"^[A-Z0-9]{1,4}$")
    payout_cnab240_currencies: list[str] = Field(default_factory=list)
    # The debtor in a CNAB 240 file: CNPJ, bank (COMPE code, name), branch, account, agreement.
    payout_debtor_document: str = Field(Debtor.document, pattern=r"^[0-9]{14}$")
    payout_debtor_bank_code: str = Field(Debtor.bank_code, pattern=r"^[0-9]{3}$")
    payout_debtor_bank_name: str = Field(Debtor.bank_name, min_length=1, max_length=30)
    payout_debtor_branch: str = Field(Debtor.branch, pattern=r"^[0-9]{1,5}(-[0-9A-Z])?$")
    payout_debtor_account_number: str = Field(Debtor.account_number, pattern=r"^[0-9]{1,12}(-[0-9A-Z])?$")
    payout_debtor_agreement: str = Field(Debtor.agreement, max_length=20)

    @field_validator("payout_cnab240_currencies", mode="before")
    @classmethod
    def _currency_list(cls, v):
        return [c.strip() for c in v.split(",") if c.strip()] if isinstance(v, str) else v

    @field_validator("alert_rules", mode="before")
    @classmethod
    def _rule_list(cls, v):
        if isinstance(v, str):
            names = [r.strip() for r in v.split(",") if r.strip()]
            return frozenset(Rule) if names == ["all"] else frozenset(names)
        return v

    @field_validator("payout_cnab240_currencies")
    @classmethod
    def _brl_only(cls, v: list[str]) -> list[str]:
        if any(c != "BRL" for c in v):
            raise ValueError("CNAB 240 pays BRL only")
        return v

    @field_validator("payout_debtor_document")
    @classmethod
    def _cnpj(cls, v: str) -> str:
        try:
            return payees.check_document(v)
        except Rejected as e:
            raise ValueError(e.detail) from None

    @field_validator("topic_prefix")
    @classmethod
    def _prefix_ok(cls, v: str) -> str:
        if v and not all(c.isalnum() or c in "._-" for c in v):
            raise ValueError("topic prefix may hold only letters, digits, '.', '_' and '-'")
        return v

    def alert_thresholds(self) -> Thresholds:
        return Thresholds(**{f.name: getattr(self, f"alert_{f.name}") for f in fields(Thresholds)})

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
            "api_url": env.get("SPLITBOOK_API_URL", "http://127.0.0.1:8400"),
        }
        for key in ("batch_max_messages", "batch_timeout_s", "native_lane", "escrow_window_days", "queued_max_kbytes",
                    "park_timeout_s", "two_approvals_above_minor", "payout_debtor_name", "payout_debtor_account",
                    "payout_debtor_bic", "payout_pain001_version", "payout_service_level", "payout_cnab240_currencies",
                    "payout_debtor_document", "payout_debtor_bank_code", "payout_debtor_bank_name",
                    "payout_debtor_branch", "payout_debtor_account_number", "payout_debtor_agreement",
                    *(f"alert_{f.name}" for f in fields(Thresholds))):
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
