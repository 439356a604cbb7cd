"""Transaction metadata at the edges: the domain's values are typed (per-seller and
per-part amounts are dicts, approvers a list); PostgreSQL's jsonb column and the
JournalTransaction record hold a map of strings, the structured values as compact JSON
text with sorted keys (the form the hash chain has always covered)."""

from __future__ import annotations

import json

from services.domain.journal import Metadata

STRUCTURED = frozenset({"lines", "settled", "failed", "returned", "hold", "withholding", "withholding_clawback", "parts",
                        "platform_fees", "approvers", "reserve", "covered", "sales"})

_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode


def encode(metadata: Metadata) -> dict[str, str]:
    """Typed -> a map of strings (structured values as JSON text)."""
    return {k: v if type(v) is str else _JSON(v) for k, v in metadata.items()}


def decode(stored: dict[str, str]) -> Metadata:
    """A map of strings -> typed (the structured keys parsed)."""
    return {k: json.loads(v) if k in STRUCTURED and isinstance(v, str) else v for k, v in stored.items()}
