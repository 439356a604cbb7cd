"""FEBRABAN CNAB 240, "Pagamento de Fornecedores": BRL payout batches as Brazilian banks
take them, and the bank's *retorno* read back as confirmations.

A remessa is a file header (0), one lot per way of paying — credit to a bank account
(forma 41, TED) and PIX transfer (forma 45) — each a lot header (1), a segment A and a
segment B (3) per transfer and a lot trailer (5) with its record count and sum, then a
file trailer (9) with the lot and record counts. Every record is exactly 240 characters:
numeric fields zero-padded on the left, text upper-case ASCII padded with blanks on the
right. Segment A carries the payee's bank, branch, account and name, the payment date,
the amount and our reference ("seu número", a digest of the batch and the seller: 20
characters whatever the ids); segment B the payee's CPF/CNPJ and, for PIX, the key and
how the payment is initiated (01 phone, 02 e-mail, 03 CPF/CNPJ, 04 random key).

A retorno is the same layout written by the bank: each segment A echoes our reference
with the bank's own ("nosso número") and up to five two-character occurrence codes.
`00` is paid; codes that only say the payment is scheduled or altered (BD, BE, AE, IR,
LA) are not final; any other code fails the transfer with that code as its reason."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime

from services.domain.errors import ConfigError
from services.payouts.batch import Batch, Debtor, FileRefused, Line, result

RECORD = 240
FILE_LAYOUT, LOT_LAYOUT = "089", "045"
TED, PIX = "41", "45"  # forma de lançamento
PIX_INITIATION = {"PHONE": "01", "EMAIL": "02", "CPF": "03", "CNPJ": "03", "EVP": "04"}
PAID = ("00",)
NOT_FINAL = ("BD", "BE", "AE", "IR", "LA")
MAX_AMOUNT_MINOR = 10**15 - 1  # 15 digits, 2 decimals

# (name, first position, last position, N numeric | A text); positions as the layout numbers them
FILE_HEADER = (
    ("bank", 1, 3, "N"), ("lot", 4, 7, "N"), ("type", 8, 8, "N"), ("_", 9, 17, "A"),
    ("doc_kind", 18, 18, "N"), ("doc", 19, 32, "N"), ("agreement", 33, 52, "A"), ("branch", 53, 57, "N"),
    ("branch_dv", 58, 58, "A"), ("account", 59, 70, "N"), ("account_dv", 71, 71, "A"), ("_", 72, 72, "A"),
    ("company", 73, 102, "A"), ("bank_name", 103, 132, "A"), ("_", 133, 142, "A"), ("direction", 143, 143, "N"),
    ("created_on", 144, 151, "N"), ("created_at", 152, 157, "N"), ("sequence", 158, 163, "N"),
    ("layout", 164, 166, "N"), ("density", 167, 171, "N"), ("_", 172, 240, "A"))
LOT_HEADER = (
    ("bank", 1, 3, "N"), ("lot", 4, 7, "N"), ("type", 8, 8, "N"), ("operation", 9, 9, "A"),
    ("service", 10, 11, "N"), ("form", 12, 13, "N"), ("layout", 14, 16, "N"), ("_", 17, 17, "A"),
    ("doc_kind", 18, 18, "N"), ("doc", 19, 32, "N"), ("agreement", 33, 52, "A"), ("branch", 53, 57, "N"),
    ("branch_dv", 58, 58, "A"), ("account", 59, 70, "N"), ("account_dv", 71, 71, "A"), ("_", 72, 72, "A"),
    ("company", 73, 102, "A"), ("message", 103, 142, "A"), ("_", 143, 230, "A"), ("occurrences", 231, 240, "A"))
SEGMENT_A = (
    ("bank", 1, 3, "N"), ("lot", 4, 7, "N"), ("type", 8, 8, "N"), ("number", 9, 13, "N"), ("segment", 14, 14, "A"),
    ("movement", 15, 15, "N"), ("instruction", 16, 17, "N"), ("clearing", 18, 20, "N"), ("payee_bank", 21, 23, "N"),
    ("payee_branch", 24, 28, "N"), ("payee_branch_dv", 29, 29, "A"), ("payee_account", 30, 41, "N"),
    ("payee_account_dv", 42, 42, "A"), ("_", 43, 43, "A"), ("payee_name", 44, 73, "A"), ("our_number", 74, 93, "A"),
    ("pay_on", 94, 101, "N"), ("currency", 102, 104, "A"), ("currency_qty", 105, 119, "N"), ("amount", 120, 134, "N"),
    ("bank_number", 135, 154, "A"), ("paid_on", 155, 162, "N"), ("paid_amount", 163, 177, "N"),
    ("information", 178, 217, "A"), ("_", 218, 229, "A"), ("notice", 230, 230, "N"), ("occurrences", 231, 240, "A"))
SEGMENT_B = (
    ("bank", 1, 3, "N"), ("lot", 4, 7, "N"), ("type", 8, 8, "N"), ("number", 9, 13, "N"), ("segment", 14, 14, "A"),
    ("initiation", 15, 17, "A"), ("doc_kind", 18, 18, "N"), ("doc", 19, 32, "N"), ("txid", 33, 67, "A"),
    ("information", 68, 127, "A"), ("pix_key", 128, 226, "A"), ("_", 227, 232, "A"), ("ispb", 233, 240, "A"))
LOT_TRAILER = (
    ("bank", 1, 3, "N"), ("lot", 4, 7, "N"), ("type", 8, 8, "N"), ("_", 9, 17, "A"), ("records", 18, 23, "N"),
    ("total", 24, 41, "N"), ("currency_qty", 42, 59, "N"), ("debit_notice", 60, 65, "N"), ("_", 66, 230, "A"),
    ("occurrences", 231, 240, "A"))
FILE_TRAILER = (
    ("bank", 1, 3, "N"), ("lot", 4, 7, "N"), ("type", 8, 8, "N"), ("_", 9, 17, "A"), ("lots", 18, 23, "N"),
    ("records", 24, 29, "N"), ("accounts", 30, 35, "N"), ("_", 36, 240, "A"))


def text(value: str) -> str:
    """Upper-case printable ASCII, accents dropped and anything else a blank, as the
    layout's text fields want (a line break in a name cannot break a record)."""
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    return "".join(c if " " <= c <= "~" else " " for c in ascii_)


