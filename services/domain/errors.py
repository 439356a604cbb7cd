"""The error tree. Domain rejections carry a reason code; infrastructure errors are
transient (retry with backoff) or permanent (stop)."""

from __future__ import annotations

from enum import Enum


class Reason(str, Enum):
    """Why an event was rejected. Declaration order is precedence: when several
    apply, the one declared first wins (and is the one reported)."""

    MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"  # the message is larger than bounds.MESSAGE_MAX_BYTES (not decoded)
    SCHEMA_INVALID = "SCHEMA_INVALID"  # undecodable bytes, unknown writer schema, unresolvable schema
    OUT_OF_BOUNDS = "OUT_OF_BOUNDS"  # a field beyond the ledger's bounds (domain/bounds.py): id length or characters, time, amount, lines
    DUPLICATE_CONFLICT = "DUPLICATE_CONFLICT"  # event_id already posted with a different payload
    INVALID_FIELD = "INVALID_FIELD"  # an id is empty or not usable in an account address; no lines
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"  # not an ISO 4217 code
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"  # a line's currency differs from the event's
    NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT"  # an amount below zero (or a capture of zero)
    FEE_EXCEEDS_AMOUNT = "FEE_EXCEEDS_AMOUNT"  # gateway fee > amount, or platform fee > line amount
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"  # capture amount != sum of line amounts + shipping
    UNKNOWN_ORDER = "UNKNOWN_ORDER"  # parked too long: the order's capture never arrived
    UNKNOWN_DISPUTE = "UNKNOWN_DISPUTE"  # parked too long: the dispute's opening never arrived
    RELEASE_BEFORE_WINDOW = "RELEASE_BEFORE_WINDOW"  # release requested before the escrow window ends
    DISPUTE_OPEN = "DISPUTE_OPEN"  # release requested while a dispute on the order is open
    REFUND_EXCEEDS_HELD = "REFUND_EXCEEDS_HELD"  # refund beyond what escrow (or the release) holds
    DISPUTE_EXCEEDS_HELD = "DISPUTE_EXCEEDS_HELD"  # disputed amount beyond what is held or released
    UNKNOWN_BATCH = "UNKNOWN_BATCH"  # a bank confirmation for a batch the ledger never created
    CONFIRMATION_MISMATCH = "CONFIRMATION_MISMATCH"  # a confirmed line not in the batch, another amount, or re-decided
    UNBALANCED = "UNBALANCED"  # the transaction built would break an invariant (1-3): a bug guard
    INTERNAL_ERROR = "INTERNAL_ERROR"  # applying the rules to this message failed unexpectedly (a bug): quarantined


class SplitbookError(Exception):
    """Root of every error this project raises on purpose."""


class Rejected(SplitbookError):
    """A domain rule refuses an event. Never posted; goes to ledger.rejected + exceptions."""

    def __init__(self, reason: Reason, detail: str):
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class Park(SplitbookError):
    """Not an error yet: the event needs something not posted yet (its order's capture,
    the dispute's opening). It waits in the parked table and is retried when that posts;
    after the parking timeout it becomes an exception with `reason`."""

    def __init__(self, reason: Reason, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class NoOp(SplitbookError):
    """Nothing to post and nothing wrong (e.g. releasing an order already released)."""


class InfrastructureError(SplitbookError):
    """A service (Kafka, PostgreSQL) failed."""


class TransientError(InfrastructureError):
    """Worth retrying with a bounded backoff (connection lost, broker unavailable)."""


class PermanentError(InfrastructureError):
    """Retrying will not help (bad configuration, schema missing, fenced writer)."""


class ConfigError(SplitbookError):
    """A setting or CLI argument is wrong; reported as one line."""


class NotFound(ConfigError):
    """What was asked for does not exist (HTTP 404); one line on the CLI."""


class Unauthenticated(SplitbookError):
    """No token, or one no active operator holds (HTTP 401)."""


class Forbidden(SplitbookError):
    """The operator's role does not allow the action (HTTP 403)."""
