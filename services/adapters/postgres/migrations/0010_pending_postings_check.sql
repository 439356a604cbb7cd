-- "No transaction without postings", checked at commit once per statement instead of
-- once per row: each insert into journal_transactions notes its seq range (contiguous:
-- the gap-free trigger), and a deferred trigger on that note counts the range's
-- transactions that have postings when the transaction commits. Same guarantee as the
-- per-row deferred trigger of 0001, without thousands of trigger calls per batch.

DROP TRIGGER journal_transactions_have_postings ON journal_transactions;
DROP FUNCTION journal_check_has_postings();

CREATE TABLE journal_pending_ranges (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lo bigint NOT NULL,
    hi bigint NOT NULL
);

CREATE FUNCTION journal_note_range() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO journal_pending_ranges (lo, hi)
        SELECT min(seq), max(seq) FROM new_transactions HAVING count(*) > 0;
    RETURN NULL;
END $$;
CREATE TRIGGER journal_transactions_note_range AFTER INSERT ON journal_transactions
    REFERENCING NEW TABLE AS new_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION journal_note_range();

CREATE FUNCTION journal_check_range_has_postings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE with_postings bigint; missing bigint;
BEGIN
    SELECT count(DISTINCT seq) INTO with_postings FROM journal_postings WHERE seq BETWEEN NEW.lo AND NEW.hi;
    IF with_postings <> NEW.hi - NEW.lo + 1 THEN
        SELECT s INTO missing FROM generate_series(NEW.lo, NEW.hi) AS s
         WHERE NOT EXISTS (SELECT 1 FROM journal_postings p WHERE p.seq = s) ORDER BY s LIMIT 1;
        RAISE EXCEPTION 'transaction seq % has no postings', missing USING ERRCODE = 'check_violation';
    END IF;
    DELETE FROM journal_pending_ranges WHERE id = NEW.id;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER journal_pending_ranges_have_postings AFTER INSERT ON journal_pending_ranges
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_check_range_has_postings();

GRANT SELECT, INSERT, DELETE ON journal_pending_ranges TO splitbook_posting;
