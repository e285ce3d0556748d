"""The dashboard's Reports page and Disputes inbox in real headless Chromium against the running local stack.

Its own stack (test mode: payments succeed within a second, settlements available at once). The
files go where they go in AWS: the report through its presigned GET, the evidence through the
presigned PUT the API hands out, straight from the browser to the bucket (CORS preflight included).

BOOKS_SCREENSHOTS=docs also saves docs/dashboard-reports.png and docs/dashboard-disputes.png.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e_support import LocalStack, running_stack
from tests.support import AUTH, ROOT, VALID_CARD, wait_until

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "test@example.com", "password123"
SCREENSHOTS = os.environ.get("BOOKS_SCREENSHOTS")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if not (ROOT / "dashboard" / "dist" / "index.html").is_file():
        pytest.fail("dashboard/dist is missing: run scripts/build-dashboard.sh (make test does)")
    with running_stack(Path(tmp_path_factory.mktemp("books-stack")), {}, dashboard=True) as stack:
        yield stack


@pytest.fixture
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, headers=AUTH, timeout=30) as client:
        yield client


@pytest.fixture
def page(browser: Any, stack: LocalStack) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, timezone_id="Asia/Kolkata")
    page = context.new_page()
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def _tid(name: str) -> str:
    return f'[data-test-id="{name}"]'


def sign_in(page: Any, stack: LocalStack) -> None:
    page.goto(f"{stack.dashboard_origin}/dashboard")
    page.locator(_tid("login-form")).wait_for()
    page.fill(_tid("email-input"), EMAIL)
    page.fill(_tid("password-input"), PASSWORD)
    page.click(_tid("login-button"))
    page.locator(_tid("dashboard")).wait_for()


def captured(api: httpx.Client, amount: int) -> dict[str, Any]:
    order = api.post("/api/v1/orders", json={"amount": amount}).json()
    created = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "card", "card": VALID_CARD})
    assert created.status_code == 201, created.text
    payment_id = created.json()["id"]
    assert wait_until(lambda: api.get(f"/api/v1/payments/{payment_id}").json()["status"] == "success", timeout=30)
    capture = api.post(f"/api/v1/payments/{payment_id}/capture", json={"amount": amount})
    assert capture.status_code == 200, capture.text
    return dict(capture.json())


def all_rows(api: httpx.Client, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.get(path, params={**params, "limit": 100, **({"starting_after": cursor} if cursor else {})}).json()
        rows += page["data"]
        if not page["has_more"]:
            return rows
        cursor = page["data"][-1]["id"]


# --- reports ------------------------------------------------------------------------------------


def test_a_requested_report_turns_ready_and_downloads_as_csv_with_the_windows_rows(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    payments = [captured(api, amount) for amount in (12_300, 45_600)]
    sign_in(page, stack)
    page.click(_tid("nav-reports"))
    page.select_option(_tid("report-type-input"), "payments")
    # The form's defaults: the last 30 days, today included.
    page.click(_tid("request-report-button"))

    row = page.locator(_tid("report-row")).first
    report_id = row.get_attribute("data-report-id")
    assert report_id and report_id.startswith("rep_")
    # pending -> ready on screen by polling, without a reload.
    expect(row.locator(_tid("report-status"))).to_have_text("ready")
    report = api.get(f"/api/v1/reports/{report_id}").json()
    assert report["type"] == "payments" and report["status"] == "ready"
    expect(row.locator(_tid("report-rows"))).to_have_text(str(report["row_count"]))
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "dashboard-reports.png"))

    with page.expect_download() as download_info:
        row.locator(_tid("report-download")).click()
    download = download_info.value
    assert download.suggested_filename == f"{report_id}.csv"
    body = Path(download.path()).read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(body)))
    # Every payment the API lists for the report's window, no more, and the new ones among them.
    expected = all_rows(api, "/api/v1/payments", {"from": report["from"], "to": report["to"]})
    assert sorted(r["id"] for r in table) == sorted(p["id"] for p in expected)
    assert len(table) == report["row_count"]
    by_id = {r["id"]: r for r in table}
    for payment in payments:
        assert by_id[payment["id"]]["amount"] == str(payment["amount"])
        assert by_id[payment["id"]]["captured"] == "true"


def test_a_report_the_api_refuses_shows_why(page: Any, stack: LocalStack) -> None:
    sign_in(page, stack)
    page.click(_tid("nav-reports"))
    page.fill(_tid("report-from-input"), "2024-01-01")
    page.fill(_tid("report-to-input"), "2025-06-30")
    page.click(_tid("request-report-button"))
    expect(page.locator(_tid("form-error"))).to_contain_text("366 days")
