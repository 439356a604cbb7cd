"""The projection worker folds a batch ahead, on the position the batch in flight will
leave; what it writes is still the fold of exactly the records after the stored position,
whatever happened to the batch before (tests with real PostgreSQL; Kafka is not read)."""

from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

import pytest

from projections.rebuild import TABLES, rebuild
from services.adapters.postgres import journal, read_models
from services.domain.errors import PermanentError
from services.entrypoints import bootstrap
from services.simulators.storefront import marketplace_day
from tests.helpers import publish_orders, run_posting, table_rows

pytestmark = [pytest.mark.integration]


def read_model_rows(conn) -> dict:
    return {t: table_rows(conn, t, "1") for t in TABLES if t.startswith(("seller", "order", "account"))}


def test_a_batch_folded_ahead_is_written_as_folded_or_folded_again_where_the_read_models_stand(settings, conn):
    publish_orders(settings, marketplace_day(date(2026, 11, 12), 60, 6, seed=5))
    run_posting(settings)
    records = journal.read_records(conn, 0, 1000)
    assert len(records) == 60
    worker = bootstrap.projection_worker(settings)
    encode = worker.registry.encoder("JournalTransaction")
    values = [encode(r) for r in records]  # as the relay publishes them
    try:
        first = worker.fold(values[:20], 0, 20)
        second = worker.fold(values[20:40], 0, 40)  # ahead: on seq 20, which `first` leaves
        assert (first.after_seq, second.after_seq, worker.position) == (0, 20, 40)
        with pytest.raises(PermanentError, match="journal gap: expected seq 1, got 21"):
            worker.write(second)  # `first` was never written: nothing is, a gap is a gap
        assert worker.write(first) == 20 and worker.write(second) == 20
        third = worker.fold(values[40:], 0, 60)
        # another writer (a rebuild) moves the read models to the journal's end meanwhile
        rebuilt_at = rebuild(conn)
        assert rebuilt_at == 60
        expected = read_model_rows(conn)
        assert worker.write(third) == 0  # folded again on seq 60: nothing left to apply
        assert read_models.load_position(conn)[0] == 60 and read_model_rows(conn) == expected
        assert worker.totals.skipped == 20
    finally:
        bootstrap.close_connections(worker)
        worker.consumer.close()
        worker.writer.close()


def test_rows_expected_new_that_exist_after_all_are_added_to_like_the_others(conn):
    """read_models.add_deltas COPYs an order's rows straight in, as its capture makes them;
    one that exists after all (whatever the reason) is upserted instead, alike."""
    keys, added = ("account", "currency"), ("debits", "credits", "balance")
    with conn.transaction():
        read_models.add_deltas(conn, "account_balances", keys, added, ("as_of_seq",), rows=[],
                               new=[("order:O_1:escrow:shipping", "BRL", 0, 100, 100, 1)])
    with conn.transaction():
        read_models.add_deltas(conn, "account_balances", keys, added, ("as_of_seq",),
                               rows=[("ops:pool:card", "BRL", 70, 0, 70, 2)],
                               new=[("order:O_1:escrow:shipping", "BRL", 0, 50, 50, 2),
                                    ("order:O_2:escrow:shipping", "BRL", 0, 9, 9, 2)])
    assert table_rows(conn, "account_balances", "account") == [
        ("ops:pool:card", "BRL", 70, 0, 70, 2),
        ("order:O_1:escrow:shipping", "BRL", 0, 150, 150, 2),
        ("order:O_2:escrow:shipping", "BRL", 0, 9, 9, 2)]


class Kind(StrEnum):
    CAPTURE = "capture"


@pytest.mark.parametrize("rows, by_psycopg", [
    ([("plain", 1, None, datetime(2026, 12, 26, 10, 0, tzinfo=timezone.utc))], False),
    ([("tab\there\nnew\rline\\back \\N ünï", 2**63 - 1, -2**63, datetime(2026, 1, 1, 23, 59, 59, 999_999)),
      ("", 0, -1, datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=-3))))], False),
    ([("big", 2**70, 1, None)], True),  # past 64 bits: psycopg formats it
    ([(Kind.CAPTURE, 1, 1, None)], True),  # not exactly a str: psycopg formats it
])
def test_rows_formatted_by_the_extension_arrive_as_psycopg_sends_them(conn, rows, by_psycopg):
    conn.execute("CREATE TEMP TABLE fmt (t text, a numeric(38, 0), b numeric(38, 0), at timestamptz)")
    with conn.transaction():
        with conn.cursor().copy("COPY fmt FROM STDIN") as cp:
            read_models._copy(cp, rows)
        ours = conn.execute("SELECT * FROM fmt ORDER BY 1").fetchall()
        conn.execute("TRUNCATE fmt")
        with conn.cursor().copy("COPY fmt FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
        theirs = conn.execute("SELECT * FROM fmt ORDER BY 1").fetchall()
    assert ours == theirs and len(ours) == len(rows)
    assert (read_models.copy_text(rows) is None) == by_psycopg
