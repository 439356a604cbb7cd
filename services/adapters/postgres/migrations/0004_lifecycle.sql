-- Seller profiles (the ledger's source of truth for withholding and payouts) and
-- events parked until what they need is posted.

CREATE TABLE seller_profile_versions (
    event_id            text        PRIMARY KEY,
    payload_sha256      bytea       NOT NULL,
    seller_id           text        NOT NULL,
    effective_at        timestamptz NOT NULL,
    withholding_rate_bp int         NOT NULL CHECK (withholding_rate_bp BETWEEN 0 AND 10000),
    payout_minimum      bigint      NOT NULL CHECK (payout_minimum >= 0),
    payout_hold         boolean     NOT NULL,
    bank_account_ref    text,
    recorded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX seller_profile_versions_seller ON seller_profile_versions (seller_id, effective_at);

-- Read model for analysts and support: the profile in force now.
CREATE VIEW seller_profiles AS
SELECT DISTINCT ON (seller_id)
       seller_id, withholding_rate_bp, payout_minimum, payout_hold, bank_account_ref,
       effective_at, event_id AS last_event_id
  FROM seller_profile_versions
 ORDER BY seller_id, effective_at DESC, recorded_at DESC;

CREATE TABLE parked_events (
    source_topic     text        NOT NULL,
    source_partition int         NOT NULL,
    source_offset    bigint      NOT NULL,
    event_id         text        NOT NULL,
    order_id         text        NOT NULL,
    reason_code      text        NOT NULL,  -- what it becomes if it waits too long
    detail           text        NOT NULL,
    payload          bytea       NOT NULL,
    parked_at        timestamptz NOT NULL,
    PRIMARY KEY (source_topic, source_partition, source_offset)
);
CREATE INDEX parked_events_order ON parked_events (order_id);
CREATE INDEX parked_events_age ON parked_events (parked_at);