def record(spec: tuple, /, **values) -> str:
    """One 240-character record; a value that does not fit its field is a bug (ValueError)."""
    out = []
    for name, first, last, kind in spec:
        width = last - first + 1
        value = str(values.get(name, "0" * width if kind == "N" and name != "_" else ""))
        if kind == "N":
            if not value.isdigit() or len(value) > width:
                raise ValueError(f"CNAB field {name} ({first}-{last}) is not {width} digits: {value!r}")
            out.append(value.zfill(width))
        else:
            out.append(text(value)[:width].ljust(width))
    line = "".join(out)
    assert len(line) == RECORD, (spec[0], len(line))
    return line


def fields(layout: tuple, line: str) -> dict[str, str]:
    return {name: line[first - 1:last].strip() if kind == "A" else line[first - 1:last]
            for name, first, last, kind in layout if name != "_"}


def our_number(batch_id: str, seller_id: str) -> str:
    """Seu número: 20 characters naming the line, the same for the same line."""
    return hashlib.sha256(f"{batch_id}:{seller_id}".encode()).hexdigest()[:20].upper()


def _split_dv(value: str | None, digits: int) -> tuple[str, str]:
    number, _, dv = (value or "").partition("-")
    if not number.isdigit() or len(number) > digits or len(dv) > 1:
        raise ValueError(value)
    return number, dv


