"""ISO 20022 pain.001 customer credit transfer initiation: the payout batch as the
debtor's bank takes it, in version .001.001.09 or .001.001.03 (the debtor bank's choice,
in settings), validated against the official XSD (shipped by the sepaxml package) before
anything is written.

One payment information block, booked by the bank as one entry (BtchBookg): the debtor
(name, account as IBAN or other id, BIC) and service level come from settings; each
transfer carries its EndToEndId (at most 35 characters whatever the ids), the amount,
the payee's legal name and tax document (CPF/CNPJ as TXID), their bank account —
IBAN, or a domestic account with the bank code and branch in the creditor agent, or a
PIX key (as the account's proxy in .09, as a scheme-named id in .03) — and the batch in
the remittance information. The bank adapter's side reads such a file back (parse)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from xml.etree.ElementTree import Element

import xmlschema
from stdnum import iban as _iban

from services.adapters import iso20022
from services.adapters.iso20022 import parse_untrusted
from services.domain.errors import ConfigError, PermanentError
from services.payouts.batch import Batch, Debtor, FileRefused, Line, decimal, end_to_end_id
from services.reconciliation.gateway import to_minor

VERSIONS = ("pain.001.001.09", "pain.001.001.03")
ACCOUNT_ID_MAX = 34  # Othr/Id: Max34Text


def namespace(version: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{version}"


def check_lines(b: Batch, version: str) -> None:
    """What the schema would refuse, said per seller and field before the schema is asked."""
    if len(b.batch_id) > 35:
        raise FileRefused(f"batch id {b.batch_id[:40]}... is longer than a message id holds (MsgId, 35)")
    for ln in b.lines:
        a = ln.account
        if a is None and not 1 <= len(ln.bank_account_ref) <= ACCOUNT_ID_MAX:
            raise FileRefused(f"{b.batch_id}: seller {ln.seller_id}'s bank account reference (CdtrAcct/Id/Othr/Id)"
                              f" must be 1 to {ACCOUNT_ID_MAX} characters, is {len(ln.bank_account_ref)}")
        if a is not None and a.scheme == "PIX" and version == "pain.001.001.03" and len(a.pix_key) > ACCOUNT_ID_MAX:
            raise FileRefused(f"{b.batch_id}: seller {ln.seller_id}'s PIX key (CdtrAcct/Id/Othr/Id) has"
                              f" {len(a.pix_key)} characters, more than pain.001.001.03 holds ({ACCOUNT_ID_MAX});"
                              " pay it in pain.001.001.09 or CNAB 240")
        if a is not None and a.scheme == "DOMESTIC" and len(_domestic_id(a)) > ACCOUNT_ID_MAX:
            raise FileRefused(f"{b.batch_id}: seller {ln.seller_id}'s account (CdtrAcct/Id/Othr/Id) is longer than"
                              f" {ACCOUNT_ID_MAX} characters")


def write(b: Batch, debtor: Debtor) -> bytes:
    """The batch as a pain.001 of the debtor bank's version (not yet validated)."""
    v09 = debtor.pain001_version == "pain.001.001.09"
    ns = namespace(debtor.pain001_version)
    el, root, cti, hdr = iso20022.message(ns, "CstmrCdtTrfInitn", b.batch_id, b.created_at)
    el(hdr, "NbOfTxs", str(len(b.lines)))
    el(hdr, "CtrlSum", decimal(b.control_sum_minor, b.currency))
    el(el(hdr, "InitgPty"), "Nm", debtor.name)
    pmt = el(cti, "PmtInf")
    el(pmt, "PmtInfId", b.batch_id)
    el(pmt, "PmtMtd", "TRF")
    el(pmt, "BtchBookg", "true")
    el(pmt, "NbOfTxs", str(len(b.lines)))
    el(pmt, "CtrlSum", decimal(b.control_sum_minor, b.currency))
    el(el(el(pmt, "PmtTpInf"), "SvcLvl"), "Cd", debtor.service_level)
    if v09:
        el(el(pmt, "ReqdExctnDt"), "Dt", b.batch_date)
    else:
        el(pmt, "ReqdExctnDt", b.batch_date)
    el(el(pmt, "Dbtr"), "Nm", debtor.name)
    _account_id(el, el(pmt, "DbtrAcct"), debtor.account)
    el(el(el(pmt, "DbtrAgt"), "FinInstnId"), "BICFI" if v09 else "BIC", debtor.bic)
    el(pmt, "ChrgBr", "SLEV" if debtor.service_level == "SEPA" else "SHAR")
    for ln in b.lines:
        _transfer(el, el(pmt, "CdtTrfTxInf"), b, ln, v09)
    return iso20022.serialize(root)


