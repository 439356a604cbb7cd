-- Reporting dimensions (OrderCaptured v3: a category per line, a channel and a region per
-- order): views for analysts over the journal, so that sales, refunds, fees, take rate
-- and payouts can be sliced by seller, category, channel, region, sale date and
-- settlement date without rebuilding anything. A capture records its dimensions in its
-- metadata ("sales": seller -> category -> [gross, platform fee], "channel", "region");
-- a refund records what it returned the same way, split over the order's categories
-- (services/domain/rules/refunds.py). A capture without dimensions (every one before
-- version 3, and every one the capture lane posts) counts per seller with no category.

CREATE VIEW sales_facts AS
WITH capture AS (
    SELECT t.seq, t.order_id, t.occurred_at, t.metadata,
           (SELECT p.currency FROM journal_postings p WHERE p.seq = t.seq LIMIT 1) AS currency
      FROM journal_transactions t
     WHERE t.kind = 'capture'),
sold AS (
    SELECT c.order_id, s.key AS seller_id, k.key AS category,
           (k.value->>0)::bigint AS gross, (k.value->>1)::bigint AS fee
      FROM capture c
     CROSS JOIN LATERAL jsonb_each((c.metadata->>'sales')::jsonb) s
     CROSS JOIN LATERAL jsonb_each(s.value) k
     WHERE c.metadata ? 'sales'
    UNION ALL
    SELECT c.order_id, split_part(p.account, ':', 5), '',
           -p.amount_minor + coalesce(((c.metadata->>'platform_fees')::jsonb->>split_part(p.account, ':', 5))::bigint, 0),
           coalesce(((c.metadata->>'platform_fees')::jsonb->>split_part(p.account, ':', 5))::bigint, 0)
      FROM capture c
      JOIN journal_postings p ON p.seq = c.seq
     WHERE NOT c.metadata ? 'sales' AND p.account LIKE 'order:%:escrow:seller:%'),
returned AS (
    SELECT t.order_id, s.key AS seller_id, k.key AS category,
           sum((k.value->>0)::bigint) AS refunds, sum((k.value->>1)::bigint) AS refunded_fees
      FROM journal_transactions t
     CROSS JOIN LATERAL jsonb_each((t.metadata->>'sales')::jsonb) s
     CROSS JOIN LATERAL jsonb_each(s.value) k
     WHERE t.kind IN ('refund', 'refund_after_release') AND t.metadata ? 'sales'
     GROUP BY 1, 2, 3),
released AS (
    SELECT order_id, min(occurred_at) AS released_at
      FROM journal_transactions
     WHERE kind = 'release'
     GROUP BY 1)
SELECT s.order_id, s.seller_id, nullif(s.category, '') AS category,
       c.metadata->>'channel' AS channel, c.metadata->>'region' AS region, c.currency,
       (c.occurred_at AT TIME ZONE 'UTC')::date AS sale_date,
       (r.released_at AT TIME ZONE 'UTC')::date AS settlement_date,
       s.gross AS gross_sales, s.fee AS platform_fees,
       coalesce(f.refunds, 0) AS refunds, coalesce(f.refunded_fees, 0) AS refunded_fees,
       s.gross - coalesce(f.refunds, 0) AS net_sales,
       s.fee - coalesce(f.refunded_fees, 0) AS net_platform_fees
  FROM sold s
  JOIN capture c USING (order_id)
  LEFT JOIN returned f ON f.order_id = s.order_id AND f.seller_id = s.seller_id AND f.category = s.category
  LEFT JOIN released r ON r.order_id = s.order_id;

COMMENT ON VIEW sales_facts IS
    'One row per order, seller and category: what the buyer paid for the seller''s items in that category, the platform''s fee on it, and what refunds returned of both. Computed from the journal when queried. Shipping is not a sale. Captures without dimensions (before OrderCaptured v3, or posted by the capture lane) have no category, channel or region.';
COMMENT ON COLUMN sales_facts.order_id IS 'the order (OrderCaptured.order_id)';
COMMENT ON COLUMN sales_facts.seller_id IS 'the seller of the items';
COMMENT ON COLUMN sales_facts.category IS 'the items'' category (OrderCaptured v3 lines[].category); NULL when the capture named none';
COMMENT ON COLUMN sales_facts.channel IS 'where the order was placed: web, app, ... (OrderCaptured.channel); NULL when not recorded';
COMMENT ON COLUMN sales_facts.region IS 'the order''s region (OrderCaptured v3 region), e.g. BR-SP; NULL when not recorded';
COMMENT ON COLUMN sales_facts.currency IS 'ISO 4217; every amount of the row is in minor units of it';
COMMENT ON COLUMN sales_facts.sale_date IS 'the UTC date the capture occurred';
COMMENT ON COLUMN sales_facts.settlement_date IS 'the UTC date the order''s escrow was released to its sellers (settled to their payables); NULL while it is in escrow';
COMMENT ON COLUMN sales_facts.gross_sales IS 'the buyer''s payment for these items: Σ lines[].amount, platform fee included, shipping excluded';
COMMENT ON COLUMN sales_facts.platform_fees IS 'the platform''s fee on these items at capture (Σ lines[].platform_fee)';
COMMENT ON COLUMN sales_facts.refunds IS 'what refunds returned to the buyer for these items (fee included), over the order''s life; split over the seller''s categories in proportion to what was left of each';
COMMENT ON COLUMN sales_facts.refunded_fees IS 'the part of refunds that was the platform''s fee';
COMMENT ON COLUMN sales_facts.net_sales IS 'gross_sales - refunds';
COMMENT ON COLUMN sales_facts.net_platform_fees IS 'platform_fees - refunded_fees: the take of these items, recognised as revenue at release';