def _payee(b: Batch, ln: Line) -> dict:
    """The line's payee fields, or FileRefused naming the seller and the field."""
    who = f"{b.batch_id}: seller {ln.seller_id}"
    a = ln.account
    if a is None or a.scheme == "IBAN":
        raise FileRefused(f"{who} has {'an IBAN' if a else 'no structured bank account'}; CNAB 240 pays a"
                          " Brazilian account (bank code, branch, account) or a PIX key")
    document = ln.tax_document or (a.pix_key if a.pix_key_type in ("CPF", "CNPJ") else None)
    if not document:
        raise FileRefused(f"{who} has no CPF/CNPJ (segment B, número de inscrição), which CNAB 240 requires")
    out = {"payee_name": ln.legal_name or ln.seller_id, "doc_kind": "2" if len(document) == 14 else "1",
           "doc": document}
    if a.scheme == "PIX":
        return {**out, "form": PIX, "clearing": "009", "initiation": PIX_INITIATION[a.pix_key_type],
                "pix_key": a.pix_key}
    if not (a.bank_code.isdigit() and len(a.bank_code) <= 3):
        raise FileRefused(f"{who}'s bank code {a.bank_code!r} is not a 3-digit COMPE code (segment A, 21-23)")
    try:
        branch, branch_dv = _split_dv(a.branch or "0", 5)
        account, account_dv = _split_dv(a.account_number, 12)
    except ValueError:
        raise FileRefused(f"{who}'s branch or account does not fit CNAB 240 (5 and 12 digits, each with an"
                          " optional -check digit)") from None
    return {**out, "form": TED, "clearing": "018", "payee_bank": a.bank_code, "payee_branch": branch,
            "payee_branch_dv": branch_dv, "payee_account": account, "payee_account_dv": account_dv}


def write(b: Batch, debtor: Debtor) -> bytes:
    """The batch as a CNAB 240 remessa (CRLF line ends, as banks read them)."""
    if b.currency != "BRL":
        raise FileRefused(f"{b.batch_id}: CNAB 240 pays BRL, not {b.currency}")
    for ln in b.lines:
        if ln.amount_minor > MAX_AMOUNT_MINOR:
            raise FileRefused(f"{b.batch_id}: seller {ln.seller_id}'s amount does not fit 15 digits")
    created = datetime.fromisoformat(b.created_at)
    pay_on = date.fromisoformat(b.batch_date).strftime("%d%m%Y")
    branch, branch_dv = _split_dv(debtor.branch, 5)
    account, account_dv = _split_dv(debtor.account_number, 12)
    company = {"bank": debtor.bank_code, "doc_kind": "2", "doc": debtor.document, "agreement": debtor.agreement,
               "branch": branch, "branch_dv": branch_dv, "account": account, "account_dv": account_dv,
               "company": debtor.name}
    payees = [(ln, _payee(b, ln)) for ln in b.lines]
    records = [record(FILE_HEADER, **company, lot="0000", type="0", bank_name=debtor.bank_name, direction="1",
                      created_on=created.strftime("%d%m%Y"), created_at=created.strftime("%H%M%S"),
                      sequence=str(sequence_number(b)), layout=FILE_LAYOUT, density="01600")]
    lots = 0
    for form in (TED, PIX):
        lines = [(ln, p) for ln, p in payees if p["form"] == form]
        if not lines:
            continue
        lots += 1
        lot = f"{lots:04d}"
        records.append(record(LOT_HEADER, **company, lot=lot, type="1", operation="C", service="20", form=form,
                              layout=LOT_LAYOUT, message=f"SPLITBOOK {b.batch_id}"))
        for n, (ln, p) in enumerate(lines):
            common = {"bank": debtor.bank_code, "lot": lot, "type": "3"}
            records.append(record(SEGMENT_A, **common, number=str(2 * n + 1), segment="A", movement="0",
                                  instruction="00", clearing=p["clearing"], payee_bank=p.get("payee_bank", "0"),
                                  payee_branch=p.get("payee_branch", "0"), payee_branch_dv=p.get("payee_branch_dv", ""),
                                  payee_account=p.get("payee_account", "0"),
                                  payee_account_dv=p.get("payee_account_dv", ""), payee_name=p["payee_name"],
                                  our_number=our_number(b.batch_id, ln.seller_id), pay_on=pay_on, currency="BRL",
                                  amount=str(ln.amount_minor), information=f"SPLITBOOK PAYOUT {b.batch_id}"))
            records.append(record(SEGMENT_B, **common, number=str(2 * n + 2), segment="B",
                                  initiation=p.get("initiation", ""), doc_kind=p["doc_kind"], doc=p["doc"],
                                  pix_key=p.get("pix_key", "")))
        records.append(record(LOT_TRAILER, bank=debtor.bank_code, lot=lot, type="5", records=str(2 * len(lines) + 2),
                              total=str(sum(ln.amount_minor for ln, _ in lines))))
    records.append(record(FILE_TRAILER, bank=debtor.bank_code, lot="9999", type="9", lots=str(lots),
                          records=str(len(records) + 1)))
    return _file(records)


