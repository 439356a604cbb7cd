"""The projection's compiled capture lane (services/native/src/projection.rs) against
its reference, the Python folds: a batch's captures folded there, the rest here, merged,
give every read model exactly the reference's deltas; what it cannot read through is
folded by the reference whole, with the reference's errors."""

from datetime import date, datetime, timezone

import pytest

from projections import lane as lane_module
from projections.lane import READ_MODELS, fold_batch, lane_fingerprint
from services.adapters.avro import SchemaRegistry
from services.adapters.journal_record import journal_record
from services.domain.errors import PermanentError
from services.domain.journal import PostedTransaction
from tests.helpers import posted_day

REGISTRY = SchemaRegistry.from_dir()
ENCODE = REGISTRY.encoder("JournalTransaction")
LANE = lane_fingerprint(REGISTRY)
NOW = datetime(2026, 11, 26, tzinfo=timezone.utc)


def journal_of_a_day(orders: int = 400) -> list[bytes]:
    """A marketplace day's journal as the relay publishes it: captures, refunds, disputes."""
    return [ENCODE(journal_record(PostedTransaction(seq, NOW, t)))
            for seq, t in enumerate(posted_day(date(2026, 11, 21), orders, 15, seed=4), 1)]


VALUES = journal_of_a_day()


@pytest.mark.parametrize("after", [0, 1, 250, len(VALUES) - 1, len(VALUES)])
def test_a_day_folded_with_the_lane_is_the_reference_fold(after):
    assert fold_batch(REGISTRY, VALUES, after, lane=LANE) == fold_batch(REGISTRY, VALUES, after)


def test_the_lane_takes_the_captures_and_leaves_the_rest_to_the_reference():
    seqs, rest, sellers, orders, accounts = lane_module.splitbook_native.fold_captures(VALUES, LANE, 0)
    kinds = [REGISTRY.decode(v)[1]["kind"] for v in VALUES]
    assert seqs == list(range(1, len(VALUES) + 1))
    assert rest == [i for i, k in enumerate(kinds) if k != "capture"] and 0 < len(rest) < len(VALUES) // 4
    assert len(orders) == kinds.count("capture") and all(row["new"] for row in orders.values())


def test_batches_in_a_row_fold_alike_and_a_gap_or_bad_bytes_fail_as_the_reference_fails():
    for start in range(0, len(VALUES), 97):
        chunk = VALUES[start:start + 97]
        assert fold_batch(REGISTRY, chunk, start, lane=LANE) == fold_batch(REGISTRY, chunk, start)
    with_gap = VALUES[:10] + VALUES[11:20]
    for lane in (LANE, None):
        with pytest.raises(PermanentError, match="journal gap: expected seq 11, got 12"):
            fold_batch(REGISTRY, with_gap, 0, lane=lane)
        with pytest.raises(PermanentError, match="undecodable journal message at offset 105"):
            fold_batch(REGISTRY, VALUES[:5] + [b"\xc3\x01junk"] + VALUES[6:9], 0, 100, lane=lane)
    assert len(READ_MODELS) == 4


def test_the_lane_is_off_when_asked_or_not_built(monkeypatch):
    assert lane_fingerprint(REGISTRY, enabled=False) is None and LANE is not None
    monkeypatch.setattr(lane_module, "splitbook_native", None)
    assert lane_fingerprint(REGISTRY) is None
