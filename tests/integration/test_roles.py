"""Least privilege: each database role can do its job and is refused everything else."""

import psycopg
import pytest

from tests.helpers import capture, publish_orders, run_pipeline

pytestmark = pytest.mark.integration

REFUSED = {
    "splitbook_posting": [
        "UPDATE journal_postings SET amount_minor = 1", "DELETE FROM journal_transactions",
        "TRUNCATE journal_postings", "INSERT INTO seller_balances (seller_id, currency, as_of_seq) VALUES ('x', 'BRL', 1)",
        "SELECT * FROM account_balances", "UPDATE exceptions SET status = 'resolved'",
    ],
    "splitbook_relay": [
        "INSERT INTO journal_postings VALUES (1, 'a', 'BRL', 1)", "UPDATE exceptions SET status = 'resolved'",
        "SELECT * FROM seller_balances",
    ],
    "splitbook_projector": [
        "INSERT INTO journal_postings VALUES (1, 'a', 'BRL', 1)", "DELETE FROM journal_postings",
        "UPDATE consumer_offsets SET next_offset = 0", "SELECT * FROM exceptions",
    ],
    "splitbook_analyst": [
        "SELECT * FROM journal_postings", "SELECT * FROM exceptions", "SELECT payload FROM parked_events",
        "UPDATE seller_balances SET payable = 0", "INSERT INTO journal_postings VALUES (1, 'a', 'BRL', 1)",
        "SELECT * FROM seller_profile_versions",
    ],
    "splitbook_operator": [
        "INSERT INTO journal_postings VALUES (1, 'a', 'BRL', 1)", "UPDATE journal_transactions SET kind = 'x'",
        "DELETE FROM exceptions", "UPDATE exceptions SET reason_code = 'NONE'", "UPDATE seller_balances SET payable = 0",
    ],
    "splitbook_alerts": [
        "INSERT INTO journal_postings VALUES (1, 'a', 'BRL', 1)", "UPDATE exceptions SET status = 'resolved'",
        "DELETE FROM exceptions", "UPDATE seller_balances SET payable = 0", "SELECT * FROM seller_profile_versions",
    ],
}

ALLOWED = {
    "splitbook_posting": ["SELECT count(*) FROM journal_postings", "SELECT * FROM consumer_offsets"],
    "splitbook_relay": ["SELECT count(*) FROM journal_transactions", "SELECT * FROM relay_positions"],
    "splitbook_projector": ["SELECT count(*) FROM journal_postings", "UPDATE seller_balances SET payable = payable"],
    "splitbook_analyst": ["SELECT * FROM seller_balances", "SELECT * FROM seller_profiles", "SELECT * FROM payout_lines"],
    "splitbook_operator": ["SELECT count(*) FROM journal_postings", "UPDATE exceptions SET status = status"],
    "splitbook_alerts": ["SELECT count(*) FROM journal_postings", "SELECT * FROM alert_state",
                         "SELECT * FROM seller_balances"],
}


@pytest.mark.parametrize("role", sorted(REFUSED))
def test_each_role_is_refused_what_is_outside_its_grant(conn, role):
    for statement in REFUSED[role]:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute(f"SET LOCAL ROLE {role}")
                conn.execute(statement)
    for statement in ALLOWED[role]:
        with conn.transaction():
            conn.execute(f"SET LOCAL ROLE {role}")
            conn.execute(statement)


def test_the_workers_connect_as_their_roles(settings, conn):
    publish_orders(settings, [capture("O_1")])
    run_pipeline(settings)  # posting, relay and projection each connected with their role
    assert conn.execute("SELECT count(*) FROM seller_balances").fetchone()[0] == 1
    from services.entrypoints import bootstrap

    for build, role in ((bootstrap.posting_consumer, "splitbook_posting"), (bootstrap.relay, "splitbook_relay"),
                        (bootstrap.projection_worker, "splitbook_projector")):
        worker = build(settings)
        assert worker.conn.execute("SELECT current_user").fetchone()[0] == role
        worker.conn.close()
