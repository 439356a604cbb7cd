-- Controls: an audit log no one can change, the exceptions queue's workflow columns,
-- and maker-checker manual adjustments.

CREATE TABLE audit_log (
    audit_id bigserial   PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor    text        NOT NULL,
    action   text        NOT NULL,
    subject  text        NOT NULL,
    detail   jsonb       NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change();

ALTER TABLE exceptions ADD COLUMN resolved_transaction_id uuid, ADD COLUMN updated_at timestamptz;

CREATE TABLE adjustments (
    adjustment_id      text        PRIMARY KEY,
    proposer           text        NOT NULL,
    reason_code        text        NOT NULL,
    reason             text        NOT NULL,
    currency           text        NOT NULL,
    postings           jsonb       NOT NULL,
    amount_minor       bigint      NOT NULL CHECK (amount_minor > 0),
    required_approvals int         NOT NULL CHECK (required_approvals BETWEEN 1 AND 2),
    status             text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved')),
    exception_id       bigint      REFERENCES exceptions (exception_id),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE adjustment_approvals (
    adjustment_id text        NOT NULL REFERENCES adjustments (adjustment_id),
    approver      text        NOT NULL,
    approved_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (adjustment_id, approver)
);
CREATE FUNCTION adjustment_maker_is_not_checker() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM adjustments WHERE adjustment_id = NEW.adjustment_id AND proposer = NEW.approver) THEN
        RAISE EXCEPTION 'the proposer of % cannot approve it', NEW.adjustment_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER adjustment_approvals_four_eyes BEFORE INSERT ON adjustment_approvals
    FOR EACH ROW EXECUTE FUNCTION adjustment_maker_is_not_checker();
CREATE TRIGGER adjustment_approvals_append_only BEFORE UPDATE OR DELETE ON adjustment_approvals
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();

GRANT SELECT, INSERT ON audit_log, adjustment_approvals TO splitbook_operator;
GRANT SELECT, INSERT ON adjustments TO splitbook_operator;
GRANT UPDATE (status) ON adjustments TO splitbook_operator;
GRANT UPDATE (resolved_transaction_id, updated_at) ON exceptions TO splitbook_operator;
GRANT USAGE ON SEQUENCE audit_log_audit_id_seq TO splitbook_operator;
