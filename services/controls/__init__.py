"""Controls around the ledger: the exceptions queue, maker-checker adjustments, the audit log."""
