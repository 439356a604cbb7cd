"""The pure core: money, accounts, events, posting rules, invariants.

Depends on nothing outside the standard library: no I/O, no logging, no clock.
"""
