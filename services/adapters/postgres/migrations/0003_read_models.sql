-- Read models, written only by the projection worker and rebuildable from the journal.
-- as_of_seq on a row is the journal sequence of the last transaction that changed it;
-- projection_positions.last_seq is the sequence the whole projection reflects.

CREATE TABLE projection_positions (
    projection  text        PRIMARY KEY,
    last_seq    bigint      NOT NULL,
    topic       text,
    partition   int,
    next_offset bigint,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE seller_balances (
    seller_id text   NOT NULL,
    currency  text   NOT NULL,
    escrow    bigint NOT NULL DEFAULT 0,
    payable   bigint NOT NULL DEFAULT 0,
    in_flight bigint NOT NULL DEFAULT 0,
    paid_out  bigint NOT NULL DEFAULT 0,
    withheld  bigint NOT NULL DEFAULT 0,
    on_hold   bigint NOT NULL DEFAULT 0,
    as_of_seq bigint NOT NULL,
    PRIMARY KEY (seller_id, currency)
);

CREATE TABLE order_escrow (
    order_id        text        PRIMARY KEY,
    currency        text        NOT NULL,
    captured        bigint      NOT NULL DEFAULT 0,
    escrow_seller   bigint      NOT NULL DEFAULT 0,
    escrow_shipping bigint      NOT NULL DEFAULT 0,
    escrow_platform bigint      NOT NULL DEFAULT 0,
    released        bigint      NOT NULL DEFAULT 0,
    refunded        bigint      NOT NULL DEFAULT 0,
    disputed        bigint      NOT NULL DEFAULT 0,
    status          text        NOT NULL GENERATED ALWAYS AS (
                        CASE
                            WHEN disputed > 0 THEN 'disputed'
                            WHEN released > 0 AND escrow_seller + escrow_shipping + escrow_platform = 0 THEN 'released'
                            WHEN refunded > 0 AND refunded >= captured THEN 'refunded'
                            WHEN refunded > 0 THEN 'partially_refunded'
                            ELSE 'in_escrow'
                        END) STORED,
    release_due_at  timestamptz,
    as_of_seq       bigint      NOT NULL
);
CREATE INDEX order_escrow_release_due ON order_escrow (release_due_at) WHERE status IN ('in_escrow', 'partially_refunded');

CREATE TABLE account_balances (
    account   text   NOT NULL,
    currency  text   NOT NULL,
    debits    bigint NOT NULL DEFAULT 0,
    credits   bigint NOT NULL DEFAULT 0,
    balance   bigint NOT NULL DEFAULT 0,
    as_of_seq bigint NOT NULL,
    PRIMARY KEY (account, currency)
);
