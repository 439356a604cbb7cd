"""Seller profile versions: who gets paid, how much is withheld, from when."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg.types.json import Jsonb

from services.adapters.postgres import db
from services.domain.events import SellerProfileUpdated
from services.domain.payees import BankAccount


def load(conn: psycopg.Connection, sellers: Sequence[str]) -> dict[str, list[SellerProfileUpdated]]:
    out: dict[str, list[SellerProfileUpdated]] = {}
    if not sellers:
        return out
    rows = conn.execute(
        "SELECT event_id, effective_at, seller_id, withholding_rate_bp, payout_minimum, payout_hold, bank_account_ref,"
        " legal_name, tax_document, bank_account, reserve_rate_bp, reserve_period_days FROM seller_profile_versions"
        " WHERE seller_id = ANY(%b) ORDER BY seller_id, effective_at, recorded_at",
        (list(sellers),), prepare=db.PREPARE_ID_LOOKUPS,
    )
    for row in rows:
        out.setdefault(row[2], []).append(SellerProfileUpdated(*row[:9], BankAccount.from_record(row[9]), *row[10:]))
    return out


def insert(conn: psycopg.Connection, versions: Sequence[tuple[SellerProfileUpdated, bytes]]) -> None:
    if not versions:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO seller_profile_versions (event_id, payload_sha256, seller_id, effective_at,"
            " withholding_rate_bp, payout_minimum, payout_hold, bank_account_ref, legal_name, tax_document, bank_account,"
            " reserve_rate_bp, reserve_period_days) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(p.event_id, d, p.seller_id, p.occurred_at, p.withholding_rate_bp, p.payout_minimum, p.payout_hold,
              p.bank_account_ref, p.legal_name, p.tax_document,
              None if p.bank_account is None else Jsonb(p.bank_account._asdict()), p.reserve_rate_bp,
              p.reserve_period_days) for p, d in versions],
        )
