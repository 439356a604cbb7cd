"""The HTTP API on real PostgreSQL and Kafka (in-process, FastAPI's TestClient): every
call but /healthz needs a bearer token (401 without, 403 beyond the role); reads say the
journal sequence they reflect; writes go through the CLI's commands, as the token's
operator — the proposer of an adjustment cannot approve it."""

from datetime import datetime, timezone

import psycopg
import pytest
from fastapi.testclient import TestClient

from services.controls import operators
from services.entrypoints.api.app import create_app
from tests.helpers import capture, publish_orders, publish_raw, run_pipeline

pytestmark = pytest.mark.integration


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_api_reads_and_writes_as_the_token_s_operator(settings):
    publish_orders(settings, [capture("O_1"), capture("O_2")])
    publish_raw(settings, [b"not avro at all"])
    run_pipeline(settings)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        vera, alice, bob = (operators.add(conn, n, r, "tests") for n, r in
                            (("vera", "viewer"), ("alice", "operator"), ("bob", "approver")))
    api = TestClient(create_app(settings))

    health = api.get("/healthz")
    assert health.status_code == 200 and health.json()["postgres"] and health.json()["kafka"]
    assert health.json()["unprojected"] == 0

    r = api.get("/api/v1/sellers/S_114/balances")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert api.get("/api/v1/sellers/S_114/balances", headers=bearer("sbk_nope")).status_code == 401
    r = api.get("/api/v1/sellers/S_114/balances", headers=bearer(vera))
    assert r.status_code == 200
    [brl] = r.json()["balances"]
    assert brl["currency"] == "BRL" and brl["escrow"] == 2 * 16000 and r.json()["as_of_seq"] >= 2
    assert api.get("/api/v1/sellers/S_NOBODY/balances", headers=bearer(vera)).status_code == 404
    r = api.get("/api/v1/sellers/" + "S" * 10_000 + "/balances", headers=bearer(vera))
    assert r.status_code == 404 and len(r.json()["error"]) < 400 and "characters)" in r.json()["error"]
    r = api.get("/api/v1/sellers/S%00X/balances", headers=bearer(vera))
    assert r.status_code == 400 and "NUL" in r.json()["error"]

    r = api.get("/api/v1/sellers/S_114/statement", params={"from": "2026-11-01", "to": "2026-11-30"},
                headers=bearer(vera))
    period = r.json()["currencies"]["BRL"]
    assert (period["opening"], period["closing"], len(period["movements"])) == (0, 32000, 2)
    r = api.get("/api/v1/sellers/S_114/statement", params={"from": "2026-11-01", "to": "2026-11-30",
                                                           "format": "csv"}, headers=bearer(vera))
    assert r.headers["content-type"].startswith("text/csv") and r.text.startswith("seq,date,movement")

    r = api.get("/api/v1/reports/sales", params={"by": "seller,category", "currency": "BRL"}, headers=bearer(vera))
    assert r.status_code == 200, r.text
    [row] = r.json()["rows"]  # the helper's captures name no category
    assert (row["seller_id"], row["category"], row["gross_sales"], row["net_sales"], row["take_rate_bp"]) == (
        "S_114", None, 2 * 18000, 2 * 18000, 1111.11)  # 20.00 of fees on 180.00
    r = api.get("/api/v1/reports/sales", params={"by": "colour"}, headers=bearer(vera))
    assert r.status_code == 400 and "dimensions are seller, category" in r.json()["error"]

    r = api.get("/api/v1/orders/O_1", headers=bearer(vera)).json()
    assert r["escrow"]["status"] == "in_escrow" and [t["kind"] for t in r["transactions"]] == ["capture"]
    assert sum(p["amount_minor"] for p in r["transactions"][0]["postings"]) == 0

    first = api.get("/api/v1/accounts", params={"as_of": "1", "prefix": "seller:"}, headers=bearer(vera)).json()
    now = api.get("/api/v1/accounts", params={"prefix": "order:O_1:"}, headers=bearer(vera)).json()
    assert first["as_of_seq"] == 1 and now["as_of_seq"] >= 2
    assert sum(a["balance_minor"] for a in now["accounts"]) != 0 or now["accounts"]
    page = api.get("/api/v1/journal", params={"limit": 1}, headers=bearer(vera)).json()
    assert page["transactions"][0]["seq"] == 1 and page["next"] == 1
    page2 = api.get("/api/v1/journal", params={"after": page["next"], "limit": 1}, headers=bearer(vera)).json()
    assert page2["transactions"][0]["seq"] == 2

    # the exceptions queue: a viewer may look, not resolve
    [exc] = api.get("/api/v1/exceptions", params={"status": "open"}, headers=bearer(vera)).json()["exceptions"]
    assert exc["reason_code"] == "SCHEMA_INVALID"
    path = f"/api/v1/exceptions/{exc['exception_id']}/resolve"
    assert api.post(path, json={"note": "poison from a test"}, headers=bearer(vera)).status_code == 403
    r = api.post(path, json={"note": "poison from a test"}, headers=bearer(alice))
    assert r.status_code == 200 and r.json()["by"] == "alice"
    assert api.post(path, json={"note": "again"}, headers=bearer(alice)).status_code == 400

    # maker-checker as the tokens say
    body = {"currency": "BRL", "postings": [{"account": "ops:platform:goodwill", "amount": 500},
                                            {"account": "seller:S_114:payable", "amount": -500}],
            "reason_code": "GOODWILL", "reason": "late delivery"}
    r = api.post("/api/v1/adjustments", json=body, headers=bearer(alice))
    assert r.status_code == 201 and r.json()["proposer"] == "alice"
    adj = r.json()["adjustment_id"]
    assert api.post(f"/api/v1/adjustments/{adj}/approve", headers=bearer(alice)).status_code == 403
    r = api.post(f"/api/v1/adjustments/{adj}/approve", headers=bearer(bob))
    assert r.status_code == 200 and r.json()["outcome"] == "approved"
    unbalanced = {**body, "postings": body["postings"][:1] + [{"account": "seller:S_114:payable", "amount": -1}]}
    r = api.post("/api/v1/adjustments", json=unbalanced, headers=bearer(alice))
    assert r.status_code == 422 and r.json()["reason_code"]
    huge = {**body, "postings": [{"account": "ops:platform:goodwill", "amount": 2**63 - 1},
                                 {"account": "seller:S_114:payable", "amount": -(2**63 - 1)}]}
    r = api.post("/api/v1/adjustments", json=huge, headers=bearer(alice))
    assert r.status_code == 422 and r.json()["reason_code"] == "OUT_OF_BOUNDS"
    [listed] = api.get("/api/v1/adjustments", headers=bearer(vera)).json()["adjustments"]
    assert (listed["status"], listed["approvers"]) == ("approved", ["bob"])
    # an approver may refuse one instead: never posted, and no longer approvable
    second = api.post("/api/v1/adjustments", json=body, headers=bearer(alice)).json()["adjustment_id"]
    assert api.post(f"/api/v1/adjustments/{second}/refuse", json={"note": "x"}, headers=bearer(alice)).status_code == 403
    r = api.post(f"/api/v1/adjustments/{second}/refuse", json={"note": "not our fault"}, headers=bearer(bob))
    assert r.status_code == 200 and r.json()["status"] == "refused"
    r = api.post(f"/api/v1/adjustments/{second}/approve", headers=bearer(bob))
    assert r.status_code == 400 and "refused" in r.json()["error"]
    [refused] = api.get("/api/v1/adjustments", params={"status": "refused"}, headers=bearer(vera)).json()["adjustments"]
    assert (refused["refused_by"], refused["refusal_note"]) == ("bob", "not our fault")
    assert api.post("/api/v1/adjustments/ADJ_NONE/refuse", json={"note": "n"}, headers=bearer(bob)).status_code == 404

    today = datetime.now(timezone.utc).date()
    close = api.get(f"/api/v1/close/{today}", headers=bearer(vera)).json()
    assert close["date"] == today.isoformat() and close["trial_balance"]
    assert api.get("/api/v1/dashboard", headers=bearer(vera)).json()["open_exceptions"] == 0
    metrics = api.get("/metrics/").text
    assert 'splitbook_exceptions{reason_code="SCHEMA_INVALID"} 1.0' in metrics
    assert 'splitbook_lag_seq{stage="projection"} 0.0' in metrics and "splitbook_up 1.0" in metrics
    assert "splitbook_consumer_lag_messages{" in metrics and "splitbook_oldest_open_exception_seconds 0.0" in metrics
    # the console answers refusals with pages, the API with JSON
    r = api.get("/console", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    api.cookies.set("splitbook_token", vera)
    r = api.post(f"/console/adjustments/{adj}/approve", follow_redirects=False)
    assert r.status_code == 303 and "failed=1" in r.headers["location"] and "may%20not" in r.headers["location"]
    api.cookies.clear()
    spec = api.get("/openapi.json").json()
    assert {"/api/v1/journal", "/api/v1/adjustments/{adjustment_id}/approve"} <= set(spec["paths"])
