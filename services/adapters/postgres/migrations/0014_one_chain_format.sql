-- The hash chain has one format (the COPY text lines, services/adapters/postgres/chain.py).
-- Format 1 was never written by a deployed journal; a journal that holds a format-1 row
-- here stops this migration rather than lose the means to verify it.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM journal_chain_formats WHERE version <> 2) THEN
        RAISE EXCEPTION 'journal_chain_formats names a chain format other than 2: verify it with a release before 2026-11-26';
    END IF;
END $$;
DROP TABLE journal_chain_formats;
