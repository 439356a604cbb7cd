"""Payouts: the daily batch command and the bank files the ledger writes from what it posted."""
