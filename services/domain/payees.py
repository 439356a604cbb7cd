"""Who a payout goes to: the payee's legal name, tax document and bank account, checked
when a seller's profile arrives so that a payout file never carries a number a bank
would bounce. A bank account is one of three kinds:

- IBAN: the international account number, its country format and mod-97 check digits;
- DOMESTIC: an account number at a bank named by its code (a Brazilian COMPE code, a
  sort code, a routing number), with an optional branch (agência);
- PIX: a Brazilian instant-payment key and its type — CPF or CNPJ (check digits), EMAIL,
  PHONE (+55 and 10 or 11 digits) or EVP (a random key, a UUID).

The numbers are checked with python-stdnum (IBAN per country, CPF, CNPJ): pure
functions, no I/O."""

from __future__ import annotations

import re
from typing import NamedTuple

from stdnum import iban as _iban
from stdnum.br import cnpj as _cnpj
from stdnum.br import cpf as _cpf
from stdnum.exceptions import ValidationError

from services.domain.errors import Reason, Rejected

SCHEMES = ("IBAN", "DOMESTIC", "PIX")
PIX_KEY_TYPES = ("CPF", "CNPJ", "EMAIL", "PHONE", "EVP")
LEGAL_NAME_MAX = 140  # ISO 20022 Max140Text
_BANK_CODE = re.compile(r"[0-9A-Za-z]{1,11}")
_BRANCH = re.compile(r"[0-9]{1,5}(-[0-9Xx])?")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,20}(-[0-9A-Za-z])?")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+55[0-9]{10,11}")
_EVP = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class BankAccount(NamedTuple):
    scheme: str  # IBAN | DOMESTIC | PIX
    iban: str | None = None
    bank_code: str | None = None
    branch: str | None = None
    account_number: str | None = None
    pix_key: str | None = None
    pix_key_type: str | None = None

    @classmethod
    def from_record(cls, r: dict | None) -> BankAccount | None:
        return None if r is None else cls(r["scheme"], r.get("iban"), r.get("bank_code"), r.get("branch"),
                                          r.get("account_number"), r.get("pix_key"), r.get("pix_key_type"))

    @property
    def label(self) -> str:
        """One line a person reads (statements, files for people)."""
        if self.scheme == "IBAN":
            return f"IBAN {self.iban}"
        if self.scheme == "PIX":
            return f"PIX {self.pix_key_type} {self.pix_key}"
        branch = f" ag {self.branch}" if self.branch else ""
        return f"bank {self.bank_code}{branch} acct {self.account_number}"


def _invalid(what: str) -> Rejected:
    return Rejected(Reason.INVALID_FIELD, what)


def _checked(number: str, module, what: str) -> str:
    try:
        return module.validate(number)
    except ValidationError as e:
        raise _invalid(f"{what} {number!r} is not valid: {e}") from None


def check_account(a: BankAccount) -> BankAccount:
    """The account in its canonical form (IBAN without spaces, documents as digits), or
    Rejected(INVALID_FIELD) saying which field is wrong and why."""
    if a.scheme not in SCHEMES:
        raise _invalid(f"bank account scheme {a.scheme!r} is not one of {', '.join(SCHEMES)}")
    if a.scheme == "IBAN":
        if not a.iban:
            raise _invalid("an IBAN bank account needs its iban")
        return BankAccount("IBAN", iban=_checked(a.iban, _iban, "IBAN"))
    if a.scheme == "DOMESTIC":
        if not a.bank_code or _BANK_CODE.fullmatch(a.bank_code) is None:
            raise _invalid(f"bank code {a.bank_code!r} must be 1 to 11 letters or digits")
        if a.branch is not None and _BRANCH.fullmatch(a.branch) is None:
            raise _invalid(f"branch {a.branch!r} must be 1 to 5 digits, with an optional -check digit")
        if not a.account_number or _ACCOUNT.fullmatch(a.account_number) is None:
            raise _invalid(f"account number {a.account_number!r} must be 1 to 20 letters or digits,"
                           " with an optional -check digit")
        return BankAccount("DOMESTIC", bank_code=a.bank_code, branch=a.branch, account_number=a.account_number)
    return BankAccount("PIX", pix_key=check_pix_key(a.pix_key_type, a.pix_key), pix_key_type=a.pix_key_type)


def check_pix_key(kind: str | None, key: str | None) -> str:
    if kind not in PIX_KEY_TYPES:
        raise _invalid(f"PIX key type {kind!r} is not one of {', '.join(PIX_KEY_TYPES)}")
    if not key:
        raise _invalid("a PIX bank account needs its pix_key")
    if kind == "CPF":
        return _checked(key, _cpf, "CPF PIX key")
    if kind == "CNPJ":
        return _checked(key, _cnpj, "CNPJ PIX key")
    if kind == "EMAIL" and (len(key) > 77 or _EMAIL.fullmatch(key) is None):
        raise _invalid(f"EMAIL PIX key {key!r} is not an address of at most 77 characters")
    if kind == "PHONE" and _PHONE.fullmatch(key) is None:
        raise _invalid(f"PHONE PIX key {key!r} must be +55 and 10 or 11 digits")
    if kind == "EVP" and _EVP.fullmatch(key) is None:
        raise _invalid(f"EVP PIX key {key!r} is not a random key (a lower-case UUID)")
    return key


def check_document(document: str) -> str:
    """A payee's Brazilian tax document: a CPF (11 digits) or a CNPJ (14), check digits
    right; returned as digits."""
    digits = re.sub(r"[.\-/ ]", "", document)
    if len(digits) == 11:
        return _checked(digits, _cpf, "CPF")
    if len(digits) == 14:
        return _checked(digits, _cnpj, "CNPJ")
    raise _invalid(f"tax document {document!r} is neither a CPF (11 digits) nor a CNPJ (14 digits)")


def check_legal_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > LEGAL_NAME_MAX or not name.isprintable():
        raise _invalid(f"legal name must be 1 to {LEGAL_NAME_MAX} printable characters, is {len(name)}")
    return name
