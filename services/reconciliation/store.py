"""Recording an import: its lines, its findings as exceptions, once per file."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import psycopg

from services.reconciliation.matching import Reported, Result


@contextlib.contextmanager
def importing(conn: psycopg.Connection, path: Path) -> Iterator[tuple[bytes, str, bool]]:
    """One transaction per import, one import at a time: yields (bytes, sha256, already imported)."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('recon'))")
        yield data, sha, already_imported(conn, sha)


def already_imported(conn: psycopg.Connection, sha: str) -> bool:
    return conn.execute("SELECT 1 FROM recon_imports WHERE file_sha256 = %s", (sha,)).fetchone() is not None


def matched_before(conn: psycopg.Connection, line_types: list[str]) -> set[tuple[int, str]]:
    return {(r[0], r[1]) for r in conn.execute(
        "SELECT journal_seq, reference FROM recon_lines WHERE status = 'matched' AND journal_seq IS NOT NULL"
        " AND line_type = ANY(%s)", (line_types,))}


def record(conn: psycopg.Connection, kind: str, sha: str, name: str, lines: list[Reported], result: Result,
           currency: str) -> None:
    conn.execute("INSERT INTO recon_imports (file_sha256, kind, file_name, line_count, matched, exceptions)"
                 " VALUES (%s, %s, %s, %s, %s, %s)",
                 (sha, kind, name, len(lines), len(result.matched), len(result.findings)))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO recon_lines (file_sha256, line_no, reference, line_type, amount_minor, status, reason_code,"
            " journal_seq) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(sha, r.line_no, r.key[0], r.key[1], next(iter(r.amounts.values())), *result.line_status[r.line_no])
             for r in lines])
        cur.executemany(
            "INSERT INTO exceptions (reason_code, detail, source, order_id, amount_minor, currency)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [(f.reason, f.detail + (f" (line {f.line_no})" if f.line_no else ""), f"{kind}-report:{sha[:16]}",
              f.reference if kind == "gateway" else None, f.amount_minor, currency) for f in result.findings])
