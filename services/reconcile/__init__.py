"""Reconciliation: gateway settlement reports and bank statements against the journal."""
