"""Account addresses, built from event ids verbatim (DESIGN.md, Chart of accounts).

Signs in the journal: a posting's amount_minor is positive for a debit and negative
for a credit. An account's *natural* balance reads positive: debits - credits for
assets and expenses, credits - debits for liabilities, revenue and tax.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import NamedTuple

_ID = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
_IDS = re.compile(r"[A-Za-z0-9_.\-]{1,128}(?: [A-Za-z0-9_.\-]{1,128})*")  # space-separated


class Kind(str, Enum):
    ASSET = "asset"
    EXPENSE = "expense"
    LIABILITY = "liability"
    REVENUE = "revenue"
    TAX = "tax"


DEBIT_NORMAL = frozenset({Kind.ASSET, Kind.EXPENSE})


def is_valid_id(value: str) -> bool:
    """Ids become parts of ':'-separated addresses, so they must not contain ':' or spaces."""
    return _ID.fullmatch(value) is not None


def all_valid_ids(values: list[str]) -> bool:
    """is_valid_id for each, in one regex match over them joined by spaces (one more
    space than the joins means a space inside an id)."""
    joined = " ".join(values)
    return _IDS.fullmatch(joined) is not None and joined.count(" ") == len(values) - 1


POOL_PREFIX = "ops:pool:"


def pool(gateway: str) -> str:
    return f"{POOL_PREFIX}{gateway}"


def mdr_expense(gateway: str) -> str:
    return f"ops:expense:mdr:{gateway}"


def chargeback_expense(gateway: str) -> str:
    return f"ops:expense:chargeback:{gateway}"


def escrow_seller(order_id: str, seller_id: str) -> str:
    return f"order:{order_id}:escrow:seller:{seller_id}"


def escrow_shipping(order_id: str) -> str:
    return f"order:{order_id}:escrow:shipping"


def escrow_platform(order_id: str) -> str:
    return f"order:{order_id}:escrow:platform"


def dispute_hold(order_id: str) -> str:
    return f"order:{order_id}:dispute:hold"


BANK_PREFIX = "ops:bank:"


def bank(account_ref: str) -> str:
    return f"{BANK_PREFIX}{account_ref}"


def seller_payable(seller_id: str) -> str:
    return f"seller:{seller_id}:payable"


def seller_reserve(seller_id: str) -> str:
    return f"seller:{seller_id}:reserve"


def payout_in_flight(batch_id: str) -> str:
    return f"payout:{batch_id}:in_flight"


POOL_PAYOUTS = "ops:pool:payouts"
REVENUE_TAKERATE = "ops:revenue:takerate"
TAX_WITHHOLDING = "ops:tax:withholding"
PAYABLE_SHIPPING = "ops:payable:shipping"


def kind_of(account: str) -> Kind:
    """The kind of an address in the chart of accounts."""
    if not account.startswith("ops:"):  # an order's, a seller's, a payout's: what is owed
        return Kind.LIABILITY
    if account.startswith(("ops:pool:", "ops:bank:")):
        return Kind.ASSET
    if account.startswith("ops:expense:"):
        return Kind.EXPENSE
    if account.startswith("ops:revenue:"):
        return Kind.REVENUE
    if account.startswith("ops:tax:"):
        return Kind.TAX
    return Kind.LIABILITY


def natural_balance(account: str, debits_minor: int, credits_minor: int) -> int:
    if kind_of(account) in DEBIT_NORMAL:
        return debits_minor - credits_minor
    return credits_minor - debits_minor


# -- reading addresses back: the only place that takes them apart ----------------------

class Escrow(NamedTuple):
    """An order's escrow account, parsed: part is seller | platform | shipping."""

    order_id: str
    part: str
    seller_id: str | None


def is_address(account: str) -> bool:
    """Two or more ':'-separated ids."""
    parts = account.split(":")
    return len(parts) >= 2 and all(is_valid_id(p) for p in parts)


_ESCROWS: dict[str, Escrow | None] = {}  # escrow_of's answers: each read model asks for each posting's account
_ESCROWS_MAX = 1 << 16


def escrow_of(account: str) -> Escrow | None:
    """'order:O:escrow:seller:S' -> Escrow(O, 'seller', S); ':escrow:platform' and
    ':escrow:shipping' -> Escrow(O, part, None); any other account -> None."""
    try:
        return _ESCROWS[account]
    except KeyError:
        pass
    escrow = _escrow_of(account)
    if len(_ESCROWS) >= _ESCROWS_MAX:  # bounded: an order's accounts are asked for in a batch or two
        _ESCROWS.clear()
    _ESCROWS[account] = escrow
    return escrow


def _escrow_of(account: str) -> Escrow | None:
    if not account.startswith("order:"):
        return None
    parts = account.split(":")
    if len(parts) < 4 or parts[0] != "order" or parts[2] != "escrow":
        return None
    if parts[3] == "seller" and len(parts) == 5:
        return Escrow(parts[1], "seller", parts[4])
    if parts[3] in ("platform", "shipping") and len(parts) == 4:
        return Escrow(parts[1], parts[3], None)
    return None


def is_pool(account: str) -> bool:
    """A gateway's pool (or the payouts pool): money the platform holds at a gateway."""
    return account.startswith(POOL_PREFIX)


def _seller_account(account: str, kind: str) -> str | None:
    """'seller:S:<kind>' -> S."""
    if not account.startswith("seller:"):
        return None
    parts = account.split(":")
    if len(parts) == 3 and parts[2] == kind:
        return parts[1]
    return None


def payable_seller(account: str) -> str | None:
    """'seller:S:payable' -> S."""
    return _seller_account(account, "payable")


def reserve_seller(account: str) -> str | None:
    """'seller:S:reserve' -> S."""
    return _seller_account(account, "reserve")


def escrow_seller_of(account: str) -> str | None:
    """'order:O:escrow:seller:S' -> S."""
    if ":escrow:seller:" not in account:  # (most accounts, answered without parsing)
        return None
    e = escrow_of(account)
    return e.seller_id if e else None


def seller_of(account: str) -> str | None:
    """The seller a payable, a reserve or a seller escrow account belongs to."""
    return payable_seller(account) or reserve_seller(account) or escrow_seller_of(account)


def family_of(account: str) -> str:
    """The account family used in trial balances: ids replaced by placeholders.

    'order:O_1:escrow:seller:S_9' -> 'order:*:escrow:seller:*'
    """
    parts = account.split(":")
    head = parts[0]
    if head == "order":
        return ":".join(["order", "*", *parts[2:4], *(["*"] if len(parts) > 4 else [])])
    if head in ("seller", "payout"):
        return ":".join([head, "*", *parts[2:]])
    return account
