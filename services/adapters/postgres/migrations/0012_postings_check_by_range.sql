-- Postings name existing transactions: with a gap-free sequence (0001) every seq from 1
-- to the last one exists, so the check is a range check on the insert's seqs, one
-- index lookup instead of one probe per distinct seq. The balance check is unchanged.
CREATE OR REPLACE FUNCTION journal_check_postings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record; lo bigint; hi bigint; last bigint;
BEGIN
    SELECT seq, currency, sum(amount_minor) AS total INTO bad
      FROM new_postings GROUP BY seq, currency HAVING sum(amount_minor) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unbalanced transaction seq %: debits - credits in % = %', bad.seq, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT min(seq), max(seq) INTO lo, hi FROM new_postings;
    SELECT coalesce(max(seq), 0) INTO last FROM journal_transactions;
    IF lo < 1 OR hi > last THEN
        RAISE EXCEPTION 'postings for unknown transaction seq %', CASE WHEN lo < 1 THEN lo ELSE hi END
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