CREATE VIEW sales_daily AS
SELECT sale_date, settlement_date, seller_id, category, channel, region, currency,
       count(DISTINCT order_id) AS orders,
       sum(gross_sales)::bigint AS gross_sales, sum(refunds)::bigint AS refunds, sum(net_sales)::bigint AS net_sales,
       sum(platform_fees)::bigint AS platform_fees, sum(net_platform_fees)::bigint AS net_platform_fees,
       round(10000.0 * sum(net_platform_fees) / nullif(sum(net_sales), 0), 2) AS take_rate_bp
  FROM sales_facts
 GROUP BY sale_date, settlement_date, seller_id, category, channel, region, currency;

COMMENT ON VIEW sales_daily IS
    'sales_facts added up per sale date, settlement date, seller, category, channel, region and currency. Roll it up further with GROUP BY (add the amounts; recompute take_rate_bp from the sums).';
COMMENT ON COLUMN sales_daily.sale_date IS 'the UTC date the captures occurred';
COMMENT ON COLUMN sales_daily.settlement_date IS 'the UTC date the orders were released to their sellers; NULL while in escrow';
COMMENT ON COLUMN sales_daily.seller_id IS 'the seller';
COMMENT ON COLUMN sales_daily.category IS 'the items'' category; NULL when the captures named none';
COMMENT ON COLUMN sales_daily.channel IS 'the orders'' channel; NULL when not recorded';
COMMENT ON COLUMN sales_daily.region IS 'the orders'' region; NULL when not recorded';
COMMENT ON COLUMN sales_daily.currency IS 'ISO 4217; amounts in minor units of it';
COMMENT ON COLUMN sales_daily.orders IS 'orders with items in this row';
COMMENT ON COLUMN sales_daily.gross_sales IS 'Σ sales_facts.gross_sales';
COMMENT ON COLUMN sales_daily.refunds IS 'Σ sales_facts.refunds';
COMMENT ON COLUMN sales_daily.net_sales IS 'gross_sales - refunds';
COMMENT ON COLUMN sales_daily.platform_fees IS 'Σ sales_facts.platform_fees';
COMMENT ON COLUMN sales_daily.net_platform_fees IS 'platform fees less what refunds returned of them';
COMMENT ON COLUMN sales_daily.take_rate_bp IS 'net_platform_fees / net_sales in basis points (100 = 1 %); NULL when net_sales is 0';

CREATE VIEW seller_payouts AS
SELECT b.batch_date AS payout_date, l.seller_id, l.currency,
       count(*) AS transfers,
       coalesce(sum(l.amount) FILTER (WHERE l.status = 'settled'), 0)::bigint AS paid_out,
       coalesce(sum(l.amount) FILTER (WHERE l.status = 'in_flight'), 0)::bigint AS in_flight,
       coalesce(sum(l.amount) FILTER (WHERE l.status = 'failed'), 0)::bigint AS failed,
       coalesce(sum(l.amount) FILTER (WHERE l.status = 'returned'), 0)::bigint AS returned
  FROM payout_lines l
  JOIN payout_batches b USING (batch_id)
 GROUP BY b.batch_date, l.seller_id, l.currency;

COMMENT ON VIEW seller_payouts IS
    'Payouts per payout date, seller and currency, from the payout read models. A batch pays a seller''s payable, not orders: payouts do not split by category, channel or region (sales_facts does).';
COMMENT ON COLUMN seller_payouts.payout_date IS 'the payout batch''s date';
COMMENT ON COLUMN seller_payouts.seller_id IS 'the seller paid';
COMMENT ON COLUMN seller_payouts.currency IS 'ISO 4217; amounts in minor units of it';
COMMENT ON COLUMN seller_payouts.transfers IS 'payout lines (one per seller and batch)';
COMMENT ON COLUMN seller_payouts.paid_out IS 'transfers the bank settled';
COMMENT ON COLUMN seller_payouts.in_flight IS 'transfers sent, not confirmed yet';
COMMENT ON COLUMN seller_payouts.failed IS 'transfers the bank failed (the money went back to the payable)';
COMMENT ON COLUMN seller_payouts.returned IS 'settled transfers the bank later returned (back to the payable)';

GRANT SELECT ON sales_facts, sales_daily, seller_payouts TO splitbook_analyst, splitbook_operator;
