-- From which seq each hash-chain format is in force (services/domain/chain.py). Format 1
-- (a JSON array) chained journals written before this migration; every transaction
-- appended from here on is chained in format 2 (the COPY text lines), so `verify` can
-- check old and new links alike. Append-only like the journal it describes.
CREATE TABLE journal_chain_formats (
    from_seq bigint   PRIMARY KEY CHECK (from_seq > 0),
    version  smallint NOT NULL CHECK (version > 0)
);
INSERT INTO journal_chain_formats (from_seq, version)
    SELECT 1, 1 WHERE EXISTS (SELECT 1 FROM journal_transactions);
INSERT INTO journal_chain_formats (from_seq, version)
    SELECT coalesce(max(seq), 0) + 1, 2 FROM journal_transactions;

CREATE TRIGGER journal_chain_formats_append_only BEFORE UPDATE OR DELETE ON journal_chain_formats
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();
GRANT SELECT ON journal_chain_formats TO splitbook_operator, splitbook_analyst, splitbook_posting;
