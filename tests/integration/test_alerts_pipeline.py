"""Alerts on real Kafka and PostgreSQL: a seller whose refunds spike, an order's events
parked too long, read models behind the journal and an old exception are each raised
once as an exception with their own reason code, through the CLI as its own database
role; a breach that stops is forgotten, and one that comes back is raised again."""

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from services.adapters.kafka import topics
from services.alerts import worker
from services.controls import exceptions_queue
from services.domain.alerts import Thresholds
from tests.helpers import T0, capture, publish_orders, publish_records, refund, run_pipeline, run_posting

pytestmark = pytest.mark.integration
T = Thresholds()


def alerts(conn, as_of):
    return sorted((b.rule.value, b.subject) for _eid, b in worker.run_once(conn, T, as_of))


def test_each_breach_is_raised_once_and_again_only_after_it_stopped(settings, conn, worker_env):
    publish_orders(settings, [capture(f"O_{i}") for i in range(6)] + [capture("O_bad", amount=-1)])
    publish_records(settings, topics.REFUNDS, "RefundIssued",
                    [refund(f"O_{i}", f"R{i}", [("S_114", 18000, 2000)], at=T0 + timedelta(hours=i)) for i in range(3)]
                    + [refund("O_never", "R_never", [("S_114", 100, 0)])])
    run_pipeline(settings)
    day_after = T0 + timedelta(days=1)
    assert alerts(conn, day_after) == [("ALERT_REFUND_RATE", "S_114:BRL")]
    seller, detail, status = conn.execute(
        "SELECT seller_id, detail, status FROM exceptions WHERE reason_code = 'ALERT_REFUND_RATE'").fetchone()
    assert (seller, status) == ("S_114", "open") and "refunds of BRL 480.00 against BRL 960.00" in detail
    # worked in the queue like any exception; resolving it does not raise it again while it lasts
    (eid,) = conn.execute("SELECT exception_id FROM exceptions WHERE reason_code = 'ALERT_REFUND_RATE'").fetchone()
    exceptions_queue.resolve(conn, eid, "finance-ana", "seller contacted: a bad batch of chargers")
    assert conn.execute("SELECT status FROM exceptions WHERE exception_id = %s", (eid,)).fetchone() == ("resolved",)
    assert alerts(conn, day_after + timedelta(hours=1)) == []  # still breaching: not raised again

    later = datetime.now(timezone.utc) + timedelta(hours=25)  # the refunds are out of the window now
    assert alerts(conn, later) == [("ALERT_EXCEPTION_AGED", str(conn.execute(
        "SELECT exception_id FROM exceptions WHERE reason_code = 'NEGATIVE_AMOUNT'").fetchone()[0])),
        ("ALERT_PARKED_AGED", "O_never")]
    assert conn.execute("SELECT count(*) FROM alert_state WHERE rule = 'ALERT_REFUND_RATE'").fetchone()[0] == 0
    assert alerts(conn, day_after) == [("ALERT_REFUND_RATE", "S_114:BRL")]  # a new breach after it stopped

    publish_orders(settings, [capture("O_late")])
    run_posting(settings)  # posted, not projected
    out = subprocess.run([sys.executable, "-m", "services.entrypoints.cli.main", "alerts", "check", "--as-of",
                          (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()],
                         env=worker_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "ALERT_PROJECTION_LAG: the read models are 1 transactions behind the journal" in out.stdout
    assert conn.execute("SELECT count(*) FROM exceptions WHERE reason_code LIKE 'ALERT%%'").fetchone()[0] == 5
