"""The analysts' sales views (migration 0022) against sums over the journal: a day of
orders with categories, channels and regions (OrderCaptured v3, the Python path) and
some without (v2, the capture lane), refunds before and after release; every figure by
seller, category, region and settlement date adds up to what the journal posted, the
views are documented column by column, and analysts may read them."""

from collections import Counter
from datetime import date, datetime, timezone

import pytest

from services.adapters.kafka import topics
from services.adapters.kafka.publish import publish
from services.release import scheduler
from services.simulators.storefront import after_sales, marketplace_day
from services.statements import reports
from tests.helpers import REGISTRY, capture, publish_orders, publish_records, run_pipeline
from tests.helpers import producer as kafka_producer

pytestmark = pytest.mark.integration
DAY = date(2026, 11, 3)


def journal(conn, sql, *params):
    return conn.execute(sql, params).fetchall()


def test_sales_by_every_dimension_add_up_to_the_journal(settings, conn):
    orders = marketplace_day(DAY, 120, 8, seed=21, dimensions=True)
    release_at = datetime(2026, 12, 5, 6, tzinfo=timezone.utc)
    later = after_sales(orders, seed=21, release_at=release_at, spike="S_0002")
    plain = [capture(f"O_plain_{i}", occurred_at=datetime(2026, 11, 3, 9, tzinfo=timezone.utc)) for i in range(3)]
    publish_orders(settings, orders)
    publish(kafka_producer(settings), settings.topic(topics.ORDERS), REGISTRY, plain, version=2)  # the lane's
    publish_records(settings, topics.REFUNDS, "RefundIssued", later.refunds_in_escrow)
    run_pipeline(settings)
    scheduler.run_once(settings, conn, kafka_producer(settings), REGISTRY, release_at)
    run_pipeline(settings)
    publish_records(settings, topics.REFUNDS, "RefundIssued", later.refunds_after_release)
    run_pipeline(settings)
    assert conn.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0
    assert len(later.refunds_in_escrow) > 10 and later.refunds_after_release

    facts = journal(conn, "SELECT seller_id, currency, sum(gross_sales - platform_fees), sum(platform_fees),"
                          " sum(refunds), sum(refunded_fees) FROM sales_facts GROUP BY 1, 2")
    shares = dict(((s, c), int(v)) for s, c, v in journal(
        conn, "SELECT split_part(p.account, ':', 5), p.currency, -sum(p.amount_minor) FROM journal_postings p"
              " JOIN journal_transactions t USING (seq) WHERE t.kind = 'capture' AND p.account LIKE '%%:escrow:seller:%%'"
              " GROUP BY 1, 2"))
    assert {(s, c): int(v) for s, c, v, *_ in facts} == shares  # the sellers' shares at capture
    fees = dict(journal(conn, "SELECT p.currency, -sum(p.amount_minor) FROM journal_postings p JOIN journal_transactions t"
                              " USING (seq) WHERE t.kind = 'capture' AND p.account LIKE '%%:escrow:platform' GROUP BY 1"))
    by_currency = Counter()
    for _s, c, _share, fee, refunded, refunded_fee in facts:
        by_currency[(c, "fees")] += int(fee)
        by_currency[(c, "refunds")] += int(refunded)
        by_currency[(c, "refunded_fees")] += int(refunded_fee)
    assert {c: by_currency[(c, "fees")] for c in fees} == {c: int(v) for c, v in fees.items()}
    # what refunds paid out of the pools, less the shipping they returned, is what they returned for items
    for c, paid, shipping, fee_back in journal(
            conn, "SELECT p.currency, -sum(p.amount_minor) FILTER (WHERE p.account LIKE 'ops:pool:%%'),"
                  " coalesce(sum(p.amount_minor) FILTER (WHERE p.account LIKE '%%:escrow:shipping'"
                  "  OR p.account = 'ops:payable:shipping'), 0),"
                  " coalesce(sum(p.amount_minor) FILTER (WHERE p.account LIKE '%%:escrow:platform'"
                  "  OR p.account = 'ops:revenue:takerate'), 0)"
                  " FROM journal_postings p JOIN journal_transactions t USING (seq)"
                  " WHERE t.kind IN ('refund', 'refund_after_release') GROUP BY 1"):
        assert (by_currency[(c, "refunds")], by_currency[(c, "refunded_fees")]) == (paid - shipping, fee_back)

    # by category and region: the lines the storefront sent (the lane's captures have neither)
    sent = Counter()
    for o in orders:
        for ln in o["lines"]:
            sent[(ln["category"], o["region"], o["currency"])] += ln["amount"]
    for o in plain:
        sent[(None, None, o["currency"])] += sum(ln["amount"] for ln in o["lines"])
    got = {(c, r, cur): int(g) for c, r, cur, g in journal(
        conn, "SELECT category, region, currency, sum(gross_sales) FROM sales_daily GROUP BY 1, 2, 3")}
    assert got == dict(sent)
    # settled when released: every order but those refunded in full before release
    assert journal(conn, "SELECT count(*) FROM sales_facts f JOIN order_escrow o USING (order_id)"
                         " WHERE (f.settlement_date IS NULL) <> (o.status = 'refunded')") == [(0,)]
    assert {d for (d,) in journal(conn, "SELECT DISTINCT settlement_date FROM sales_facts")} == {release_at.date(), None}
    channels = {ch for (ch,) in journal(conn, "SELECT DISTINCT channel FROM sales_facts")}
    assert channels == {"web", "app", None}  # the v2 helper's captures name no channel

    text = reports.sales(conn, ["category", "region"], DAY, DAY, "BRL")
    assert "electronics" in text and "BR-SP" in text and "take rate bp" in text
    spike = journal(conn, "SELECT sum(refunds) * 100 / sum(gross_sales) FROM sales_facts WHERE seller_id = 'S_0002'")
    assert spike[0][0] >= 40  # the seller whose buyers sent most of it back

    undocumented = journal(conn, "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                                 " WHERE c.relname IN ('sales_facts', 'sales_daily', 'seller_payouts') AND a.attnum > 0"
                                 " AND col_description(c.oid, a.attnum) IS NULL")
    assert undocumented == []
    with conn.transaction():
        conn.execute("SET LOCAL ROLE splitbook_analyst")
        assert conn.execute("SELECT count(*) FROM sales_daily").fetchone()[0] > 0
        conn.execute("SELECT * FROM seller_payouts").fetchall()
