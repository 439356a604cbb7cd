"""`splitbook gl export --date D`: the day's postings as the company's general ledger
takes them. For one UTC day (by the day transactions were recorded, as the close
counts them), one balanced journal entry per currency: a line per GL account with the
net of the day's postings to the account families mapped to it (`gl_mapping.toml`, or
the company's own with --mapping).

Every line names the journal sequences it sums (their ranges in JSON; the first, the
last and how many in CSV). Exporting a day twice gives the same files: lines are in a
fixed order and nothing in them depends on when they were made; each export's SHA-256
is recorded in gl_exports. The day's totals per account family tie to the close's trial
balance (its end of day less the day before's), or the export stops. A mapping that
leaves an account family of the day unmapped stops it, naming the family."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tomllib
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

from services.domain.accounts import family_of
from services.domain.errors import ConfigError

DEFAULT_MAPPING = Path(__file__).with_name("gl_mapping.toml")
CSV_COLUMNS = ("entry", "date", "currency", "gl_account", "gl_name", "debit_minor", "credit_minor", "memo",
               "first_seq", "last_seq", "transactions")


@dataclass(frozen=True)
class GLAccount:
    pattern: str  # an account family pattern ('*' matches any text)
    code: str
    name: str


@dataclass(frozen=True)
class Mapping:
    accounts: tuple[GLAccount, ...]
    sha256: str

    def gl_of(self, family: str) -> GLAccount | None:
        return next((a for a in self.accounts if fnmatchcase(family, a.pattern)), None)


def load_mapping(path: Path = DEFAULT_MAPPING) -> Mapping:
    """The mapping file, checked; a file that is not one is refused in one line."""
    try:
        raw = path.read_bytes()
        entries = tomllib.loads(raw.decode())["account"]
        accounts = tuple(GLAccount(str(e["family"]), str(e["gl"]), str(e["name"])) for e in entries)
    except FileNotFoundError:
        raise ConfigError(f"no such GL mapping file: {path}") from None
    except OSError as e:  # a directory, no permission
        raise ConfigError(f"cannot read the GL mapping file {path}: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise ConfigError(f"{path} is not a GL mapping ([[account]] entries of family, gl and name): "
                          f"{type(e).__name__}: {e}".replace("\n", " ")) from None
    if not accounts or any(not (a.pattern and a.code and a.name) for a in accounts):
        raise ConfigError(f"{path}: every [[account]] needs a family, a gl code and a name")
    return Mapping(accounts, hashlib.sha256(raw).hexdigest())


def _ranges(seqs: list[int]) -> list[list[int]]:
    """Sorted sequences as [first, last] runs."""
    out: list[list[int]] = []
    for s in seqs:
        if out and s == out[-1][1] + 1:
            out[-1][1] = s
        elif not out or s != out[-1][1]:
            out.append([s, s])
    return out


def summarise(day: date, postings: list[tuple[int, str, str, int]], mapping: Mapping) -> dict:
    """The day's postings (seq, account, currency, amount) as GL journal entries, one per
    currency. Raises ConfigError for an account family the mapping leaves unmapped."""
    lines: dict[tuple[str, str], dict] = {}
    families: dict[tuple[str, str], list[int]] = {}  # (family, currency) -> [debits, credits]
    for seq, account, currency, amount in postings:
        family = family_of(account)
        gl = mapping.gl_of(family)
        if gl is None:
            raise ConfigError(f"the GL mapping leaves account family {family} unmapped (posted at seq {seq}): "
                              "add an [[account]] entry for it")
        line = lines.setdefault((currency, gl.code), {"gl": gl, "net": 0, "seqs": [], "families": set()})
        line["net"] += amount
        line["seqs"].append(seq)
        line["families"].add(family)
        fam = families.setdefault((family, currency), [0, 0])
        fam[0 if amount > 0 else 1] += abs(amount)
    entries = []
    for currency in sorted({c for c, _ in lines}):
        out = []
        for (cur, code), line in sorted(lines.items()):
            if cur != currency or line["net"] == 0:
                continue
            seqs = sorted(set(line["seqs"]))
            out.append({"gl_account": code, "gl_name": line["gl"].name,
                        "debit_minor": max(line["net"], 0), "credit_minor": max(-line["net"], 0),
                        "families": sorted(line["families"]), "first_seq": seqs[0], "last_seq": seqs[-1],
                        "transactions": len(seqs), "sequences": _ranges(seqs)})
        debits, credits = sum(x["debit_minor"] for x in out), sum(x["credit_minor"] for x in out)
        entries.append({"entry": f"splitbook-{day.isoformat()}-{currency}", "currency": currency,
                        "debit_minor": debits, "credit_minor": credits, "balanced": debits == credits, "lines": out})
    all_seqs = [p[0] for p in postings]
    return {"date": day.isoformat(), "mapping_sha256": mapping.sha256,
            "first_seq": min(all_seqs, default=None), "last_seq": max(all_seqs, default=None),
            "entries": entries,
            "family_totals": [{"family": f, "currency": c, "debits": d, "credits": k}
                              for (f, c), (d, k) in sorted(families.items())]}


def ties(export: dict, before: dict[tuple[str, str], tuple[int, int]], after: dict[tuple[str, str], tuple[int, int]]
         ) -> list[str]:
    """Where the day's family totals differ from the trial balance's movement over the
    day (after less before, per family and currency); empty when they tie."""
    moved = {}
    for key in set(before) | set(after):
        d0, k0 = before.get(key, (0, 0))
        d1, k1 = after.get(key, (0, 0))
        if (d1 - d0, k1 - k0) != (0, 0):
            moved[key] = (d1 - d0, k1 - k0)
    ours = {(r["family"], r["currency"]): (r["debits"], r["credits"]) for r in export["family_totals"]}
    return [f"{f} {c}: export {ours.get((f, c))}, trial balance {moved.get((f, c))}"
            for f, c in sorted(set(ours) | set(moved)) if ours.get((f, c)) != moved.get((f, c))]


def render_csv(export: dict) -> bytes:
    """One row per GL line, in a common journal-import layout (amounts in minor units)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for e in export["entries"]:
        for x in e["lines"]:
            w.writerow((e["entry"], export["date"], e["currency"], x["gl_account"], x["gl_name"], x["debit_minor"],
                        x["credit_minor"], "; ".join(x["families"]), x["first_seq"], x["last_seq"],
                        x["transactions"]))
    return buf.getvalue().encode()


def render_json(export: dict) -> bytes:
    return (json.dumps(export, indent=1, sort_keys=True) + "\n").encode()


def by_family(account_totals: list[tuple[str, str, int, int]]) -> dict[tuple[str, str], tuple[int, int]]:
    """(account, currency, debits, credits) rows summed per account family and currency."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for account, currency, d, k in account_totals:
        d0, k0 = out.get((family_of(account), currency), (0, 0))
        out[(family_of(account), currency)] = (d0 + d, k0 + k)
    return out
