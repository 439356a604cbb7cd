-- Least privilege. Workers connect as (or SET ROLE to) these roles:
--   splitbook_posting    appends to the journal, keeps offsets, parking, exceptions, profiles
--   splitbook_relay      reads the journal, marks exceptions published, keeps its position
--   splitbook_projector  reads the journal, writes the read models and its position
--   splitbook_analyst    reads the read models and views, nothing else
--   splitbook_operator   reads everything, works the exceptions queue, adjustments, files
-- Nobody but the owner may UPDATE or DELETE the journal (and its triggers refuse even that).
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['splitbook_posting', 'splitbook_relay', 'splitbook_projector',
                             'splitbook_analyst', 'splitbook_operator'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', r);
        END IF;
    END LOOP;
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;

GRANT SELECT, INSERT ON journal_transactions, journal_postings TO splitbook_posting;
GRANT SELECT, INSERT, UPDATE ON consumer_offsets TO splitbook_posting;
GRANT SELECT, INSERT, DELETE, UPDATE ON parked_events TO splitbook_posting;
GRANT SELECT, INSERT ON exceptions, seller_profile_versions TO splitbook_posting;
GRANT USAGE ON SEQUENCE exceptions_exception_id_seq TO splitbook_posting;

GRANT SELECT ON journal_transactions, journal_postings, exceptions TO splitbook_relay;
GRANT UPDATE (published_at) ON exceptions TO splitbook_relay;
GRANT SELECT, INSERT, UPDATE ON relay_positions TO splitbook_relay;

GRANT SELECT ON journal_transactions, journal_postings TO splitbook_projector;
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON seller_balances, order_escrow, account_balances,
    payout_batches, payout_lines, projection_positions TO splitbook_projector;

GRANT SELECT ON seller_balances, order_escrow, account_balances, payout_batches, payout_lines,
    seller_profiles TO splitbook_analyst;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO splitbook_operator;
GRANT UPDATE (status, assignee, resolution_note) ON exceptions TO splitbook_operator;
GRANT SELECT, INSERT ON payout_files TO splitbook_operator;