def _file(records: list[str]) -> bytes:
    """Records as a file: CRLF after each, as banks read them."""
    return "".join(r + "\r\n" for r in records).encode("ascii")


def sequence_number(b: Batch) -> int:
    """NSA: one file a day per currency, so the day's number since 2000 rises with every file."""
    return (date.fromisoformat(b.batch_date) - date(2000, 1, 1)).days


# -- reading: the remessa (our own check, and the bank simulator's side) and the retorno --


@dataclass(frozen=True)
class Detail:
    """A segment A (with its segment B, when there is one) as read from a file."""

    lot: int
    our_number: str
    bank_number: str
    payee_name: str
    amount_minor: int
    paid_amount_minor: int
    occurrences: tuple[str, ...]
    document: str = ""
    pix_key: str = ""


@dataclass(frozen=True)
class CnabFile:
    direction: str  # 1 remessa, 2 retorno
    bank: str
    sequence: int
    details: tuple[Detail, ...]


def parse(data: bytes) -> CnabFile:
    """Read a CNAB 240 file (ours or a bank's), checking what the layout promises: every
    record 240 characters, lots opened and closed, each lot's record count and sum and the
    file's lot and record counts as its trailers state them; ConfigError otherwise."""
    lines = [ln for ln in data.decode("latin-1").split("\n") if ln.strip()]  # latin-1 decodes any byte
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    for n, ln in enumerate(lines, start=1):
        if len(ln) != RECORD:
            raise ConfigError(f"not a CNAB 240 file: record {n} has {len(ln)} characters, not {RECORD}")
    if not lines or lines[0][7] != "0" or lines[-1][7] != "9":
        raise ConfigError("not a CNAB 240 file: it must open with a file header (0) and close with a trailer (9)")
    header, trailer = fields(FILE_HEADER, lines[0]), fields(FILE_TRAILER, lines[-1])
    details: list[Detail] = []
    lots, lot_lines, lot_sum, current = 0, 0, 0, None
    for n, ln in enumerate(lines[1:-1], start=2):
        kind = ln[7]
        if kind == "1":
            if current is not None:
                raise ConfigError(f"CNAB record {n}: lot {ln[3:7]!r} opens before lot {current} closes")
            _number(ln[3:7], n)
            current, lot_lines, lot_sum, lots = ln[3:7], 1, 0, lots + 1
        elif kind == "3" and current is not None:
            lot_lines += 1
            if ln[13] == "A":
                a = fields(SEGMENT_A, ln)
                amount = _number(a["amount"], n)
                lot_sum += amount
                details.append(Detail(int(current), a["our_number"], a["bank_number"], a["payee_name"], amount,
                                      _number(a["paid_amount"], n), _codes(a["occurrences"])))
            elif ln[13] == "B" and details and details[-1].lot == int(current):
                seg = fields(SEGMENT_B, ln)
                details[-1] = replace(details[-1], document=seg["doc"].lstrip("0"),
                                      pix_key=seg["pix_key"] if seg["initiation"] else "")
        elif kind == "5" and current is not None:
            t = fields(LOT_TRAILER, ln)
            lot_lines += 1
            said_records, said_total = _number(t["records"], n), _number(t["total"], n)
            if said_records != lot_lines or said_total != lot_sum:
                raise ConfigError(f"CNAB lot {current}: its trailer says {said_records} records and"
                                  f" {said_total} in all, the lot holds {lot_lines} and {lot_sum}")
            current = None
        else:
            raise ConfigError(f"CNAB record {n}: a record of type {kind!r} where it cannot be")
    if current is not None:
        raise ConfigError(f"CNAB lot {current} is never closed (no lot trailer)")
    said_lots, said_records = _number(trailer["lots"], len(lines)), _number(trailer["records"], len(lines))
    if said_lots != lots or said_records != len(lines):
        raise ConfigError(f"the CNAB file trailer says {said_lots} lots and {said_records}"
                          f" records, the file holds {lots} and {len(lines)}")
    sequence = int(header["sequence"]) if header["sequence"].isascii() and header["sequence"].isdigit() else 0
    return CnabFile(header["direction"], header["bank"], sequence, tuple(details))


