"""A payout batch as the journal has it: folded from its transactions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from services.domain.journal import Transaction, TxKind


@dataclass
class BatchState:
    """A payout batch as the journal has it."""

    batch_id: str
    currency: str | None = None
    batch_date: str | None = None
    created_txn: uuid.UUID | None = None
    lines: dict[str, int] = field(default_factory=dict)  # seller -> amount in flight
    outcome: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # seller -> (status, reference)

    @property
    def exists(self) -> bool:
        return self.created_txn is not None

    def apply(self, t: Transaction) -> None:
        if t.kind == TxKind.PAYOUT_BATCH:
            self.created_txn = t.transaction_id
            self.currency = t.postings[0].currency
            self.batch_date = t.metadata["batch_date"]
            self.lines = {s: int(a) for s, a in t.metadata["lines"].items()}
        elif t.kind == TxKind.PAYOUT_CONFIRMATION:
            for s, (_amount, ref) in t.metadata.get("settled", {}).items():
                self.outcome[s] = ("SETTLED", ref)
            for s, (_amount, reason) in t.metadata.get("failed", {}).items():
                self.outcome[s] = ("FAILED", reason)
        elif t.kind == TxKind.PAYOUT_RETURN:
            for s, (_amount, reason) in t.metadata["returned"].items():
                self.outcome[s] = ("RETURNED", reason)


def fold_batch(batch_id: str, txns: list[Transaction]) -> BatchState:
    state = BatchState(batch_id)
    for t in txns:
        state.apply(t)
    return state
