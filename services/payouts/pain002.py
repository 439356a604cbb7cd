"""ISO 20022 pain.002 customer payment status reports: the bank's answer to a pain.001,
read as confirmations of a payout batch (the bank adapter's side), and written (the
bank simulator's side, so the loop closes with standard files).

A transaction's status decides its line: ACSC or ACCC (settled on the creditor's side)
is SETTLED, with the bank's reference (`AcctSvcrRef`, else the status id); RJCT is
FAILED with its ISO reason code (`StsRsnInf/Rsn/Cd`, with the bank's words when it gives
them); anything else (ACCP, ACSP, ACTC, PDNG) is not final and says nothing yet. As banks
write them, a transaction may carry no status of its own (its payment information's
PmtInfSts, else the group's GrpSts, holds) and a block or a group may be rejected as a
whole (every line fails). Lines are found by their EndToEndId."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element

from services.adapters import iso20022
from services.adapters.iso20022 import parse_untrusted
from services.domain.errors import ConfigError
from services.payouts.batch import Batch, end_to_end_id, result

NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
_DOCUMENT = re.compile(r"\{urn:iso:std:iso:20022:tech:xsd:pain\.002\.001\.(\d{2})\}Document")
SETTLED, REJECTED = ("ACSC", "ACCC"), ("RJCT",)


@dataclass(frozen=True)
class StatusReport:
    """A parsed pain.002: its CstmrPmtStsRpt element and how to name its children."""

    rpt: Element
    q: Callable[[str], str]

    def text(self, path: str, el: Element | None = None) -> str:
        return ((el if el is not None else self.rpt).findtext(self.q(path)) or "").strip()

    @property
    def batch_id(self) -> str:
        """The payout batch it answers (OrgnlMsgId)."""
        return self.text("OrgnlGrpInfAndSts/OrgnlMsgId")


def parse(data: bytes) -> StatusReport:
    """A pain.002 status report that names the message it answers; ConfigError otherwise."""
    return from_document(parse_untrusted(data))


def from_document(root: Element) -> StatusReport:
    """parse(), on a document already parsed (with parse_untrusted)."""
    if _DOCUMENT.fullmatch(root.tag) is None:
        raise ConfigError(f"not a pain.002 payment status report (root element {root.tag!r})")
    q = iso20022.qualified(iso20022.namespace_of(root))
    rpt = root.find(q("CstmrPmtStsRpt"))
    if rpt is None:
        raise ConfigError("the pain.002 holds no payment status report (CstmrPmtStsRpt)")
    report = StatusReport(rpt, q)
    if not report.batch_id:
        raise ConfigError("the pain.002 names no original message (OrgnlGrpInfAndSts/OrgnlMsgId)")
    return report


@dataclass(frozen=True)
class Decision:
    """What a status report says of one transaction, or (end_to_end_id None) of a whole
    payment information block or message: its status, the bank's reference, its reason."""

    end_to_end_id: str | None
    status: str
    reference: str | None
    reason: str | None


def decisions(report: StatusReport) -> list[Decision]:
    """Every status the report gives, as banks write them: a transaction without TxSts
    takes its payment information's status (PmtInfSts), and that the group's (GrpSts);
    a reason likewise comes from the transaction, else its block, else the group; a
    transaction without OrgnlEndToEndId speaks for its whole block."""
    grp = report.rpt.find(report.q("OrgnlGrpInfAndSts"))
    group_status, group_reason = report.text("GrpSts", grp) if grp is not None else "", _reason(report, grp)
    blocks = report.rpt.findall(report.q("OrgnlPmtInfAndSts"))
    if not blocks:
        return [Decision(None, group_status, None, group_reason)] if group_status else []
    out = []
    for pmt in blocks:
        status = report.text("PmtInfSts", pmt) or group_status
        reason = _reason(report, pmt) or group_reason
        txs = pmt.findall(report.q("TxInfAndSts"))
        if not txs:
            out.append(Decision(None, status, None, reason))
        for tx in txs:
            out.append(Decision(report.text("OrgnlEndToEndId", tx) or None, report.text("TxSts", tx) or status,
                                report.text("AcctSvcrRef", tx) or report.text("StsId", tx) or None,
                                _reason(report, tx) or reason))
    return out