def _number(value: str, n: int) -> int:
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(f"CNAB record {n}: {value!r} where a number must be")
    return int(value)


def _codes(occurrences: str) -> tuple[str, ...]:
    return tuple(occurrences[i:i + 2] for i in range(0, len(occurrences), 2) if occurrences[i:i + 2].strip())


def outcome(d: Detail) -> tuple[str, str | None] | None:
    """(SETTLED, None), (FAILED, reason) or None while the bank has not paid or refused."""
    if not d.occurrences:
        return None
    if d.occurrences[0] in PAID:
        return "SETTLED", None
    refusals = [c for c in d.occurrences if c not in NOT_FINAL and c not in PAID]
    return ("FAILED", f"CNAB-{refusals[0]}") if refusals else None


def confirmation(retorno: CnabFile, batch: Batch, at: datetime, file_sha256: str) -> dict | None:
    """The PayoutBatchConfirmed a retorno amounts to for batch (None when nothing in it is
    final); its event id names the file's content, so the same file twice is one event."""
    if retorno.direction != "2":
        raise ConfigError("the CNAB file is a remessa (direction 1), not the bank's retorno")
    by_number = {our_number(batch.batch_id, ln.seller_id): ln for ln in batch.lines}
    results, seen = [], set()
    for d in retorno.details:
        line = by_number.get(d.our_number)
        if line is None:
            raise ConfigError(f"CNAB retorno: seu número {d.our_number!r} is not a line of {batch.batch_id}")
        if d.our_number in seen:
            raise ConfigError(f"CNAB retorno: {d.our_number} is answered twice")
        seen.add(d.our_number)
        decided = outcome(d)
        if decided is not None:
            status, reason = decided
            results.append(result(line.seller_id, line.amount_minor, status,
                                  (d.bank_number or d.our_number) if status == "SETTLED" else None, reason))
    if not results:
        return None
    return {"event_id": f"cnab240:{batch.batch_id}:{file_sha256[:32]}", "occurred_at": at,
            "batch_id": batch.batch_id, "results": results}


def batch_of(retorno: CnabFile, candidates: list[Batch]) -> Batch:
    """The batch a retorno answers: the one whose lines its references name."""
    numbers = {d.our_number for d in retorno.details}
    for b in candidates:
        if numbers and numbers <= {our_number(b.batch_id, ln.seller_id) for ln in b.lines}:
            return b
    raise ConfigError("the CNAB retorno answers no payout batch the ledger has in flight")


def retorno(remessa: bytes, outcomes: dict[str, tuple[str, str]], at: datetime) -> bytes:
    """The bank's answer to a remessa (the simulator's side): the same records with the
    direction, the bank's numbers, the paid amounts and the occurrence codes filled in.
    outcomes: our number -> (bank number or "", occurrence code)."""
    out = []
    for ln in remessa.decode("ascii").splitlines():
        if ln[7] == "0":
            h = fields(FILE_HEADER, ln)
            ln = record(FILE_HEADER, **{**h, "direction": "2", "created_on": at.strftime("%d%m%Y"),
                                        "created_at": at.strftime("%H%M%S")})
        elif ln[7] == "3" and ln[13] == "A":
            a = fields(SEGMENT_A, ln)
            bank_number, code = outcomes[a["our_number"]]
            paid = code in PAID
            ln = record(SEGMENT_A, **{**a, "bank_number": bank_number, "occurrences": code,
                                      "paid_on": at.strftime("%d%m%Y") if paid else "0",
                                      "paid_amount": a["amount"] if paid else "0"})
        out.append(ln)
    return _file(out)
