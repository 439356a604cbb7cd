"""Projection workers: read models built from ledger.journal, rebuildable from the journal."""
