"""ISO 20022 pain.002 customer payment status reports: the bank's answer to a pain.001,
read as confirmations of a payout batch (the bank adapter's side), and written (the
bank simulator's side, so the loop closes with standard files).

A transaction's status decides its line: ACSC or ACCC (settled on the creditor's side)
is SETTLED, with the bank's reference (`AcctSvcrRef`, else the status id); RJCT is
FAILED with its ISO reason code (`StsRsnInf/Rsn/Cd`); anything else (ACCP, ACSP, ACTC,
PDNG) is not final and says nothing yet. A group rejected as a whole (`GrpSts` RJCT,
no transaction statuses) fails every line. Lines are found by their EndToEndId."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element

from services.adapters import iso20022
from services.adapters.iso20022 import parse_untrusted
from services.domain.errors import ConfigError
from services.payouts.batch import Batch, end_to_end_id

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
    root = parse_untrusted(data)
    if _DOCUMENT.fullmatch(root.tag) is None:
        raise ConfigError(f"not a pain.002 payment status report (root element {root.tag!r})")
    ns = root.tag[1:].split("}")[0]
    q = lambda path: "/".join(f"{{{ns}}}{p}" for p in path.split("/"))  # noqa: E731
    rpt = root.find(q("CstmrPmtStsRpt"))
    if rpt is None:
        raise ConfigError("the pain.002 holds no payment status report (CstmrPmtStsRpt)")
    report = StatusReport(rpt, q)
    if not report.batch_id:
        raise ConfigError("the pain.002 names no original message (OrgnlGrpInfAndSts/OrgnlMsgId)")
    return report


def read(report: StatusReport, batch: Batch) -> list[dict]:
    """The final results the report gives for lines of batch, as PayoutBatchConfirmed
    results (seller_id, amount, status, bank_reference, reason)."""
    if report.batch_id != batch.batch_id:
        raise ConfigError(f"the pain.002 answers {report.batch_id}, not batch {batch.batch_id}")
    by_e2e = {end_to_end_id(batch.batch_id, ln.seller_id): ln for ln in batch.lines}
    statuses = report.rpt.findall(report.q("OrgnlPmtInfAndSts/TxInfAndSts"))
    if not statuses:
        if report.text("OrgnlGrpInfAndSts/GrpSts") in REJECTED:
            reason = report.text("OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd") or "NARR"
            return [_result(ln, "FAILED", None, reason) for ln in batch.lines]
        return []
    out, seen = [], set()
    for n, tx in enumerate(statuses, start=1):
        e2e = report.text("OrgnlEndToEndId", tx)
        line = by_e2e.get(e2e)
        if line is None:
            raise ConfigError(f"pain.002 transaction {n}: EndToEndId {e2e!r} is not a line of {batch.batch_id}")
        if e2e in seen:
            raise ConfigError(f"pain.002 transaction {n}: {e2e} is answered twice")
        seen.add(e2e)
        status = report.text("TxSts", tx)
        if status in SETTLED:
            ref = report.text("AcctSvcrRef", tx) or report.text("StsId", tx) or e2e
            out.append(_result(line, "SETTLED", ref, None))
        elif status in REJECTED:
            out.append(_result(line, "FAILED", None, report.text("StsRsnInf/Rsn/Cd", tx) or "NARR"))
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
    el = iso20022.builder(NS)
    root, rpt = iso20022.document(NS, el, "CstmrPmtStsRpt")
    hdr = el(rpt, "GrpHdr")
    el(hdr, "MsgId", message_id)
    el(hdr, "CreDtTm", created_at)
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


def _result(line, status: str, reference: str | None, reason: str | None) -> dict:
    return {"seller_id": line.seller_id, "amount": line.amount_minor, "status": status,
            "bank_reference": reference, "reason": reason}
