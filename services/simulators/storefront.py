"""Generates a deterministic marketplace day: multi-seller carts, several gateways
with their own fees, shipping, a long tail of sellers. Pure: the publisher sends it."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from confluent_kafka import Producer

from services.adapters.avro import SchemaRegistry
from services.adapters.kafka.publish import publish
from services.domain.money import basis_points_of


@dataclass(frozen=True)
class Gateway:
    name: str
    currency: str
    fee_bp: int  # percentage fee in basis points
    fee_fixed_minor: int  # per-transaction fixed fee
    weight: int  # share of orders


GATEWAYS = (
    Gateway("card", "BRL", 299, 0, 55),
    Gateway("pix", "BRL", 99, 0, 30),
    Gateway("boleto", "BRL", 0, 349, 10),
    Gateway("paypal", "USD", 349, 49, 5),
)


@dataclass(frozen=True)
class Seller:
    seller_id: str
    take_rate_bp: int  # platform fee on each line


def sellers(count: int, rng: random.Random) -> list[Seller]:
    return [Seller(f"S_{i:04d}", rng.choice((800, 1000, 1200, 1500))) for i in range(1, count + 1)]


def gateway_fee(g: Gateway, amount_minor: int) -> int:
    return min(amount_minor, basis_points_of(amount_minor, g.fee_bp) + g.fee_fixed_minor)


CATEGORIES = ("electronics", "fashion", "home", "books", "toys", "beauty", "sports")
REGIONS = {"BRL": (("BR-SP", 45), ("BR-RJ", 20), ("BR-MG", 15), ("BR-RS", 10), ("BR-BA", 10)),
           "USD": (("US-CA", 40), ("US-NY", 35), ("US-TX", 25))}


def marketplace_day(day: date, orders: int, seller_count: int, seed: int, run_id: str = "",
                    dimensions: bool = False) -> list[dict]:
    """OrderCaptured records for one day, in capture order. Seller popularity follows a
    Zipf-like curve, so a few sellers carry most of the volume, as on real marketplaces.
    With dimensions, each line names its category (a seller sells in one or two) and each
    order its region (schema v3's reporting dimensions; the channel is always there)."""
    rng = random.Random(seed)
    dims = random.Random(seed + 3)  # drawn apart, so the orders are the same with or without dimensions
    roster = sellers(seller_count, rng)
    popularity = [1.0 / (rank ** 0.9) for rank in range(1, seller_count + 1)]
    gateways = list(GATEWAYS)
    weights = [g.weight for g in gateways]
    start = datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    prefix = f"O_{day:%Y%m%d}{run_id}"
    records = []
    for n in range(1, orders + 1):
        g = rng.choices(gateways, weights)[0]
        at = start + timedelta(seconds=int(86_400 * n / (orders + 1)) + rng.randint(0, 30))
        order_id = f"{prefix}_{n:06d}"
        lines = []
        for k, seller in enumerate(
            dict.fromkeys(rng.choices(roster, popularity, k=rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]))
        ):
            amount = rng.randint(5, 600) * 100 + rng.choice((0, 90, 99, 50))
            lines.append({
                "seller_id": seller.seller_id,
                "item_id": f"I_{seller.seller_id[2:]}_{rng.randint(1, 400):03d}",
                "amount": amount,
                "platform_fee": basis_points_of(amount, seller.take_rate_bp),
                "currency": g.currency,
                "category": dims.choice(_seller_categories(seller.seller_id)) if dimensions else None,
            })
        shipping = rng.choice((0, 0, 990, 1490, 1990, 2990))
        amount = sum(ln["amount"] for ln in lines) + shipping
        records.append({
            "event_id": f"evt_capture_{order_id}",
            "occurred_at": at,
            "order_id": order_id,
            "gateway": g.name,
            "currency": g.currency,
            "amount": amount,
            "gateway_fee": gateway_fee(g, amount),
            "shipping": shipping,
            "lines": lines,
            "channel": rng.choice(("web", "app")),
            "region": dims.choices(*zip(*REGIONS[g.currency]))[0] if dimensions else None,
        })
    return records


def _seller_categories(seller_id: str) -> tuple[str, ...]:
    """The one or two categories a seller sells in (the same on every day)."""
    n = int(seller_id[2:]) if seller_id[2:].isdigit() else len(seller_id)
    first = CATEGORIES[n % len(CATEGORIES)]
    return (first,) if n % 3 else (first, CATEGORIES[(n * 5 + 1) % len(CATEGORIES)])


