"""The projection's capture lane: a batch's capture records folded into the read
models' deltas in compiled code (services/native/src/projection.rs), the bulk of the
traffic; the rest of the batch decoded and folded the Python way, and both merged.

The folds of projections/*.py are the reference: the lane folds only captures whose
every field it reads plainly (no attributed metadata, no payable posting) and leaves
the others to them; a batch it cannot read through (another schema, bytes it does not
take, a sum past 64 bits) is folded by them whole, and their errors (an undecodable
message, a gap) are the worker's. tests/unit/test_projection_lane.py compares the
merged deltas with theirs over whole marketplace days. SPLITBOOK_NATIVE_LANE=0 turns
it off with the posting consumer's lane."""

from __future__ import annotations

from collections.abc import Sequence

from projections import account_balances, order_escrow, payouts, seller_balances
from services.adapters.avro import SchemaRegistry
from services.adapters.journal_record import JournalRecord
from services.domain.errors import PermanentError, Rejected

try:
    import splitbook_native
except ImportError:  # not built: the Python folds alone
    splitbook_native = None

READ_MODELS = (seller_balances, order_escrow, account_balances, payouts)
# JournalTransaction v1 (schemas/ledger/JournalTransaction.v1.avsc): the layout the lane reads.
V1_FINGERPRINT_NAME = ("JournalTransaction", 1)


def lane_fingerprint(registry: SchemaRegistry, enabled: bool = True) -> bytes | None:
    """The fingerprint the lane reads, when it is enabled, built and the registry's reader."""
    if not enabled or splitbook_native is None:
        return None
    latest = registry.latest("JournalTransaction")
    return latest.fingerprint if (latest.name, latest.version) == V1_FINGERPRINT_NAME else None


def contiguous_after(seqs: Sequence[int], after_seq: int) -> list[int]:
    """The positions of the seqs after after_seq, which must follow it without a gap."""
    fresh = [i for i, seq in enumerate(seqs) if seq > after_seq]
    expected = after_seq + 1
    for i in fresh:
        if seqs[i] != expected:
            raise PermanentError(f"journal gap: expected seq {expected}, got {seqs[i]}")
        expected += 1
    return fresh


def decode(registry: SchemaRegistry, value: bytes, offset: int) -> JournalRecord:
    try:
        return registry.decode(value)[1]
    except Rejected as r:
        raise PermanentError(f"undecodable journal message at offset {offset}: {r}") from r


def fold_batch(registry: SchemaRegistry, values: Sequence[bytes], after_seq: int, first_offset: int = 0,
               lane: bytes | None = None) -> tuple[int, int, list]:
    """The messages folded on after_seq: (last fresh seq, last seq, each read model's
    deltas in READ_MODELS order). lane: the fingerprint the compiled lane reads (None:
    the Python folds alone)."""
    answer = None
    if lane is not None:
        try:
            answer = splitbook_native.fold_captures(values, lane, after_seq)
        except (TypeError, ValueError):  # not bytes, say: the reference says what is wrong
            answer = None
    if answer is None:
        records = [decode(registry, v, first_offset + i) for i, v in enumerate(values)]
        fresh = [records[i] for i in contiguous_after([r["seq"] for r in records], after_seq)]
        last = fresh[-1]["seq"] if fresh else after_seq
        return last, records[-1]["seq"], [model.fold(fresh) for model in READ_MODELS]
    seqs, rest, sellers, orders, accounts = answer
    fresh = contiguous_after(seqs, after_seq)
    last = seqs[fresh[-1]] if fresh else after_seq
    others = [decode(registry, values[i], first_offset + i) for i in rest if seqs[i] > after_seq]
    return last, seqs[-1], [seller_balances.merge(sellers, seller_balances.fold(others)),
                            order_escrow.merge(orders, order_escrow.fold(others)),
                            account_balances.merge(accounts, account_balances.fold(others)),
                            payouts.fold(others)]
