"""ISO 20022 camt.054 debit notifications as the bank's answer to a payout batch: the
bank tells the debtor each transfer it booked off the account. Read with the statement
reader (services.reconciliation.camt: defusedxml, versions .001.02 and later, batch-booked
entries split per TxDtls) and matched to the batch's lines by EndToEndId.

A booked debit is SETTLED with the bank's reference (AcctSvcrRef); a reversal or a
transaction with return information (RtrInf) is FAILED with the bank's reason (RVSL when
it gives none); pending and informational entries say nothing yet. Transactions of other
payments on the same account are not ours and are left alone."""

from __future__ import annotations

from datetime import datetime
from xml.etree.ElementTree import Element

from services.adapters import iso20022
from services.domain.bounds import printable
from services.domain.errors import ConfigError
from services.payouts.batch import Batch, decimal, end_to_end_id, result
from services.reconciliation.camt import AccountStatement, is_kind, read, read_document


def parse(data: bytes) -> list[AccountStatement]:
    return read(data, expected="054")


def is_notification(root: Element) -> bool:
    return is_kind(root, "camt", "054")


def from_document(root: Element) -> list[AccountStatement]:
    return read_document(root, expected="054")


def batch_id(notifications: list[AccountStatement]) -> str:
    """The payout batch the notification answers: the one its EndToEndIds name ({batch}-...)."""
    ids = {t.end_to_end_id.split("-", 1)[0] for n in notifications for e in n.entries for t in e.transactions
           if t.end_to_end_id.startswith("PB_") and "-" in t.end_to_end_id}
    if len(ids) != 1:
        raise ConfigError("the camt.054 names no payout batch of the ledger" if not ids else
                          f"the camt.054 answers several payout batches ({printable(', '.join(sorted(ids)))}): one at a time")
    return ids.pop()


def confirmation(notifications: list[AccountStatement], batch: Batch, at: datetime, file_sha256: str) -> dict | None:
    """The PayoutBatchConfirmed the notification amounts to (None when nothing in it is
    final); its event id names the file's content, so the same file twice is one event."""
    by_e2e = {end_to_end_id(batch.batch_id, ln.seller_id): ln for ln in batch.lines}
    results, seen = [], set()
    for n in notifications:
        for e in n.entries:
            if e.status != "BOOK" or e.currency != batch.currency:
                continue
            for t in e.transactions:
                line = by_e2e.get(t.end_to_end_id)
                if line is None:
                    continue
                if t.end_to_end_id in seen:
                    raise ConfigError(f"camt.054 {n.id}: {t.end_to_end_id} is answered twice")
                seen.add(t.end_to_end_id)
                if e.reversal or t.return_reason:
                    results.append(result(line.seller_id, t.amount_minor, "FAILED", None, t.return_reason or "RVSL"))
                elif not e.credit:
                    results.append(result(line.seller_id, t.amount_minor, "SETTLED", t.reference or t.end_to_end_id,
                                          None))
    if not results:
        return None
    return {"event_id": f"camt054:{batch.batch_id}:{file_sha256[:32]}", "occurred_at": at,
            "batch_id": batch.batch_id, "results": results}


NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"


def write(message_id: str, account: str, currency: str, booked_on: str, created_at: str,
          settled: list[tuple[str, str, int]]) -> bytes:
    """A camt.054.001.08 debit notification booking the settled transfers (end_to_end_id,
    bank reference, amount in minor units) as one batch-booked entry (the simulator's side)."""
    el, root, msg, _ = iso20022.message(NS, "BkToCstmrDbtCdtNtfctn", message_id, created_at)
    note = el(msg, "Ntfctn")
    el(note, "Id", message_id)
    el(note, "CreDtTm", created_at)
    acct = el(note, "Acct")
    el(el(el(acct, "Id"), "Othr"), "Id", account)
    el(acct, "Ccy", currency)
    entry = el(note, "Ntry")
    el(entry, "Amt", decimal(sum(a for _, _, a in settled), currency), Ccy=currency)
    el(entry, "CdtDbtInd", "DBIT")
    el(el(entry, "Sts"), "Cd", "BOOK")
    el(el(entry, "BookgDt"), "Dt", booked_on)
    el(el(entry, "ValDt"), "Dt", booked_on)
    el(entry, "AcctSvcrRef", message_id)
    domain = el(el(entry, "BkTxCd"), "Domn")
    el(domain, "Cd", "PMNT")
    family = el(domain, "Fmly")
    el(family, "Cd", "ICDT")
    el(family, "SubFmlyCd", "DMCT")
    details = el(entry, "NtryDtls")
    el(el(details, "Btch"), "NbOfTxs", str(len(settled)))
    for e2e, reference, amount in settled:
        tx = el(details, "TxDtls")
        refs = el(tx, "Refs")
        el(refs, "AcctSvcrRef", reference)
        el(refs, "EndToEndId", e2e)
        el(tx, "Amt", decimal(amount, currency), Ccy=currency)
        el(tx, "CdtDbtInd", "DBIT")
    return iso20022.serialize(root)
