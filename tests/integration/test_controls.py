"""Maker-checker adjustments, the exceptions queue and the audit log."""

import json

import psycopg
import pytest

from services.adapters.avro import SchemaRegistry
from services.controls import adjustments
from services.controls import exceptions_queue as queue
from services.domain.errors import ConfigError
from tests.helpers import T0, capture
from tests.helpers import producer as kafka_producer
from tests.helpers import publish_orders, publish_raw, run_pipeline

pytestmark = pytest.mark.integration
REGISTRY = SchemaRegistry.from_dir()
GOODWILL = [("seller:S_114:payable", -1500), ("ops:expense:goodwill", 1500)]


def approve(settings, conn, adj, who):
    return adjustments.approve(settings, conn, kafka_producer(settings),
                               REGISTRY, adj, who, T0)


def audit(conn, adj):
    return [tuple(r) for r in conn.execute("SELECT actor, action FROM audit_log WHERE subject = %s ORDER BY audit_id", (adj,))]


def test_proposer_cannot_approve_and_an_approval_twice_posts_once(settings, conn):
    adj = adjustments.propose(conn, "alice", "GOODWILL", "late delivery", "BRL", GOODWILL, 100_000)
    with pytest.raises(ConfigError, match="cannot approve"):
        approve(settings, conn, adj, "alice")
    with pytest.raises(psycopg.errors.CheckViolation):  # the database refuses it too
        conn.execute("INSERT INTO adjustment_approvals (adjustment_id, approver) VALUES (%s, 'alice')", (adj,))
    assert approve(settings, conn, adj, "bob") == "approved"
    assert approve(settings, conn, adj, "bob") == "repeated"
    assert approve(settings, conn, adj, "carol") == "approved"  # a late second checker: same command again
    run_pipeline(settings)

    rows = conn.execute("SELECT p.account, p.amount_minor FROM journal_postings p JOIN journal_transactions t"
                        " USING (seq) WHERE t.kind = 'adjustment' ORDER BY 1").fetchall()
    assert rows == [("ops:expense:goodwill", 1500), ("seller:S_114:payable", -1500)]  # posted once
    assert conn.execute("SELECT payable FROM seller_balances WHERE seller_id = 'S_114'").fetchone() == (1500,)
    assert audit(conn, adj) == [
        ("alice", "adjustment_proposed"), ("alice", "adjustment_approval_refused"),
        ("bob", "adjustment_approved"), ("bob", "adjustment_submitted"),
        ("bob", "adjustment_approval_repeated"), ("bob", "adjustment_submitted"),
        ("carol", "adjustment_approved"), ("carol", "adjustment_submitted")]


def test_above_the_threshold_two_approvers_are_needed(settings, conn):
    big = [("seller:S_1:payable", -500_000), ("ops:expense:goodwill", 500_000)]
    adj = adjustments.propose(conn, "alice", "GOODWILL", "big credit", "BRL", big, 100_000)
    assert approve(settings, conn, adj, "bob") == "waiting"
    run_pipeline(settings)
    assert conn.execute("SELECT count(*) FROM journal_transactions").fetchone()[0] == 0
    assert approve(settings, conn, adj, "carol") == "approved"
    run_pipeline(settings)
    meta = conn.execute("SELECT metadata FROM journal_transactions WHERE kind = 'adjustment'").fetchone()[0]
    assert meta["proposer"] == "alice" and json.loads(meta["approvers"]) == ["bob", "carol"]


def test_unbalanced_or_escrow_touching_adjustments_are_refused_at_proposal(conn):
    from services.domain.errors import Rejected

    for postings in ([("seller:S_1:payable", -100), ("ops:expense:goodwill", 99)],
                     [("order:O_1:escrow:shipping", -100), ("ops:expense:goodwill", 100)]):
        with pytest.raises(Rejected):
            adjustments.propose(conn, "alice", "X", "y", "BRL", postings, 100_000)
    assert conn.execute("SELECT count(*) FROM adjustments").fetchone()[0] == 0


def test_exceptions_are_worked_in_a_queue_and_resolving_links_the_correction(settings, conn):
    publish_orders(settings, [capture("O_1")])
    publish_raw(settings, [b"garbage"])
    run_pipeline(settings)
    (xid,) = conn.execute("SELECT exception_id FROM exceptions").fetchone()
    assert [r[2] for r in queue.list_(conn, "open", None, 10)] == ["open"]
    queue.assign(conn, xid, "carol", "alice")
    with pytest.raises(ConfigError, match="no journal transaction"):
        queue.resolve(conn, xid, "carol", "fixed", transaction_id="00000000-0000-0000-0000-000000000000")
    tid = str(conn.execute("SELECT transaction_id FROM journal_transactions").fetchone()[0])
    queue.resolve(conn, xid, "carol", "re-sent by the storefront", transaction_id=tid)
    row = queue.show(conn, xid)
    assert (row["status"], row["assignee"], str(row["resolved_transaction_id"])) == ("resolved", "carol", tid)
    with pytest.raises(ConfigError, match="already resolved"):
        queue.resolve(conn, xid, "carol", "again")
    assert audit(conn, str(xid)) == [("alice", "exception_assigned"), ("carol", "exception_resolved")]


def test_no_one_can_change_the_audit_log(conn):
    conn.execute("INSERT INTO audit_log (actor, action, subject) VALUES ('a', 'b', 'c')")
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
