-- Rolling reserves (SellerProfileUpdated v3): a seller's reserve rate and period, held to
-- the domain's bounds here too; seller_balances shows what each reserve holds.
ALTER TABLE seller_profile_versions
    ADD COLUMN reserve_rate_bp     integer NOT NULL DEFAULT 0 CHECK (reserve_rate_bp BETWEEN 0 AND 10000),
    ADD COLUMN reserve_period_days integer NOT NULL DEFAULT 0 CHECK (reserve_period_days BETWEEN 0 AND 730),
    ADD CONSTRAINT reserve_has_a_period CHECK (reserve_rate_bp = 0 OR reserve_period_days > 0);

CREATE OR REPLACE VIEW seller_profiles AS
SELECT DISTINCT ON (seller_id)
       seller_id, withholding_rate_bp, payout_minimum, payout_hold, bank_account_ref,
       effective_at, event_id AS last_event_id, legal_name, tax_document, bank_account,
       reserve_rate_bp, reserve_period_days
  FROM seller_profile_versions
 ORDER BY seller_id, effective_at DESC, recorded_at DESC;

ALTER TABLE seller_balances ADD COLUMN reserve numeric(38, 0) NOT NULL DEFAULT 0;

-- The releases that put money in a reserve: what the posting consumer and the reserve
-- scheduler read to know which amounts are still within their period.
CREATE INDEX journal_release_reserves ON journal_transactions (seq)
    WHERE kind = 'release' AND metadata ? 'reserve';
