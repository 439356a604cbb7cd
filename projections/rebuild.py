"""Rebuild every read model from the journal in PostgreSQL, with the same fold code
the live worker uses, in one transaction. Position keeps its Kafka offset: the live
worker skips what the rebuild already covered."""

from __future__ import annotations

import psycopg
import structlog

from projections import worker
from services.adapters.postgres import db, journal, read_models

log = structlog.get_logger()
TABLES = ("seller_balances", "order_escrow", "account_balances", "payout_batches", "payout_lines")


def rebuild(conn: psycopg.Connection, page: int = 20_000) -> int:
    """Returns the journal seq the rebuilt read models reflect."""
    last = 0
    with db.translated(), conn.transaction():
        read_models.load_position(conn, for_update=True)
        read_models.truncate(conn, TABLES)
        for chunk in journal.iter_records(conn, page):
            worker.apply(conn, chunk)
            last = chunk[-1]["seq"]
            log.info("rebuild_progress", last_seq=last)
        read_models.store_position(conn, last, None, None, None)
    log.info("rebuild_done", last_seq=last)
    return last
