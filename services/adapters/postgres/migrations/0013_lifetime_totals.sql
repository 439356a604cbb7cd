-- Read-model totals that add up postings over the ledger's whole life cannot overflow:
-- numeric(38, 0) holds 2^63 transactions (the journal's seq is a bigint) of at most
-- ~10^15 minor units each (services/domain/bounds.py). order_escrow stays bigint: an
-- order's totals are bounded by what it captured (at most bounds.AMOUNT_MAX_MINOR).
ALTER TABLE account_balances
    ALTER COLUMN debits  TYPE numeric(38, 0),
    ALTER COLUMN credits TYPE numeric(38, 0),
    ALTER COLUMN balance TYPE numeric(38, 0);

ALTER TABLE seller_balances
    ALTER COLUMN escrow    TYPE numeric(38, 0),
    ALTER COLUMN payable   TYPE numeric(38, 0),
    ALTER COLUMN in_flight TYPE numeric(38, 0),
    ALTER COLUMN paid_out  TYPE numeric(38, 0),
    ALTER COLUMN withheld  TYPE numeric(38, 0),
    ALTER COLUMN on_hold   TYPE numeric(38, 0);
