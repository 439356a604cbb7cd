"""The capture lane: plainly valid captures decoded, posted and formatted in compiled code
(services/native, the `splitbook_native` extension), the posting consumer's hot path.

The Python path stays the reference, and the lane answers for a message only when the
reference would post it, and post it the same way:

- `parse` takes a message of OrderCaptured v2 or v3 (the schemas the lane was written
  for, pinned by fingerprint) whose every field is within bounds and of the plain
  alphabet, and whose amounts add up; it records the reporting dimensions (channel,
  region, and the sales per seller and category) as the capture rule does; anything
  else is None and goes the Python way (decoded, judged, rejected with the reference's
  own reason and words);
- its transaction is the capture rule's, its digest the registry's identity, its rows
  and chain hash `journal.format_rows`'s, byte for byte (tests/unit/test_capture_lane.py
  compares them on generated captures);
- the rules that read a lane capture's order later (a refund in the next batch, a second
  capture of the same order) get the order's state folded from the reference's
  transaction for it, built then (`transaction`), so only orders touched again pay for it.

`SPLITBOOK_NATIVE_LANE=0` turns it off: every message then goes the Python way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka import topics
from services.domain import journal, money
from services.domain.events import OrderCaptured
from services.domain.journal import Transaction
from services.domain.rules.capture import Policy, handle_order_captured
from services.posting.registry import BY_NAME, EventType

try:
    import splitbook_native
except ImportError:  # not built: the Python path alone
    splitbook_native = None

log = structlog.get_logger()

# OrderCaptured v2 (schemas/marketplace/OrderCaptured.v2.avsc): the layout the lane reads.
V2_FINGERPRINT = bytes.fromhex("91175d380e6b4955")
# The reader versions the lane's events are the reader's in (a v2 message read by v3 has
# no category and no region, as the lane reads it).
READERS = (2, 3)

if splitbook_native is not None:
    LaneCapture: type = splitbook_native.NativeCapture
else:
    class LaneCapture:  # type: ignore[no-redef]  # never made: isinstance checks stay cheap and false
        pass


class CaptureLane:
    """The compiled lane for one registry and policy."""

    def __init__(self, registry: SchemaRegistry, policy: Policy):
        if splitbook_native is None:
            raise RuntimeError("the splitbook_native extension is not installed (services/native)")
        self.registry = registry
        self.policy = policy
        self.compiled = splitbook_native.CaptureLane(
            V2_FINGERPRINT, set(money.currencies()), journal.TRANSACTION_ID_NAMESPACE.bytes,
            policy.escrow_window // timedelta(microseconds=1), registry.version("OrderCaptured", 3).fingerprint)
        self.parse = self.compiled.parse  # value -> LaneCapture | None
        self.parse_many = self.compiled.parse_many  # values -> [LaneCapture | None], without the GIL
        capture = BY_NAME["OrderCaptured"]
        self.type = EventType(OrderCaptured, topics.ORDERS, self._rule, capture.needs, capture.identity)
        self._reference_rule = capture.rule

    def event(self, c: LaneCapture) -> OrderCaptured:
        """The reference's event for a capture the lane took."""
        _name, record = self.registry.decode(c.value)
        return OrderCaptured.from_record(record)

    def transaction(self, c: LaneCapture) -> Transaction:
        """The reference's transaction for it (what the lane's rows are the rows of)."""
        return handle_order_captured(self.event(c), self.policy)

    def _rule(self, c: LaneCapture, ctx: Any) -> Any:
        """The capture rule for a lane capture: a new order's capture is the lane's own;
        anything the order's state has a say in (a second capture) is the reference's."""
        if ctx.captured(c.order_id):
            return self._reference_rule(self.event(c), ctx)
        return c


def capture_lane(registry: SchemaRegistry, policy: Policy, enabled: bool = True) -> CaptureLane | None:
    """The lane, when it is enabled, built, and the registry reads captures as the lane does."""
    if not enabled:
        return None
    if splitbook_native is None:
        log.warning("capture_lane_unavailable", detail="splitbook_native is not installed: the Python path alone")
        return None
    if registry.latest("OrderCaptured").version not in READERS:
        log.warning("capture_lane_off", detail="the registry reads OrderCaptured in another version than the lane")
        return None
    return CaptureLane(registry, policy)
