-- Each transaction's hash chains it to the previous one (services/domain/chain.py).
-- Written once at append; the journal's triggers refuse any later UPDATE.
ALTER TABLE journal_transactions ADD COLUMN chain_hash bytea;
