"""`splitbook verify`: recompute the hash chain, check every invariant of DESIGN.md over
the whole store, and compare every read model with the journal. Names the first
broken link and each broken invariant; any finding means a non-zero exit."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

import psycopg

from services.adapters.postgres import journal, read_models
from services.adapters.postgres import verification as store
from services.adapters.postgres.chain import GENESIS, link


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken

    def text(self) -> str:
        lines = [f"ok      {c}" for c in self.checked] + [f"BROKEN  {b}" for b in self.broken]
        lines.append("verify: all checks passed" if self.ok else f"verify: {len(self.broken)} problem(s) found")
        return "\n".join(lines)


def check_chain(conn: psycopg.Connection, report: Report) -> None:
    previous, n = GENESIS, 0
    for seq, txn, digest, stored in store.stored_chain(conn):
        expected = link(previous, seq, txn, digest)
        if stored != expected:
            report.broken.append(f"hash chain: first broken link at seq {seq}, transaction {txn.transaction_id}"
                                 f" ({txn.kind}, event {txn.event_id}): its content or a link before it was changed")
            return
        previous, n = expected, n + 1
    report.checked.append(f"hash chain over {n:,} transactions")


def check_invariants(conn: psycopg.Connection, report: Report) -> None:
    for name, rows in store.invariant_examples(conn).items():
        if rows:
            report.broken.append(f"invariant {name}: e.g. {rows[:3]}")
        else:
            report.checked.append(f"invariant {name}")
    if store.append_only_triggers_enabled(conn) == 2:
        report.checked.append("invariant 6 the journal refuses UPDATE and DELETE (triggers enabled)")
    else:
        report.broken.append("invariant 6: an append-only trigger on the journal is missing or disabled")


class Comparison(NamedTuple):
    rows: int  # rows the projection worker built
    differing: list[tuple]  # rows found in only one of built and rebuilt


def read_model_differences(conn: psycopg.Connection) -> dict[str, Comparison]:
    """Rebuild every read model from the journal inside a transaction that is rolled
    back, and compare it with what the projection worker built, table by table."""
    from projections.rebuild import rebuild

    snapshot = partial(store.read_model_snapshot, conn)
    class _Rollback(Exception):
        pass

    live, rebuilt = snapshot(), {}
    try:
        with conn.transaction():
            rebuild(conn)
            rebuilt.update(snapshot())
            raise _Rollback
    except _Rollback:
        pass
    out = {}
    for t in store.READ_MODELS:
        built, again = set(live[t]), set(rebuilt[t])
        only_live = [r for r in live[t] if r not in again]
        only_rebuilt = [r for r in rebuilt[t] if r not in built]
        out[t] = Comparison(len(live[t]), only_live + only_rebuilt)
    return out


def check_read_models(conn: psycopg.Connection, report: Report) -> None:
    """Every read model equals what a rebuild from the journal gives."""
    projected_to = read_models.load_position(conn)[0]
    last = journal.last_seq(conn)
    if projected_to != last:
        report.broken.append(f"read models reflect seq {projected_to}, the journal is at {last} (projection lagging)")
        return
    for t, c in read_model_differences(conn).items():
        if not c.differing:
            report.checked.append(f"read model {t} equals the journal ({c.rows:,} rows)")
        else:
            report.broken.append(f"read model {t} differs from the journal in {len(c.differing)} rows,"
                                 f" e.g. {c.differing[:2]}")


def verify(conn: psycopg.Connection) -> Report:
    report = Report()
    check_chain(conn, report)
    check_invariants(conn, report)
    check_read_models(conn, report)
    return report
