-- Alerts (services/domain/alerts.py): which rules breach now, for what, and the exception
-- each breach raised. A breach is raised once; its row goes when the rule stops breaching
-- for that subject, so a later breach is raised again.
CREATE TABLE alert_state (
    alert_key    text        PRIMARY KEY,  -- '<reason code>:<subject>'
    rule         text        NOT NULL CHECK (rule LIKE 'ALERT\_%'),
    subject      text        NOT NULL,
    exception_id bigint      NOT NULL REFERENCES exceptions (exception_id),
    since        timestamptz NOT NULL  -- the evaluation (as of) that raised it
);

-- The alerts worker reads the journal, the read models, the queue and reconciliation,
-- and writes only its state and the exceptions it raises.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'splitbook_alerts') THEN
        CREATE ROLE splitbook_alerts LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END $$;
GRANT SELECT ON journal_transactions, journal_postings, seller_balances, projection_positions, exceptions,
    parked_events, recon_imports, recon_lines TO splitbook_alerts;
GRANT SELECT, INSERT, DELETE ON alert_state TO splitbook_alerts;
GRANT INSERT ON exceptions TO splitbook_alerts;
GRANT USAGE ON SEQUENCE exceptions_exception_id_seq TO splitbook_alerts;
GRANT SELECT ON alert_state TO splitbook_operator, splitbook_analyst;
