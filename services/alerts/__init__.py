"""The alerts worker: rules over the journal and the read models (services/domain/alerts.py)."""
