"""The relay: publishes the journal to ledger.journal in store order, and rejections to ledger.rejected."""
