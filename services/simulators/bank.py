"""A bank, for the demo and the tests: it reads the payout file the ledger wrote — a
pain.001 (.03 or .09) or a CNAB 240 remessa —, settles or fails each transfer (failure
rate and reasons configurable, deterministic for a seed) and answers as banks do: pain.002
status reports in one or several files (and a camt.054 debit notification of what it
booked), or CNAB 240 retornos (with `parts` > 1, first one
that only schedules every payment, BD, then the final one). It knows nothing of the
ledger: the answers are read by the ledger's own bank adapter (payouts.answers)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from services.payouts import camt054, cnab240, pain001, pain002

# ISO 20022 external status reason codes a bank returns for rejected credit transfers
FAILURE_REASONS = ("AC04", "AC01", "AC06", "AG01", "MD07")  # closed, wrong number, blocked, forbidden, deceased
# CNAB 240 occurrences for refused payments: account, branch, account not registered, ownership
CNAB_FAILURES = ("AN", "AM", "CN", "TI")


@dataclass(frozen=True)
class Transfer:
    reference: str  # the EndToEndId (pain.001) or seu número (CNAB 240)
    amount_minor: int


def decide(message_id: str, transfers: list[Transfer], failure_rate: float, seed: int,
           reasons: tuple[str, ...] = FAILURE_REASONS) -> list[dict]:
    """reference, amount, status (SETTLED | FAILED), bank_reference, reason per transfer."""
    rng = random.Random(f"{seed}:{message_id}")
    out = []
    for t in transfers:
        failed = rng.random() < failure_rate
        ref = "BR" + hashlib.sha1(f"{message_id}:{t.reference}:{seed}".encode()).hexdigest()[:16].upper()
        out.append({"reference": t.reference, "amount": t.amount_minor, "status": "FAILED" if failed else "SETTLED",
                    "bank_reference": None if failed else ref, "reason": rng.choice(reasons) if failed else None})
    return out


def is_cnab(data: bytes) -> bool:
    return data.lstrip()[:1] != b"<"


def transfers(data: bytes) -> tuple[str, list[Transfer]]:
    """(message id, transfers) of a pain.001 or a CNAB 240 remessa."""
    if is_cnab(data):
        f = cnab240.parse(data)
        return f"CNAB{f.bank}-{f.sequence}", [Transfer(d.our_number, d.amount_minor) for d in f.details]
    instruction = pain001.parse(data)
    return instruction.message_id, [Transfer(t.end_to_end_id, t.amount_minor) for t in instruction.transfers]


def answers(data: bytes, results: list[dict], parts: int, at: datetime, notify: bool = False,
            account: str = "0001-PLATFORM") -> list[tuple[str, bytes]]:
    """The bank's answer files to the payout file data, as (suffix, bytes); with notify, a
    pain.001 is also answered by a camt.054 debit notification of what was settled."""
    if is_cnab(data):
        final = {r["reference"]: (r["bank_reference"] or "", "00" if r["status"] == "SETTLED" else r["reason"])
                 for r in results}
        replies = [cnab240.retorno(data, final, at)]
        if parts > 1:
            replies.insert(0, cnab240.retorno(data, {k: ("", "BD") for k in final}, at))
        return [(f"cnab240.ret.{i}", r) for i, r in enumerate(replies, start=1)]
    instruction = pain001.parse(data)
    parts = max(1, min(parts, len(results)))
    size = -(-len(results) // parts)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S")
    out = [(f"pain002.{i + 1}.xml",
            pain002.write(instruction.message_id, instruction.version,
                          [{**r, "end_to_end_id": r["reference"]} for r in results[i * size:(i + 1) * size]],
                          f"{instruction.message_id}-STS-{i + 1}of{parts}", stamp))
           for i in range(parts)]
    settled = [(r["reference"], r["bank_reference"], r["amount"]) for r in results if r["status"] == "SETTLED"]
    if notify and settled:
        out.append(("camt054.xml", camt054.write(f"{instruction.message_id}-NTF", account, instruction.currency,
                                                 at.date().isoformat(), stamp, settled)))
    return out


def settle(data: bytes, failure_rate: float, seed: int, parts: int, at: datetime,
           notify: bool = False) -> tuple[list[dict], list[tuple[str, bytes]]]:
    """Settle or fail each transfer of the payout file: (results, answer files)."""
    message_id, items = transfers(data)
    results = decide(message_id, items, failure_rate, seed, CNAB_FAILURES if is_cnab(data) else FAILURE_REASONS)
    return results, answers(data, results, parts, at, notify)


def settle_file(path: Path, failure_rate: float, seed: int, parts: int, at: datetime,
                notify: bool = True) -> tuple[list[dict], list[Path]]:
    """settle() on a file, its answers written next to it as {batch}.{answer suffix}."""
    results, replies = settle(path.read_bytes(), failure_rate, seed, parts, at, notify)
    stem = path.name.split(".", 1)[0]
    written = []
    for suffix, data in replies:
        written.append(path.with_name(f"{stem}.{suffix}"))
        written[-1].write_bytes(data)
    return results, written
