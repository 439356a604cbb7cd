"""A reference model of where one order's money is, written without the rules' code,
and a state machine that drives random lifecycles through the real batch logic and
compares every account with the model after every step (DESIGN.md, "What is still there
bounds everything after release").

The model is deliberately simple: the order's money sits in parts — escrow per seller,
platform fee and shipping before release; per seller a payable part and a withholding
part, the platform's take rate and the shipping payable after release; dispute holds —
and every event moves amounts between parts and the outside (the buyer, the gateway's
pool). Its spec, in full:

- a refund line returns at most the platform fee its own seller's items carried, less
  what refunds returned of it;
- refund before release: the named escrow parts, each within what it holds;
- release: escrow per seller -> payable + withholding (half-even of the seller's rate),
  platform -> take rate, shipping -> shipping payable; of what the payable part gets,
  the seller's reserve rate (half-even) sits in the seller's reserve account until the
  release's time + the reserve period;
- reserve release as of t: the reserve account gives the payable account what it holds
  beyond the amounts whose period ends after t (nothing for a seller on hold);
- payout batch: a negative payable is covered from the reserve (at most what it holds),
  then every positive payable goes to the batch's in-flight account;
- refund after release: a seller's share comes from that seller's payable and
  withholding in proportion to what is left of them (half-even; a refund of all that is
  left takes exactly that), the platform fee from the take rate, shipping from the
  shipping payable, each within what is left;
- dispute: at most what is left (escrow before release, every after-release part after),
  taken pro rata to what is left of each part (half-even); a dispute of all that is left
  takes exactly that; a won dispute returns exactly what it took, a lost one leaves to the
  buyer through the pool (and its fee is an expense).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from services.domain.events import (CaptureLine, CreatePayoutBatch, DisputeOpened, DisputeResolved, OrderCaptured,
                                    RefundIssued, RefundLine, ReleaseEscrow, ReleaseReserve, SellerProfileUpdated)
from services.domain.rules.capture import Policy
from services.posting.batch import Context, Decoded, Inbound, apply_rules, digest
from services.posting.registry import BY_NAME

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
OID = "O_1"
POOL, MDR, CB_FEE = "ops:pool:card", "ops:expense:mdr:card", "ops:expense:chargeback:card"
TAX, TAKE, SHIP, HOLD = "ops:tax:withholding", "ops:revenue:takerate", "ops:payable:shipping", f"order:{OID}:dispute:hold"


def half_even(n: int, d: int) -> int:
    q, r = divmod(n, d)
    return q + (1 if 2 * r > d or (2 * r == d and q % 2) else 0)


def pro_rata(amount: int, lefts: list[int]) -> list[int]:
    """amount out of parts holding lefts: half-even shares; all that is left takes each
    part whole; any rounding remainder settles within what each part holds, in order."""
    total = sum(lefts)
    if amount == total:
        return list(lefts)
    shares = [half_even(amount * x, total) for x in lefts]
    rest = amount - sum(shares)
    for i, x in enumerate(lefts):
        step = max(-shares[i], min(rest, x - shares[i]))
        shares[i] += step
        rest -= step
    return shares


class Reserve(NamedTuple):
    rate_bp: int
    days: int


class Model:
    def __init__(self, sellers: list[str], rates: dict[str, int], reserves: dict[str, Reserve] | None = None):
        self.sellers, self.rates = sellers, rates
        self.reserves = reserves or {}
        self.holds: list[tuple[str, datetime, int]] = []  # (seller, held until, amount)
        self.books: Counter = Counter()  # account -> debits - credits
        self.escrow: dict[str, int] = {}  # account -> what it holds
        self.left: dict[str, int] = {}  # after release: part -> what is still there
        self.released = False
        self.disputes: dict[str, tuple[int, dict[str, int]] | None] = {}  # open: (amount, taken); resolved: None
        self.captured = 0
        self.pool_out = 0

    def _move(self, moves: dict[str, int]) -> None:
        for account, amount in moves.items():
            if amount:
                self.books[account] += amount

    # after-release parts and the account each sits in
    def parts(self) -> list[str]:
        return ([f"payable:{s}" for s in self.sellers] + [f"withholding:{s}" for s in self.sellers]
                + ["platform", "shipping"])

    @staticmethod
    def account(part: str) -> str:
        kind, _, seller = part.partition(":")
        return {"payable": f"seller:{seller}:payable", "withholding": TAX, "platform": TAKE, "shipping": SHIP}[kind]

    def capture(self, lines: list[tuple[str, int, int]], shipping: int, fee: int) -> None:
        amount = sum(a for _, a, _ in lines) + shipping
        self.captured = amount
        self._move({POOL: amount - fee, MDR: fee})
        for s, a, f in lines:
            self.escrow[f"order:{OID}:escrow:seller:{s}"] = self.escrow.get(f"order:{OID}:escrow:seller:{s}", 0) + a - f
        self.fees_left = Counter()
        for s, _a, f in lines:
            self.fees_left[s] += f
        self.escrow[f"order:{OID}:escrow:shipping"] = shipping
        self.escrow[f"order:{OID}:escrow:platform"] = sum(f for _, _, f in lines)
        for acc, v in self.escrow.items():
            self.books[acc] -= v

    def refund(self, lines: list[tuple[str, int, int]], shipping: int) -> bool:
        total = sum(a for _, a, _ in lines) + shipping
        if total <= 0:
            return False
        seller_fees = Counter()
        for s, _a, f in lines:
            seller_fees[s] += f
        if any(f > self.fees_left[s] for s, f in seller_fees.items()):  # a line returns only its own seller's fee
            return False
        if not self.released:
            want = Counter()
            for s, a, f in lines:
                want[f"order:{OID}:escrow:seller:{s}"] += a - f
                want[f"order:{OID}:escrow:platform"] += f
            want[f"order:{OID}:escrow:shipping"] += shipping
            if any(v > self.escrow.get(acc, 0) for acc, v in want.items() if v):
                return False
            for acc, v in want.items():
                self.escrow[acc] = self.escrow.get(acc, 0) - v
                self.books[acc] += v
        else:
            share = Counter()
            for s, a, f in lines:
                share[s] += a - f
            fees = sum(f for _, _, f in lines)
            takes = {}
            for s, x in share.items():
                pay, wh = self.left[f"payable:{s}"], self.left[f"withholding:{s}"]
                if x > pay + wh:
                    return False
                w = wh if x == pay + wh else min(wh, half_even(x * wh, pay + wh)) if pay + wh else 0
                takes[f"payable:{s}"], takes[f"withholding:{s}"] = x - w, w
            if fees > self.left["platform"] or shipping > self.left["shipping"]:
                return False
            takes["platform"], takes["shipping"] = fees, shipping
            for part, v in takes.items():
                self.left[part] -= v
                self.books[self.account(part)] += v
        self.fees_left -= seller_fees
        self.books[POOL] -= total
        self.pool_out += total
        return True

    def release(self, at: datetime | None = None) -> bool:
        if self.released or any(d is not None for d in self.disputes.values()):
            return False
        if not any(self.escrow.values()):
            return False
        self.released = True
        self.left = dict.fromkeys(self.parts(), 0)
        for acc, held in self.escrow.items():
            self.books[acc] += held
            kind = acc.split(":")[3]
            if kind == "seller":
                s = acc.split(":")[4]
                w = half_even(held * self.rates.get(s, 0), 10_000)
                self.left[f"payable:{s}"] += held - w
                self.left[f"withholding:{s}"] += w
            else:
                self.left[kind] += held
        for part, v in self.left.items():
            self.books[self.account(part)] -= v
        for s in self.sellers:
            rate, days = self.reserves.get(s, Reserve(0, 0))
            r = half_even(self.left.get(f"payable:{s}", 0) * rate, 10_000)
            if r:
                self._move({f"seller:{s}:payable": r, f"seller:{s}:reserve": -r})
                self.holds.append((s, at + timedelta(days=days), r))
        self.escrow = dict.fromkeys(self.escrow, 0)
        return True

    def release_reserve(self, seller: str, at: datetime) -> bool:
        held = -self.books[f"seller:{seller}:reserve"]
        locked = sum(r for s, until, r in self.holds if s == seller and until > at)
        if held - locked <= 0:
            return False
        self._move({f"seller:{seller}:reserve": held - locked, f"seller:{seller}:payable": -(held - locked)})
        return True

    def payout_batch(self, batch_id: str) -> bool:
        payables = {s: -self.books[f"seller:{s}:payable"] for s in self.sellers}
        lines = {s: p for s, p in payables.items() if p > 0}
        if not lines:
            return False
        for s, p in payables.items():
            held = -self.books[f"seller:{s}:reserve"]
            if p < 0 < held:
                c = min(-p, held)
                self._move({f"seller:{s}:reserve": c, f"seller:{s}:payable": -c})
        for s, p in lines.items():
            self._move({f"seller:{s}:payable": p, f"payout:{batch_id}:in_flight": -p})
        return True

    def open(self, dispute_id: str, amount: int) -> bool:
        if amount <= 0 or dispute_id in self.disputes:
            return False
        if self.released:
            parts = [p for p in self.parts() if self.left[p] > 0]
            lefts = [self.left[p] for p in parts]
        else:
            parts = sorted(a for a, v in self.escrow.items() if v > 0)
            lefts = [self.escrow[a] for a in parts]
        if amount > sum(lefts):
            return False
        taken = dict(zip(parts, pro_rata(amount, lefts)))
        for part, v in taken.items():
            if self.released:
                self.left[part] -= v
                self.books[self.account(part)] += v
            else:
                self.escrow[part] -= v
                self.books[part] += v
        self.books[HOLD] -= amount
        self.disputes[dispute_id] = (amount, taken)
        return True

    def resolve(self, dispute_id: str, won: bool, fee: int) -> bool:
        held = self.disputes.get(dispute_id)
        if held is None:
            return False
        amount, taken = held
        self.books[HOLD] += amount
        if won:
            for part, v in taken.items():
                if part in self.left:
                    self.left[part] += v
                    self.books[self.account(part)] -= v
                else:
                    self.escrow[part] += v
                    self.books[part] -= v
        else:
            self.books[POOL] -= amount
            self.pool_out += amount
            if fee:
                self._move({CB_FEE: fee, POOL: -fee})
        self.disputes[dispute_id] = None
        return True


class OrderLifecycle(RuleBasedStateMachine):
    """One order, one to three sellers with withholding from 0 to 100 %, driven through
    the real batch logic (apply_rules with an in-memory context) and the model; events
    are also delivered again (a no-op) and their ids reused with other content
    (DUPLICATE_CONFLICT), neither of which may move a cent."""

    def __init__(self):
        super().__init__()
        self.ctx = Context(Policy(), {}, {}, {}, payables={"BRL": {}}, reserves={"BRL": {}})  # kept current
        self.n = 0
        self.ledger: Counter = Counter()
        self.sent: list[tuple[str, object]] = []  # what posted, to deliver again
        self.rejected: list[str] = []

    def _post(self, name: str, event) -> bool:
        h = BY_NAME[name]
        self.n += 1
        d = Decoded(Inbound(h.topic, 0, self.n, None), h, event, event.event_id, digest(h.identity(event)))
        out = apply_rules([d], self.ctx)
        assert not out.parked, out.parked
        if out.staged:
            self.sent.append((name, event))
        self.rejected = [r.reason_code for r in out.rejected]
        for s in out.staged:
            for account, _c, amount in s.transaction.postings:
                self.ledger[account] += amount
        return bool(out.staged)

    def _at(self) -> datetime:
        return T0 + timedelta(days=31, minutes=self.n)

    @initialize(lines=st.lists(st.tuples(st.integers(1, 60_000), st.integers(0, 30)), min_size=1, max_size=3),
                rates=st.lists(st.sampled_from([0, 1, 250, 333, 5_000, 9_999, 10_000]), min_size=3, max_size=3),
                reserves=st.lists(st.tuples(st.sampled_from([0, 0, 1, 1_000, 3_333, 10_000]), st.integers(1, 60)),
                                  min_size=3, max_size=3),
                shipping=st.sampled_from([0, 1, 999, 2_000]), fee=st.integers(0, 700))
    def capture(self, lines, rates, reserves, shipping, fee):
        self.sellers = [f"S_{i}" for i in range(1, len(lines) + 1)]
        rate = dict(zip(self.sellers, rates))
        reserve = {s: Reserve(*r) for s, r in zip(self.sellers, reserves)}
        for s in self.sellers:
            self._post("SellerProfileUpdated", SellerProfileUpdated(
                f"prof_{s}", T0 - timedelta(days=1), s, rate[s], 0, False, f"B_{s}",
                reserve_rate_bp=reserve[s].rate_bp, reserve_period_days=reserve[s].days))
        cl = [(s, amount, amount * pct // 100) for s, (amount, pct) in zip(self.sellers, lines)]
        self.model = Model(self.sellers, rate, reserve)
        amount = sum(a for _, a, _ in cl) + shipping
        event = OrderCaptured("cap_O_1", T0, OID, "card", "BRL", amount, min(fee, amount), shipping,
                              tuple(CaptureLine(s, f"I_{s}", a, f) for s, a, f in cl))
        assert self._post("OrderCaptured", event)
        self.model.capture(cl, shipping, min(fee, amount))
        self.lines = {s: (a, f) for s, a, f in cl}

    @rule(data=st.data())
    def refund(self, data):
        s = data.draw(st.sampled_from(self.sellers))
        a, f = self.lines[s]
        kind = data.draw(st.sampled_from(["third", "rest", "any", "fee-only"]))
        if kind == "third":
            amount, fee = a // 3, f // 3
        elif kind == "rest":  # what the model says is left of this seller, all of it
            left = (self.model.left.get(f"payable:{s}", 0) + self.model.left.get(f"withholding:{s}", 0)
                    if self.model.released else self.model.escrow.get(f"order:{OID}:escrow:seller:{s}", 0))
            amount, fee = left, 0
        elif kind == "fee-only":
            amount = fee = data.draw(st.integers(0, f))
        else:
            amount = data.draw(st.integers(0, a))
            fee = data.draw(st.integers(0, min(amount, f)))
        shipping = data.draw(st.sampled_from([0, 1, 500]))
        event = RefundIssued(f"ref_{self.n}", self._at(), f"R_{self.n}", OID, (RefundLine(s, amount, fee),), shipping,
                             "RETURNED")
        assert self._post("RefundIssued", event) == self.model.refund([(s, amount, fee)], shipping)

    @rule()
    def release(self):
        at = self._at()
        event = ReleaseEscrow(f"release:{OID}:{self.n}", at, OID)
        posted = self._post("ReleaseEscrow", event)
        assert posted == self.model.release(at)

    @rule(data=st.data(), days=st.integers(0, 70))
    def release_reserve(self, data, days):
        s = data.draw(st.sampled_from(self.sellers))
        at = self._at() + timedelta(days=days)
        posted = self._post("ReleaseReserve", ReleaseReserve(f"reserve_{self.n}", at, s, "BRL"))
        assert posted == self.model.release_reserve(s, at)
        assert not self.rejected

    @rule()
    def payout_batch(self):
        batch = f"PB_{self.n}"
        event = CreatePayoutBatch(f"batch_{self.n}", self._at(), batch, "2026-02-10", "BRL")
        assert self._post("CreatePayoutBatch", event) == self.model.payout_batch(batch)
        assert not self.rejected

    @rule(data=st.data())
    def open_dispute(self, data):
        total = (sum(self.model.left.values()) if self.model.released else sum(self.model.escrow.values()))
        amount = data.draw(st.one_of(st.just(total), st.integers(1, max(1, total)), st.just(self.model.captured),
                                     st.integers(1, 3)))
        d = f"D_{self.n}"
        posted = self._post("DisputeOpened", DisputeOpened(f"dis_{self.n}", self._at(), d, OID, amount, "fraud"))
        assert posted == self.model.open(d, amount)

    @precondition(lambda self: any(v is not None for v in self.model.disputes.values()))
    @rule(data=st.data(), won=st.booleans(), fee=st.sampled_from([0, 150]))
    def resolve_dispute(self, data, won, fee):
        d = data.draw(st.sampled_from(sorted(k for k, v in self.model.disputes.items() if v is not None)))
        event = DisputeResolved(f"res_{self.n}", self._at(), d, OID, "won" if won else "lost", fee)
        assert self._post("DisputeResolved", event) == self.model.resolve(d, won, fee)

    @precondition(lambda self: any(v is None for v in self.model.disputes.values()))
    @rule(data=st.data(), won=st.booleans())
    def resolve_a_resolved_dispute_again(self, data, won):
        d = data.draw(st.sampled_from(sorted(k for k, v in self.model.disputes.items() if v is None)))
        event = DisputeResolved(f"res_{self.n}", self._at(), d, OID, "won" if won else "lost", 0)
        assert self._post("DisputeResolved", event) == self.model.resolve(d, won, 0)  # neither posts nor parks

    @precondition(lambda self: bool(self.model.disputes))
    @rule(data=st.data())
    def open_a_known_dispute_again(self, data):
        d = data.draw(st.sampled_from(sorted(self.model.disputes)))
        event = DisputeOpened(f"dis_{self.n}", self._at(), d, OID, 1, "fraud")
        assert self._post("DisputeOpened", event) == self.model.open(d, 1)

    @precondition(lambda self: len(getattr(self, "sent", ())) > 0)
    @rule(data=st.data())
    def deliver_an_event_again(self, data):
        name, event = data.draw(st.sampled_from(self.sent))
        assert not self._post(name, event)  # a no-op: nothing moves (the accounts are compared below)
        assert not self.rejected

    @precondition(lambda self: any(n in ("RefundIssued", "DisputeOpened", "OrderCaptured") for n, _ in
                                   getattr(self, "sent", ())))
    @rule(data=st.data())
    def reuse_an_event_id_with_other_content(self, data):
        name, event = data.draw(st.sampled_from([x for x in self.sent if x[0] in ("RefundIssued", "DisputeOpened",
                                                                                    "OrderCaptured")]))
        assert not self._post(name, event._replace(occurred_at=event.occurred_at + timedelta(seconds=1)))
        assert self.rejected == ["DUPLICATE_CONFLICT"]

    @invariant()
    def every_account_is_where_the_model_says(self):
        if not hasattr(self, "model"):
            return
        ledger = {a: v for a, v in self.ledger.items() if v}
        model = {a: v for a, v in self.model.books.items() if v}
        assert ledger == model

    @invariant()
    def money_leaves_the_order_only_once(self):
        if hasattr(self, "model"):
            assert self.model.pool_out <= self.model.captured
            assert all(v >= 0 for v in self.model.left.values())

    @invariant()
    def a_reserve_never_goes_below_zero(self):
        assert all(v <= 0 for a, v in self.ledger.items() if a.endswith(":reserve"))


OrderLifecycle.TestCase.settings = settings(max_examples=400, stateful_step_count=20, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
test_order_money_matches_the_reference_model = OrderLifecycle.TestCase
