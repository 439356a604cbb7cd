-- The append-only journal: transactions and their postings.
-- Invariants enforced here as well as in the domain (DESIGN.md, Invariants):
--   1 balanced per currency (statement trigger over each insert of postings)
--   5 every transaction references its source (NOT NULL event_id, CHECK)
--   6 append-only (triggers refuse UPDATE, DELETE, TRUNCATE)
-- plus: a global gap-free sequence, and no transaction without postings.

CREATE TABLE journal_transactions (
    seq                     bigint      PRIMARY KEY CHECK (seq > 0),
    transaction_id          uuid        NOT NULL UNIQUE,
    kind                    text        NOT NULL,
    event_id                text        NOT NULL UNIQUE,
    payload_sha256          bytea       NOT NULL,
    order_id                text,
    batch_id                text,
    reverses_transaction_id uuid        REFERENCES journal_transactions (transaction_id),
    occurred_at             timestamptz NOT NULL,
    recorded_at             timestamptz NOT NULL DEFAULT now(),
    metadata                jsonb       NOT NULL DEFAULT '{}',
    CONSTRAINT references_source CHECK (event_id <> '' AND coalesce(order_id, batch_id, event_id) IS NOT NULL)
);
CREATE INDEX journal_transactions_order_id ON journal_transactions (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX journal_transactions_batch_id ON journal_transactions (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE journal_postings (
    seq          bigint NOT NULL,
    account      text   NOT NULL,
    currency     text   NOT NULL CHECK (length(currency) = 3),
    amount_minor bigint NOT NULL CHECK (amount_minor <> 0)
);
CREATE INDEX journal_postings_seq ON journal_postings (seq);

-- Invariant 6: the journal refuses UPDATE, DELETE and TRUNCATE.
CREATE FUNCTION journal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'corrections are new transactions';
END $$;

CREATE TRIGGER journal_transactions_append_only BEFORE UPDATE OR DELETE ON journal_transactions
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();
CREATE TRIGGER journal_transactions_no_truncate BEFORE TRUNCATE ON journal_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change();
CREATE TRIGGER journal_postings_append_only BEFORE UPDATE OR DELETE ON journal_postings
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();
CREATE TRIGGER journal_postings_no_truncate BEFORE TRUNCATE ON journal_postings
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change();

-- Gap-free sequence: each insert continues exactly where the journal ends.
CREATE FUNCTION journal_check_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE lo bigint; hi bigint; n bigint; prev bigint;
BEGIN
    SELECT min(seq), max(seq), count(*) INTO lo, hi, n FROM new_transactions;
    IF n = 0 THEN RETURN NULL; END IF;
    IF hi - lo + 1 <> n THEN
        RAISE EXCEPTION 'journal sequence gap inside insert (% .. %, % rows)', lo, hi, n
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT coalesce(max(seq), 0) INTO prev FROM journal_transactions WHERE seq < lo;
    IF prev <> lo - 1 THEN
        RAISE EXCEPTION 'journal sequence gap: last is %, insert starts at %', prev, lo
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER journal_transactions_gap_free AFTER INSERT ON journal_transactions
    REFERENCING NEW TABLE AS new_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION journal_check_sequence();

-- Invariant 1: every insert of postings balances per transaction and currency,
-- and only names transactions that exist.
CREATE FUNCTION journal_check_postings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
    SELECT seq, currency, sum(amount_minor) AS total INTO bad
      FROM new_postings GROUP BY seq, currency HAVING sum(amount_minor) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unbalanced transaction seq %: debits - credits in % = %', bad.seq, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT n.seq INTO bad FROM (SELECT DISTINCT seq FROM new_postings) n
      LEFT JOIN journal_transactions t ON t.seq = n.seq WHERE t.seq IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'postings for unknown transaction seq %', bad.seq USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER journal_postings_balanced AFTER INSERT ON journal_postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION journal_check_postings();

-- No transaction without postings, checked at commit.
CREATE FUNCTION journal_check_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM journal_postings WHERE seq = NEW.seq) THEN
        RAISE EXCEPTION 'transaction seq % has no postings', NEW.seq USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journal_transactions_have_postings AFTER INSERT ON journal_transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_check_has_postings();