def worked_example(occurred_at: datetime) -> dict:
    """Seed 003's order O_8821: R$ 200.00 by card, seller S_114 160.00, shipping 20.00,
    platform fee 20.00, the gateway keeps 6.00."""
    return {
        "event_id": "evt_capture_O_8821",
        "occurred_at": occurred_at,
        "order_id": "O_8821",
        "gateway": "card",
        "currency": "BRL",
        "amount": 20000,
        "gateway_fee": 600,
        "shipping": 2000,
        "lines": [{"seller_id": "S_114", "item_id": "I_1", "amount": 18000, "platform_fee": 2000, "currency": None}],
        "channel": None,
    }


def _document(rng: random.Random, company: bool) -> str:
    """A CPF (11 digits) or CNPJ (14) with right check digits (mod 11, as the Receita computes them)."""
    digits = [rng.randint(0, 9) for _ in range(8 if company else 9)] + ([0, 0, 0, 1] if company else [])
    for _ in range(2):
        weights = ([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2][-len(digits):] if company
                   else list(range(len(digits) + 1, 1, -1)))
        rest = sum(d * w for d, w in zip(digits, weights)) % 11
        digits.append(0 if rest < 2 else 11 - rest)
    return "".join(map(str, digits))


_NAMES = ("Ateliê", "Casa", "Loja", "Empório", "Oficina", "Estúdio", "Mercado", "Armazém")
_PLACES = ("Aurora", "Ipê", "Jacarandá", "Paraty", "Itapuã", "Sabiá", "Araucária", "Caju")


def seller_profiles(count: int, seed: int, effective: datetime) -> list[dict]:
    """SellerProfileUpdated (schema v3) for every seller: withholding rates, payout
    minimums, a few on hold, the payee — a legal name, a CPF or CNPJ, and a PIX key
    (most) or a bank account (agência and conta at a Brazilian bank) — and for about one
    in five a rolling reserve (5 or 10 % for 7, 30 or 90 days)."""
    rng = random.Random(seed + 1)
    out = []
    for i in range(1, count + 1):
        company = rng.random() < 0.6
        document = _document(rng, company)
        name = f"{rng.choice(_NAMES)} {rng.choice(_PLACES)} {'Ltda' if company else 'ME'} {i:04d}"
        account = {"scheme": "PIX", "iban": None, "bank_code": None, "branch": None, "account_number": None,
                   "pix_key": document, "pix_key_type": "CNPJ" if company else "CPF"}
        if rng.random() < 0.3:
            account = {**account, "scheme": "DOMESTIC", "pix_key": None, "pix_key_type": None,
                       "bank_code": rng.choice(("001", "033", "104", "237", "341", "260")),
                       "branch": f"{rng.randint(1, 9999):04d}", "account_number": f"{rng.randint(1, 10**8):d}-{rng.randint(0, 9)}"}
        out.append({
            "event_id": f"evt_profile_S_{i:04d}_{effective:%Y%m%d}",
            "occurred_at": effective,
            "seller_id": f"S_{i:04d}",
            "withholding_rate_bp": rng.choice((0, 150, 250, 250, 450)),
            "payout_minimum": rng.choice((0, 1000, 5000, 10000)),
            "payout_hold": rng.random() < 0.05,
            "bank_account_ref": None,
            "legal_name": name,
            "tax_document": document,
            "bank_account": account,
            **_reserve(rng),
        })
    return out


def _reserve(rng: random.Random) -> dict:
    if rng.random() >= 0.2:
        return {"reserve_rate_bp": 0, "reserve_period_days": 0}
    return {"reserve_rate_bp": rng.choice((500, 1000)), "reserve_period_days": rng.choice((7, 30, 90))}


def _refund(order: dict, n: int, at: datetime, full: bool, rng: random.Random) -> dict:
    lines = order["lines"] if full else [rng.choice(order["lines"])]
    return {
        "event_id": f"evt_refund_{order['order_id']}_{n}",
        "occurred_at": at,
        "refund_id": f"R_{order['order_id']}_{n}",
        "order_id": order["order_id"],
        "lines": [{"seller_id": ln["seller_id"], "amount": ln["amount"], "platform_fee": ln["platform_fee"]}
                  for ln in lines],
        "shipping": order["shipping"] if full else 0,
        "reason_code": "BUYER_RETURN" if full else "ITEM_DAMAGED",
        "currency": order["currency"],
    }


@dataclass
class AfterSales:
    refunds_in_escrow: list[dict]
    disputes_opened: list[dict]
    disputes_resolved: list[dict]
    refunds_after_release: list[dict]
    disputes_after_release: list[dict]
    resolved_after_release: list[dict]


