-- A settled payout line the bank returned (PayoutReturned) is 'returned': the money is
-- back in ops:pool:payouts and on the seller's payable.
ALTER TABLE payout_lines DROP CONSTRAINT payout_lines_status_check;
ALTER TABLE payout_lines ADD CONSTRAINT payout_lines_status_check
    CHECK (status IN ('in_flight', 'settled', 'failed', 'returned'));
