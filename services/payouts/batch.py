"""A payout batch as the bank files carry it: its lines with each payee, who pays out
(the debtor, from settings) and which file their bank takes; the ids and amounts in the
form the files write them. No I/O."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from services.domain.errors import PermanentError
from services.domain.money import exponent
from services.domain.payees import BankAccount

END_TO_END_ID_MAX = 35  # Max35Text


@dataclass(frozen=True)
class Debtor:
    """Who pays out and how their bank wants the file (settings SPLITBOOK_PAYOUT_*)."""

    name: str = "Splitbook Marketplace Ltda"
    account: str = "BR00SPLITBOOK0PAYOUTS0000001"  # IBAN or the bank's id of the account
    bic: str = "SPLTBRSPXXX"
    pain001_version: str = "pain.001.001.09"  # or pain.001.001.03, as the debtor bank takes it
    service_level: str = "NURG"  # PmtTpInf/SvcLvl/Cd; SEPA for euro transfers in SEPA
    cnab240_currencies: tuple[str, ...] = ()  # batches in these go out as CNAB 240 (BRL at a Brazilian bank)
    document: str = "11222333000181"  # the company's CNPJ (CNAB 240)
    bank_code: str = "341"  # COMPE code of the debtor bank (CNAB 240)
    bank_name: str = "BANCO ITAU SA"
    branch: str = "0663"  # agência, with an optional -check digit
    account_number: str = "1540-2"  # conta, with an optional -check digit
    agreement: str = ""  # convênio the bank gave the company

    @classmethod
    def from_settings(cls, settings) -> Debtor:
        return cls(settings.payout_debtor_name, settings.payout_debtor_account, settings.payout_debtor_bic,
                   settings.payout_pain001_version, settings.payout_service_level,
                   tuple(settings.payout_cnab240_currencies), settings.payout_debtor_document,
                   settings.payout_debtor_bank_code, settings.payout_debtor_bank_name, settings.payout_debtor_branch,
                   settings.payout_debtor_account_number, settings.payout_debtor_agreement)

    def format_for(self, currency: str) -> str:
        """The bank file a batch in currency goes out as."""
        return "cnab240" if currency in self.cnab240_currencies else self.pain001_version


class FileRefused(PermanentError):
    """The batch's bank file would not validate: nothing is written, the batch is held."""


def end_to_end_id(batch_id: str, seller_id: str) -> str:
    """{batch}-{seller}, or {batch}-{a digest of the seller} where that would pass 35
    characters (a digest of the batch too, were its id longer than 18): unique per line,
    the same for the same line, always within the schema."""
    plain = f"{batch_id}-{seller_id}"
    if len(plain) <= END_TO_END_ID_MAX:
        return plain
    prefix = batch_id if len(batch_id) <= 18 else hashlib.sha256(batch_id.encode()).hexdigest()[:18]
    room = END_TO_END_ID_MAX - len(prefix) - 1  # 16 hex characters at least: 64 bits
    return f"{prefix}-{hashlib.sha256(seller_id.encode()).hexdigest()[:room]}"


@dataclass(frozen=True)
class Line:
    seller_id: str
    amount_minor: int
    bank_account_ref: str = ""  # schema v1's free text, where there is no structured account
    legal_name: str | None = None
    tax_document: str | None = None
    account: BankAccount | None = None

    @property
    def account_label(self) -> str:
        return self.account.label if self.account is not None else self.bank_account_ref


@dataclass(frozen=True)
class Batch:
    batch_id: str
    batch_date: str
    currency: str
    created_at: str
    lines: tuple[Line, ...]

    @property
    def control_sum_minor(self) -> int:
        return sum(ln.amount_minor for ln in self.lines)


def decimal(amount_minor: int, currency: str) -> str:
    exp = exponent(currency)
    whole, frac = divmod(amount_minor, 10**exp)
    return f"{whole}.{frac:0{exp}d}" if exp else str(whole)


def result(seller_id: str, amount: int, status: str, reference: str | None, reason: str | None) -> dict:
    """One line's outcome as a PayoutBatchConfirmed carries it, whichever file the bank sent."""
    return {"seller_id": seller_id, "amount": amount, "status": status, "bank_reference": reference, "reason": reason}
