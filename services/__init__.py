"""Splitbook services: the domain core and the adapters around it."""
