-- Payouts: seller payables are looked up by account (a partial index keeps captures
-- cheap: they post no seller:* account), the files the ledger wrote, and read models.

CREATE INDEX journal_postings_seller_accounts ON journal_postings (account) WHERE account LIKE 'seller:%';

CREATE TABLE payout_files (
    batch_id   text        NOT NULL,
    format     text        NOT NULL CHECK (format IN ('csv', 'pain.001')),
    path       text        NOT NULL,
    sha256     text        NOT NULL,
    bytes      bigint      NOT NULL,
    line_count int         NOT NULL,
    control_sum_minor bigint NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, format)
);

CREATE TABLE payout_batches (
    batch_id        text   PRIMARY KEY,
    batch_date      date   NOT NULL,
    currency        text   NOT NULL,
    line_count      int    NOT NULL DEFAULT 0,
    total           bigint NOT NULL DEFAULT 0,
    confirmed_count int    NOT NULL DEFAULT 0,
    settled         bigint NOT NULL DEFAULT 0,
    failed          bigint NOT NULL DEFAULT 0,
    status          text   NOT NULL GENERATED ALWAYS AS (
                        CASE
                            WHEN confirmed_count = 0 THEN 'in_flight'
                            WHEN confirmed_count < line_count THEN 'partially_confirmed'
                            WHEN failed > 0 THEN 'confirmed_with_failures'
                            ELSE 'settled'
                        END) STORED,
    as_of_seq       bigint NOT NULL
);

CREATE TABLE payout_lines (
    batch_id       text   NOT NULL,
    seller_id      text   NOT NULL,
    currency       text   NOT NULL,
    amount         bigint NOT NULL,
    status         text   NOT NULL CHECK (status IN ('in_flight', 'settled', 'failed')),
    bank_reference text,
    failure_reason text,
    as_of_seq      bigint NOT NULL,
    PRIMARY KEY (batch_id, seller_id)
);
CREATE INDEX payout_lines_seller ON payout_lines (seller_id);
