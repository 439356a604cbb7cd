"""ISO 20022 camt.053 bank-to-customer statements (versions .001.02 and later), read as
banks write them: every statement of the file with its own account, currency and
balances; every entry with its status, booking date (`Dt` or `DtTm`, with or without an
offset), direction and reversal flag; and every transaction of a batch-booked entry
(one `Ntry` carrying many `TxDtls`, as a bank books a pain.001 by default) as its own
line. Untrusted XML is parsed with defusedxml (no entities, no external references).

Pure: bytes in, statements out; ConfigError (one line) for what is not a camt.053."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree.ElementTree import Element

from services.adapters.iso20022 import namespace_of, parse_untrusted
from services.domain.errors import ConfigError
from services.reconciliation.files import day, within_ledger_dates
from services.reconciliation.gateway import to_minor

_NAMESPACE = re.compile(r"\{urn:iso:std:iso:20022:tech:xsd:([a-z]{4})\.(\d{3})\.001\.(\d{2})\}Document")
_KINDS = {("camt", "052"): "a camt.052 account report (intraday, not a statement)",
          ("camt", "054"): "a camt.054 debit/credit notification, not a statement",
          ("pain", "001"): "a pain.001 payment order, not a statement",
          ("pain", "002"): "a pain.002 payment status report, not a statement"}
NO_REFERENCE = ("", "NONREF", "NOTPROVIDED")


@dataclass(frozen=True)
class Transaction:
    """One transaction of an entry (a TxDtls; the entry itself when it has none)."""

    reference: str  # the bank's reference, else the end-to-end id; "" when there is none
    amount_minor: int
    return_reason: str | None = None  # RtrInf/Rsn: the transfer came back (e.g. AC04, closed account)
    end_to_end_id: str = ""  # Refs/EndToEndId: the payer's id of the transfer (ours, for our payouts)


@dataclass(frozen=True)
class Entry:
    number: int  # 1-based, across the file
    amount_minor: int
    currency: str
    credit: bool
    reversal: bool  # RvslInd: this entry reverses an earlier one
    status: str  # BOOK, PDNG or INFO
    booked: date | None
    transactions: tuple[Transaction, ...]

    @property
    def booked_status(self) -> bool:
        return self.status == "BOOK"


@dataclass
class AccountStatement:
    id: str
    account: str
    currency: str
    opening_minor: int | None = None  # OPBD (or PRCD), signed: credit balances positive
    closing_minor: int | None = None  # CLBD
    entries: list[Entry] = field(default_factory=list)

    def problems(self) -> list[str]:
        """What does not add up: opening + booked entries != closing; an entry whose
        transactions do not sum to it."""
        out = []
        for e in self.entries:
            parts = sum(t.amount_minor for t in e.transactions)
            if parts != e.amount_minor:
                out.append(f"statement {self.id}: entry {e.number} is {e.amount_minor} but its transactions"
                           f" sum to {parts}")
        if self.opening_minor is not None and self.closing_minor is not None:
            moved = sum(e.amount_minor if e.credit else -e.amount_minor for e in self.entries if e.booked_status)
            if self.opening_minor + moved != self.closing_minor:
                out.append(f"statement {self.id} of {self.account}: opening {self.opening_minor} + booked entries"
                           f" {moved} != closing {self.closing_minor} ({self.currency} minor units)")
        return out


def kind(root: Element) -> tuple[str, str, str]:
    """(family, number, version) of an ISO 20022 document, e.g. ("camt", "054", "08")."""
    m = _NAMESPACE.fullmatch(root.tag)
    if m is None:
        raise ConfigError(f"not an ISO 20022 document (root element {root.tag!r})")
    return m.groups()


def is_kind(root: Element, family: str, number: str) -> bool:
    """Whether the document is, e.g., ("camt", "054"), whatever its version."""
    m = _NAMESPACE.fullmatch(root.tag)
    return m is not None and m.groups()[:2] == (family, number)


def read(data: bytes, expected: str = "053") -> list[AccountStatement]:
    """Every statement of a camt.053 file (or, expected="054", every notification of a
    camt.054 debit/credit notification, read the same way: an account, its entries, no
    balances); ConfigError naming what the file is otherwise."""
    return read_document(parse_untrusted(data), expected)


def read_document(root: Element, expected: str = "053") -> list[AccountStatement]:
    """read(), on a document already parsed (with parse_untrusted)."""
    family, number, version = kind(root)
    want = "a bank statement (camt.053)" if expected == "053" else "a debit/credit notification (camt.054)"
    if (family, number) != ("camt", expected):
        raise ConfigError(f"this is {_KINDS.get((family, number), f'{family}.{number}')}"
                          f" ({family}.{number}.001.{version}): {want} was expected")
    if int(version) < 2:
        raise ConfigError(f"camt.{expected}.001.{version} is older than this reader knows (.001.02 and later)")
    x = _Reader(namespace_of(root))
    path = "BkToCstmrStmt/Stmt" if expected == "053" else "BkToCstmrDbtCdtNtfctn/Ntfctn"
    statements = [x.statement(s) for s in x.all(root, path)]
    if not statements:
        what = "statement (Stmt)" if expected == "053" else "notification (Ntfctn)"
        raise ConfigError(f"the camt.{expected} document holds no {what}")
    return statements


class _Reader:
    def __init__(self, namespace: str):
        self.ns = {"c": namespace}
        self.entries_read = 0  # entries are numbered across the file

    def _path(self, path: str) -> str:
        return "/".join(f"c:{p}" for p in path.split("/"))

    def all(self, el: Element, path: str) -> list[Element]:
        return el.findall(self._path(path), self.ns)

    def one(self, el: Element, path: str) -> Element | None:
        return el.find(self._path(path), self.ns)

    def text(self, el: Element, *paths: str) -> str | None:
        for p in paths:
            found = el.findtext(self._path(p), None, self.ns)
            if found is not None and found.strip():
                return found.strip()
        return None

    def statement(self, s: Element) -> AccountStatement:
        sid = self.text(s, "Id") or "(no id)"
        account = self.text(s, "Acct/Id/IBAN", "Acct/Id/Othr/Id") or "(no account)"
        amounts = [a for a in (self.one(b, "Amt") for b in self.all(s, "Bal")) if a is not None]
        entry_amounts = [a for a in (self.one(n, "Amt") for n in self.all(s, "Ntry")) if a is not None]
        currency = self.text(s, "Acct/Ccy") or next((a.get("Ccy") for a in amounts + entry_amounts), None)
        if currency is None:
            raise ConfigError(f"statement {sid}: no currency (Acct/Ccy, a balance or an entry)")
        out = AccountStatement(sid, account, currency)
        for b in self.all(s, "Bal"):
            kind = self.text(b, "Tp/CdOrPrtry/Cd")
            amt = self.one(b, "Amt")
            if kind not in ("OPBD", "PRCD", "CLBD") or amt is None or amt.get("Ccy") != currency:
                continue  # available and interim balances, or one in another currency, say nothing of booked money
            signed = self._minor(amt, f"statement {sid} balance {kind}") * (-1 if self.text(b, "CdtDbtInd") == "DBIT"
                                                                              else 1)
            if kind == "CLBD":
                out.closing_minor = signed
            elif out.opening_minor is None or kind == "OPBD":
                out.opening_minor = signed
        out.entries = [self.entry(n, sid, i) for i, n in enumerate(self.all(s, "Ntry"), start=1)]
        return out

    def entry(self, n: Element, sid: str, i: int) -> Entry:
        where = f"statement {sid} entry {i}"
        amt = self.one(n, "Amt")
        if amt is None:
            raise ConfigError(f"{where}: no amount (Amt)")
        amount = self._minor(amt, where)
        direction = self.text(n, "CdtDbtInd")
        if direction not in ("CRDT", "DBIT"):
            raise ConfigError(f"{where}: CdtDbtInd {direction!r} is not CRDT or DBIT")
        status = self.text(n, "Sts/Cd", "Sts") or "BOOK"
        entry_ref = self.text(n, "AcctSvcrRef") or ""
        details = self.all(n, "NtryDtls/TxDtls")
        if len(details) > 1 and not any(self.one(t, "Amt") is not None or self.one(t, "AmtDtls") is not None
                                        for t in details):
            details = []  # a batch booked without amounts per transaction can only be read whole
        txs = tuple(self.transaction(t, amt.get("Ccy"), amount if len(details) == 1 else None, entry_ref, where)
                    for t in details) or (Transaction(_reference(entry_ref), amount),)
        self.entries_read += 1
        return Entry(self.entries_read, amount, amt.get("Ccy"), direction == "CRDT", self.text(n, "RvslInd") == "true", status,
                     self._day(n, where), txs)

    def transaction(self, t: Element, currency: str, only: int | None, entry_ref: str, where: str) -> Transaction:
        # The transaction's amount in the entry's currency (an amount in another one is what
        # was instructed before conversion); the entry's own when it is the only one.
        amounts = [a for a in (self.one(t, "Amt"), self.one(t, "AmtDtls/TxAmt/Amt")) if a is not None]
        same = next((a for a in amounts if a.get("Ccy") == currency), None)
        if same is not None:
            amount = self._minor(same, where)
        elif only is not None:
            amount = only
        else:
            raise ConfigError(f"{where}: a transaction of a batch-booked entry has no amount in {currency}")
        ref = self.text(t, "Refs/AcctSvcrRef", "Refs/EndToEndId", "Refs/InstrId") or entry_ref
        return Transaction(_reference(ref), amount, self.text(t, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry"),
                           _reference(self.text(t, "Refs/EndToEndId") or ""))

    def _minor(self, amt: Element, where: str) -> int:
        return to_minor(amt.text or "", amt.get("Ccy") or "", where)

    def _day(self, n: Element, where: str) -> date | None:
        text = self.text(n, "BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm")  # booked, else value date
        if text is None:
            return None
        if "T" not in text:
            return day(text, f"{where}: booking date")
        try:
            booked = datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text)).date()  # nanoseconds: cut
        except ValueError:
            raise ConfigError(f"{where}: booking date {text!r} is not a date") from None
        return within_ledger_dates(booked, f"{where}: booking date")


def _reference(text: str) -> str:
    return "" if text.strip().upper() in NO_REFERENCE else text.strip()
