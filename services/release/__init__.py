"""The release scheduler: asks the ledger to release escrow whose window has passed."""
