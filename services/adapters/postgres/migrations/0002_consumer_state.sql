-- Beside the journal: consumer offsets (the tracking records), exceptions, relay state.

CREATE TABLE consumer_offsets (
    consumer    text        NOT NULL,
    topic       text        NOT NULL,
    partition   int         NOT NULL,
    next_offset bigint      NOT NULL CHECK (next_offset >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);

CREATE TABLE exceptions (
    exception_id     bigserial   PRIMARY KEY,
    reason_code      text        NOT NULL,
    detail           text        NOT NULL,
    source_topic     text,
    source_partition int,
    source_offset    bigint,
    event_id         text,
    order_id         text,
    seller_id        text,
    batch_id         text,
    amount_minor     bigint,
    currency         text,
    payload          bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    status           text        NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'assigned', 'resolved', 'written_off')),
    assignee         text,
    resolution_note  text,
    published_at     timestamptz,
    UNIQUE (source_topic, source_partition, source_offset)
);
CREATE INDEX exceptions_unpublished ON exceptions (exception_id) WHERE published_at IS NULL AND source_topic IS NOT NULL;
CREATE INDEX exceptions_reason ON exceptions (reason_code, status);

-- How far the relay has published the journal to ledger.journal.
CREATE TABLE relay_positions (
    stream   text   PRIMARY KEY,
    last_seq bigint NOT NULL
);
