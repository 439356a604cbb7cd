"""The matching engine both reconciliations share, pure: report lines against the
journal's movements, each difference a finding with its reason code.

Reason codes (first that applies): RECON_DUPLICATE_LINE (a movement reported twice,
in this file or an earlier one), RECON_MISSING_IN_LEDGER (reported, never posted),
RECON_AMOUNT_MISMATCH (gross or net differ), RECON_FEE_MISMATCH (same gross, another
fee), and, for movements left over, RECON_MISSING_IN_REPORT (posted, never reported)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Expected:
    key: tuple[str, str]  # (reference, type)
    seq: int
    amounts: dict[str, int]
    currency: str
    order_id: str | None = None


@dataclass(frozen=True)
class Reported:
    line_no: int
    key: tuple[str, str]
    amounts: dict[str, int]
    currency: str | None = None  # where a file holds several (a camt.053 of several accounts)


@dataclass(frozen=True)
class Finding:
    reason: str
    detail: str
    reference: str
    amount_minor: int | None
    line_no: int | None = None
    seq: int | None = None
    currency: str | None = None


@dataclass
class Result:
    matched: list[tuple[Reported, Expected]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    line_status: dict[int, tuple[str, str | None, int | None]] = field(default_factory=dict)  # line -> (status, reason, seq)

    def merge(self, other: Result, currency: str) -> None:
        """Add the result of matching another currency's lines of the same file."""
        self.matched += other.matched
        self.findings += [replace(f, currency=f.currency or currency) for f in other.findings]
        self.line_status.update(other.line_status)


def _difference(r: Reported, e: Expected) -> tuple[str, str] | None:
    gross_r, gross_e = r.amounts.get("gross"), e.amounts.get("gross")
    if gross_r is not None and gross_r != gross_e:
        return "RECON_AMOUNT_MISMATCH", f"gross {gross_r} reported, {gross_e} posted"
    if "fee" in r.amounts and r.amounts["fee"] != e.amounts.get("fee", 0):
        return "RECON_FEE_MISMATCH", f"fee {r.amounts['fee']} reported, {e.amounts.get('fee', 0)} posted"
    for name in ("net", "amount"):
        if name in r.amounts and r.amounts[name] != e.amounts.get(name):
            return "RECON_AMOUNT_MISMATCH", f"{name} {r.amounts[name]} reported, {e.amounts.get(name)} posted"
    return None


def match(reported: list[Reported], expected: list[Expected], matched_before: set[tuple[int, str]]) -> Result:
    """matched_before: (journal seq, reference) of movements earlier imports matched."""
    out = Result()
    open_by_key: dict[tuple[str, str], list[Expected]] = {}
    for e in expected:
        if (e.seq, e.key[0]) not in matched_before:
            open_by_key.setdefault(e.key, []).append(e)
    seen_keys = {e.key for e in expected}
    for r in reported:
        ref = r.key[0]
        candidates = open_by_key.get(r.key, [])
        if not candidates:
            if r.key in seen_keys:
                reason, detail = "RECON_DUPLICATE_LINE", f"{r.key[1]} {ref} was already reported"
            else:
                reason, detail = "RECON_MISSING_IN_LEDGER", f"{r.key[1]} {ref} is not in the ledger"
            out.findings.append(Finding(reason, detail, ref, _size(r.amounts), line_no=r.line_no))
            out.line_status[r.line_no] = ("exception", reason, None)
            continue
        # prefer a movement with the same amounts (several refunds of one order)
        e = next((c for c in candidates if _difference(r, c) is None), candidates[0])
        candidates.remove(e)
        diff = _difference(r, e)
        if diff:
            out.findings.append(Finding(diff[0], f"{r.key[1]} {ref}: {diff[1]}", ref, _size(r.amounts), r.line_no, e.seq))
            out.line_status[r.line_no] = ("exception", diff[0], e.seq)
        else:
            out.matched.append((r, e))
            out.line_status[r.line_no] = ("matched", None, e.seq)
    for left in open_by_key.values():
        for e in left:
            out.findings.append(Finding("RECON_MISSING_IN_REPORT", f"{e.key[1]} {e.key[0]} posted (seq {e.seq}),"
                                        " never reported", e.key[0], _size(e.amounts), seq=e.seq))
    return out


def _size(amounts: dict[str, int]) -> int | None:
    for name in ("gross", "amount", "net"):
        if name in amounts:
            return amounts[name]
    return None