def after_sales(day: list[dict], seed: int, release_at: datetime, spike: str | None = None) -> AfterSales:
    """Refunds (partial and full) and disputes (won and lost), before and after release.
    spike: a seller whose buyers send back most of what they bought that day, in escrow
    (what the alert on a seller's refund rate is for)."""
    rng = random.Random(seed + 2)
    out = AfterSales([], [], [], [], [], [])
    for order in day:
        r = rng.random()
        if spike and any(ln["seller_id"] == spike for ln in order["lines"]) and r < 0.6:
            at = order["occurred_at"] + timedelta(hours=rng.randint(1, 20))
            out.refunds_in_escrow.append({**_refund(order, 1, at, full=True, rng=rng), "lines": [
                {"seller_id": ln["seller_id"], "amount": ln["amount"], "platform_fee": ln["platform_fee"]}
                for ln in order["lines"] if ln["seller_id"] == spike], "shipping": 0})
            continue
        at = order["occurred_at"] + timedelta(days=rng.randint(1, 20))
        later = release_at + timedelta(days=rng.randint(1, 5))
        if r < 0.03:
            out.refunds_in_escrow.append(_refund(order, 1, at, full=True, rng=rng))
        elif r < 0.07:
            out.refunds_in_escrow.append(_refund(order, 1, at, full=False, rng=rng))
        elif r < 0.085:
            did = f"D_{order['order_id']}"
            amount = order["amount"] if rng.random() < 0.5 else order["amount"] // 2
            out.disputes_opened.append({"event_id": f"evt_dispute_{did}", "occurred_at": at, "dispute_id": did,
                                        "order_id": order["order_id"], "amount": amount, "reason": "NOT_RECEIVED",
                                        "currency": order["currency"]})
            lost = rng.random() < 0.4
            out.disputes_resolved.append({"event_id": f"evt_resolved_{did}", "occurred_at": at + timedelta(days=3),
                                          "dispute_id": did, "order_id": order["order_id"],
                                          "outcome": "lost" if lost else "won",
                                          "chargeback_fee": 1500 if lost else None})
        elif r < 0.10:
            out.refunds_after_release.append(_refund(order, 2, later, full=False, rng=rng))
        elif r < 0.105:
            did = f"D_{order['order_id']}_late"
            out.disputes_after_release.append({"event_id": f"evt_dispute_{did}", "occurred_at": later,
                                               "dispute_id": did, "order_id": order["order_id"],
                                               "amount": order["lines"][0]["amount"] // 2, "reason": "FRAUD",
                                               "currency": order["currency"]})
            out.resolved_after_release.append({"event_id": f"evt_resolved_{did}", "occurred_at": later + timedelta(days=2),
                                               "dispute_id": did, "order_id": order["order_id"],
                                               "outcome": rng.choice(("won", "lost")), "chargeback_fee": None})
    return out


@dataclass
class Published:
    events: int = 0
    duplicates: int = 0
    conflicts: int = 0
    poison: int = 0


def messy_deliveries(producer: Producer, topic: str, registry: SchemaRegistry, day: list[dict]) -> Published:
    """What real storefronts do now and then: redeliver an event, reuse an event id with
    other content, send something that is not an event, or an order that does not add up."""
    out = Published()
    dupes = day[:: max(1, len(day) // 25)][:25]
    out.duplicates = publish(producer, topic, registry, dupes)
    conflict = copy.deepcopy(day[1])
    conflict["amount"] += 100
    conflict["shipping"] += 100
    out.conflicts = publish(producer, topic, registry, [conflict])
    broken_total = copy.deepcopy(day[2])
    broken_total["order_id"] += "_B"
    broken_total["event_id"] = f"evt_capture_{broken_total['order_id']}"
    broken_total["amount"] += 1
    unknown_ccy = copy.deepcopy(day[3])
    unknown_ccy["order_id"] += "_C"
    unknown_ccy["event_id"] = f"evt_capture_{unknown_ccy['order_id']}"
    unknown_ccy["currency"] = "XYZ"
    for ln in unknown_ccy["lines"]:
        ln["currency"] = None
    out.poison = publish(producer, topic, registry, [broken_total, unknown_ccy])
    producer.produce(topic, b'{"order_id": "O_json", "amount": 100}', key=b"O_json")
    producer.produce(topic, b"\xc3\x01" + b"\x00" * 8 + b"garbage", key=b"O_garbage")
    producer.flush(30)
    out.poison += 2
    return out
