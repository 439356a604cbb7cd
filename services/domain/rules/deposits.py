"""SettleGatewayDeposit: the reconciled net of a gateway's day reached the bank."""

from __future__ import annotations

from services.domain import accounts
from services.domain.errors import Reason, Rejected
from services.domain.events import SettleGatewayDeposit
from services.domain.invariants import check_transaction
from services.domain.journal import Posting, Transaction, TxKind, transaction_id_for
from services.domain.money import is_currency
from services.domain.rules.common import require_id


def handle_settle_gateway_deposit(cmd: SettleGatewayDeposit) -> Transaction:
    """Dr ops:bank:{account}, Cr ops:pool:{gateway}: the reconciled net left the gateway.
    A negative net (a day of more refunds and chargebacks than captures: the gateway
    debited the bank) goes the other way: Dr ops:pool:{gateway}, Cr ops:bank:{account}."""
    require_id("gateway", cmd.gateway)
    require_id("bank_account", cmd.bank_account)
    if not is_currency(cmd.currency):
        raise Rejected(Reason.UNKNOWN_CURRENCY, f"{cmd.currency!r} is not an ISO 4217 currency")
    if cmd.amount == 0:
        raise Rejected(Reason.NEGATIVE_AMOUNT, "a settlement of zero moves nothing")
    txn = Transaction(
        transaction_id=transaction_id_for(cmd.event_id), kind=TxKind.GATEWAY_DEPOSIT, event_id=cmd.event_id,
        occurred_at=cmd.occurred_at,
        postings=(Posting(accounts.bank(cmd.bank_account), cmd.currency, cmd.amount),
                  Posting(accounts.pool(cmd.gateway), cmd.currency, -cmd.amount)),
        metadata={"gateway": cmd.gateway, "report_sha256": cmd.report_sha256},
    )
    check_transaction(txn)
    return txn