def _transfer(el: Callable[..., Element], tx: Element, b: Batch, ln: Line, v09: bool) -> None:
    el(el(tx, "PmtId"), "EndToEndId", end_to_end_id(b.batch_id, ln.seller_id))
    el(el(tx, "Amt"), "InstdAmt", decimal(ln.amount_minor, b.currency), Ccy=b.currency)
    a = ln.account
    if a is not None and a.scheme == "DOMESTIC":
        agent = el(tx, "CdtrAgt")
        el(el(el(agent, "FinInstnId"), "ClrSysMmbId"), "MmbId", a.bank_code)
        if a.branch:
            el(el(agent, "BrnchId"), "Id", a.branch)
    cdtr = el(tx, "Cdtr")
    el(cdtr, "Nm", ln.legal_name or ln.seller_id)
    if ln.tax_document:
        kind = "OrgId" if len(ln.tax_document) == 14 else "PrvtId"
        other = el(el(el(cdtr, "Id"), kind), "Othr")
        el(other, "Id", ln.tax_document)
        el(el(other, "SchmeNm"), "Cd", "TXID")
    acct = el(tx, "CdtrAcct")
    if a is None:
        el(el(el(acct, "Id"), "Othr"), "Id", ln.bank_account_ref)
    elif a.scheme == "IBAN":
        el(el(acct, "Id"), "IBAN", a.iban)
    elif a.scheme == "DOMESTIC":
        other = el(el(acct, "Id"), "Othr")
        el(other, "Id", _domestic_id(a))
        el(el(other, "SchmeNm"), "Cd", "BBAN")
    else:  # PIX: the key is the proxy (.09); .03 has no proxy, the key is the id
        other = el(el(acct, "Id"), "Othr")
        el(other, "Id", a.pix_key if len(a.pix_key) <= ACCOUNT_ID_MAX else "PIX")
        el(el(other, "SchmeNm"), "Prtry", f"PIX-{a.pix_key_type}")
        if v09:
            prxy = el(acct, "Prxy")
            el(el(prxy, "Tp"), "Prtry", f"PIX-{a.pix_key_type}")
            el(prxy, "Id", a.pix_key)
    el(el(tx, "RmtInf"), "Ustrd", f"Splitbook payout {b.batch_id}")


def _domestic_id(a) -> str:
    return f"{a.branch}/{a.account_number}" if a.branch else a.account_number


def _account_id(el: Callable[..., Element], parent: Element, account: str) -> None:
    if _iban.is_valid(account):
        el(el(parent, "Id"), "IBAN", _iban.compact(account))
    else:
        el(el(el(parent, "Id"), "Othr"), "Id", account)


@functools.cache
def _schema(version: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(resources.files("sepaxml") / "schemas" / f"{version}.xsd"))


def validate(data: bytes, version: str) -> None:
    """Against the official XSD of the version; FileRefused naming the first error."""
    error = next(_schema(version).iter_errors(data.decode()), None)
    if error is not None:
        raise FileRefused(f"the {version} would not validate: {error.reason} at {error.path}")


def render(b: Batch, debtor: Debtor) -> bytes:
    """The checked, written and validated pain.001 of a batch; FileRefused otherwise."""
    check_lines(b, debtor.pain001_version)
    data = write(b, debtor)
    validate(data, debtor.pain001_version)
    return data


# -- the bank's side: reading a pain.001 ------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    """One credit transfer as the bank reads it."""

    end_to_end_id: str
    amount_minor: int
    creditor_name: str
    account: str  # the IBAN, the other id, or the PIX key


@dataclass(frozen=True)
class Instruction:
    """A pain.001 as the bank reads it: the message and its transfers."""

    message_id: str
    version: str  # pain.001.001.03 or .09
    execution_date: str
    currency: str
    transfers: tuple[Transfer, ...]


def parse(data: bytes) -> Instruction:
    """Read a pain.001 (.03 or .09) a debtor sent; ConfigError naming what is wrong."""
    root = parse_untrusted(data)
    ns = iso20022.namespace_of(root)
    if ns not in {namespace(v) for v in VERSIONS}:
        raise ConfigError(f"not a pain.001 of {' or '.join(VERSIONS)} (root element {root.tag!r})")
    q = iso20022.qualified(ns)
    hdr, pmt = root.find(q("CstmrCdtTrfInitn/GrpHdr")), root.find(q("CstmrCdtTrfInitn/PmtInf"))
    if hdr is None or pmt is None:
        raise ConfigError("the pain.001 has no group header or payment information")
    transfers, currency = [], ""
    for tx in pmt.findall(q("CdtTrfTxInf")):
        amt = tx.find(q("Amt/InstdAmt"))
        currency = amt.get("Ccy")
        minor = to_minor(amt.text or "", currency, f"pain.001 transfer {len(transfers) + 1}")
        account = (tx.findtext(q("CdtrAcct/Prxy/Id")) or tx.findtext(q("CdtrAcct/Id/IBAN"))
                   or tx.findtext(q("CdtrAcct/Id/Othr/Id")) or "")
        transfers.append(Transfer(tx.findtext(q("PmtId/EndToEndId")), minor, tx.findtext(q("Cdtr/Nm")) or "",
                                  account))
    date = pmt.findtext(q("ReqdExctnDt/Dt")) or pmt.findtext(q("ReqdExctnDt"))
    instruction = Instruction(hdr.findtext(q("MsgId")), ns.rsplit(":", 1)[1], (date or "").strip(), currency,
                              tuple(transfers))
    if int(hdr.findtext(q("NbOfTxs"))) != len(transfers):
        raise PermanentError(f"pain.001 {instruction.message_id}: NbOfTxs does not match its transactions")
    return instruction