def _reason(report: StatusReport, el: Element | None) -> str | None:
    """The first reason code (Cd, else Prtry) with the bank's words (AddtlInf), if any."""
    for info in [] if el is None else el.findall(report.q("StsRsnInf")):
        code = report.text("Rsn/Cd", info) or report.text("Rsn/Prtry", info)
        # banks cut long words into AddtlInf pieces of 105 characters: the pieces join as they are
        words = "".join(e.text or "" for e in info.findall(report.q("AddtlInf"))).strip()
        if code or words:
            return f"{code or 'NARR'} ({' '.join(words.split())[:300]})" if words else code
    return None


def read(report: StatusReport, batch: Batch) -> list[dict]:
    """The final results the report gives for lines of batch, as PayoutBatchConfirmed
    results (seller_id, amount, status, bank_reference, reason). A final status given
    for a whole block applies to every line it does not name (the ledger's pain.001 is
    one block); ACCP, ACSP, ACTC, PDNG and the like are not final and say nothing."""
    if report.batch_id != batch.batch_id:
        raise ConfigError(f"the pain.002 answers {report.batch_id}, not batch {batch.batch_id}")
    by_e2e = {end_to_end_id(batch.batch_id, ln.seller_id): ln for ln in batch.lines}
    out, seen, whole = [], set(), None
    for n, d in enumerate(decisions(report), start=1):
        if d.end_to_end_id is None:
            whole = whole or (d if d.status in SETTLED + REJECTED else None)
            continue
        line = by_e2e.get(d.end_to_end_id)
        if line is None:
            raise ConfigError(f"pain.002 transaction {n}: EndToEndId {d.end_to_end_id!r} is not a line of"
                              f" {batch.batch_id}")
        if d.end_to_end_id in seen:
            raise ConfigError(f"pain.002 transaction {n}: {d.end_to_end_id} is answered twice")
        seen.add(d.end_to_end_id)
        if d.status in SETTLED:
            out.append(result(line.seller_id, line.amount_minor, "SETTLED", d.reference or d.end_to_end_id, None))
        elif d.status in REJECTED:
            out.append(result(line.seller_id, line.amount_minor, "FAILED", None, d.reason or "NARR"))
    if whole is not None:
        message_id = report.text("GrpHdr/MsgId") or batch.batch_id
        for e2e, line in by_e2e.items():
            if e2e not in seen:
                out.append(result(line.seller_id, line.amount_minor, "SETTLED", message_id, None)
                           if whole.status in SETTLED
                           else result(line.seller_id, line.amount_minor, "FAILED", None, whole.reason or "NARR"))
    return out


def confirmation(report: StatusReport, batch: Batch, at: datetime) -> dict | None:
    """The PayoutBatchConfirmed a status report amounts to (None when it says nothing
    final yet); its event id is the report's own message id, so the same file twice is
    the same event."""
    results = read(report, batch)
    if not results:
        return None
    message_id = report.text("GrpHdr/MsgId")
    if not message_id:
        raise ConfigError("the pain.002 has no message id (GrpHdr/MsgId)")
    return {"event_id": f"pain002:{batch.batch_id}:{message_id}", "occurred_at": at, "batch_id": batch.batch_id,
            "results": results}


def write(original_message_id: str, original_version: str, results: list[dict], message_id: str,
          created_at: str) -> bytes:
    """A pain.002.001.03 answering a pain.001 with these results (the simulator's side):
    each result names its transfer by end_to_end_id, with status SETTLED (and its
    bank_reference) or FAILED (and its ISO reason)."""
    el, root, rpt, _ = iso20022.message(NS, "CstmrPmtStsRpt", message_id, created_at)
    grp = el(rpt, "OrgnlGrpInfAndSts")
    el(grp, "OrgnlMsgId", original_message_id)
    el(grp, "OrgnlMsgNmId", original_version)
    failed = sum(r["status"] == "FAILED" for r in results)
    el(grp, "GrpSts", "PART" if failed and failed < len(results) else ("RJCT" if failed else "ACSC"))
    pmt = el(rpt, "OrgnlPmtInfAndSts")
    el(pmt, "OrgnlPmtInfId", original_message_id)
    for i, r in enumerate(results, start=1):
        tx = el(pmt, "TxInfAndSts")
        el(tx, "StsId", f"{message_id}-{i}")
        el(tx, "OrgnlEndToEndId", r["end_to_end_id"])
        el(tx, "TxSts", "RJCT" if r["status"] == "FAILED" else "ACSC")
        if r["status"] == "FAILED":
            el(el(el(tx, "StsRsnInf"), "Rsn"), "Cd", r["reason"])
        else:
            el(tx, "AcctSvcrRef", r["bank_reference"])
    return iso20022.serialize(root)
