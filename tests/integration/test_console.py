"""The ops console in a real browser (Debian's chromium, driven by Playwright): an
operator logs in with a token, resolves an exception, proposes nothing by hand; a second
operator approves the first one's adjustment; every page renders and is screenshotted
(.local/screenshots/, kept by the run)."""

import socket
import threading
import time
from pathlib import Path

import psycopg
import pytest
import uvicorn

from services.controls import adjustments, operators
from services.entrypoints.api.app import create_app
from tests.helpers import capture, publish_orders, publish_raw, run_pipeline

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / ".local" / "screenshots"


@pytest.fixture
def console(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


def test_log_in_resolve_an_exception_and_approve_an_adjustment_as_a_second_operator(settings, console, browser):
    publish_orders(settings, [capture("O_1"), capture("O_2")])
    publish_raw(settings, [b"poison, not avro"])
    run_pipeline(settings)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        alice = operators.add(conn, "alice", "approver", "tests")
        bob = operators.add(conn, "bob", "approver", "tests")
        adj = adjustments.propose(conn, "alice", "GOODWILL", "late delivery", "BRL",
                                  [("ops:platform:goodwill", 500), ("seller:S_114:payable", -500)], 100_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1360, "height": 900})

    def shot(name):
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    page.goto(console)
    shot("login")
    page.fill("input[name=token]", "sbk_wrong")
    page.click("button[type=submit]")
    assert "unknown or revoked" in page.inner_text("[role=status]")
    page.fill("input[name=token]", alice)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console}/console")
    assert page.inner_text("#open-exceptions") == "1" and page.inner_text("#pending-adjustments") == "1"
    assert "BRL 320.00" in page.inner_text("main")  # S_114's escrow of two orders, formatted
    shot("dashboard")

    page.click("text=Exceptions")
    row = page.locator("tr[data-exception]")
    assert row.count() == 1 and "SCHEMA_INVALID" in row.inner_text()
    shot("exceptions")
    row.locator("input[name=note]").fill("poison from a test producer; told the team")
    row.locator("text=Resolve").click()
    assert "resolved by alice" in page.inner_text("[role=status]")
    assert "resolved" in page.locator("tr[data-exception]").inner_text()

    page.click("text=Adjustments")
    assert "yours: another approver must approve" in page.locator(f"tr[data-adjustment={adj}]").inner_text()
    shot("adjustments")
    page.click("text=Log out")

    page.fill("input[name=token]", bob)
    page.click("button[type=submit]")
    page.click("text=Adjustments")
    page.locator(f"tr[data-adjustment={adj}]").locator("text=Approve").click()
    assert "approved: submitted to the ledger" in page.inner_text("[role=status]")
    run_pipeline(settings)
    page.reload()
    assert "approved" in page.locator(f"tr[data-adjustment={adj}]").inner_text()

    page.click("text=Sellers")
    page.fill("input[name=seller_id]", "S_114")
    page.fill("input[name=from]", "2026-11-01")
    page.fill("input[name=to]", "2026-11-30")
    page.click("text=Show")
    assert "closing balance" in page.inner_text("main") and page.locator("#balances tr").count() == 2
    shot("seller")
    page.click("text=Payouts")
    shot("payouts")
    page.click("text=Sales")
    page.fill("input[name=from]", "2026-11-01")
    page.click("text=Show")
    assert "S_114" not in page.inner_text("#sales") and page.locator("#sales tr").count() >= 2  # by category, region
    page.select_option("select[name=by]", "seller")
    page.click("text=Show")
    assert "S_114" in page.inner_text("#sales")
    shot("sales")
    page.goto(f"{console}/console/close")
    assert "Trial balance" in page.inner_text("main") and "Reserve roll-forward" in page.inner_text("main")
    shot("close")

    with psycopg.connect(settings.database_url) as conn:
        assert conn.execute("SELECT actor, action FROM audit_log WHERE action IN"
                            " ('exception_resolved', 'adjustment_approved') ORDER BY audit_id").fetchall() == [
            ("alice", "exception_resolved"), ("bob", "adjustment_approved")]
