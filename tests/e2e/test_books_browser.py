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
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from playwright.sync_api import expect

from devstack.emulator import ACCOUNT_ID
from devstack.runtime import stack_name_for
from tests.e2e.test_dashboard_browser import sign_in
from tests.e2e_support import LocalStack, dashboard_page, running_dashboard_stack
from tests.support import VALID_CARD, wait_until

pytestmark = pytest.mark.e2e

SCREENSHOTS = os.environ.get("BOOKS_SCREENSHOTS")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_dashboard_stack(Path(tmp_path_factory.mktemp("books-stack")), {}) as stack:
        yield stack


@pytest.fixture
def page(browser: Any, stack: LocalStack) -> Iterator[Any]:
    with dashboard_page(browser) as page:
        yield page


def _tid(name: str) -> str:
    return f'[data-test-id="{name}"]'


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
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/v1/reports")) as posted:
        page.click(_tid("request-report-button"))
    assert posted.value.status == 202
    report_id = posted.value.json()["id"]
    assert posted.value.json()["status"] == "pending"
    row = page.locator(f'{_tid("report-row")}[data-report-id="{report_id}"]')
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


# --- disputes -----------------------------------------------------------------------------------


def disputed(api: httpx.Client, amount: int, reason: str) -> dict[str, Any]:
    payment = captured(api, amount)
    opened = api.post(f"/api/v1/test/payments/{payment['id']}/dispute", json={"reason": reason})
    assert opened.status_code == 201, opened.text
    return dict(opened.json())


def evidence_objects(stack: LocalStack) -> Any:
    """The stack's evidence bucket on its S3 endpoint, as the devstack names it (template.yaml's BucketName)."""
    endpoint = re.search(r"SQS/Scheduler endpoint (\S+);", stack.log())
    assert endpoint, stack.log()
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint.group(1),
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return s3, f"{stack_name_for(stack.log_path.parent / 'data')}-evidence-{ACCOUNT_ID}-us-east-1"


def test_the_disputes_inbox_counts_down_accepts_one_and_contests_another_with_an_uploaded_document(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    to_accept = disputed(api, 20_000, "fraudulent")
    to_contest = disputed(api, 30_000, "product_not_received")
    still_open = disputed(api, 40_000, "duplicate")
    sign_in(page, stack)
    page.click(_tid("nav-disputes"))

    def row(dispute: dict[str, Any]) -> Any:
        return page.locator(f'{_tid("dispute-row")}[data-dispute-id="{dispute["id"]}"]')

    # A live countdown to respond_by (seven days by default), ticking without a reload.
    countdown = row(still_open).locator(_tid("countdown"))
    expect(countdown).to_have_text(re.compile(r"^[67]d \d\dh \d\dm \d\ds left$"))
    assert countdown.get_attribute("data-deadline") == still_open["respond_by"]
    before = countdown.inner_text()
    expect(countdown).not_to_have_text(before, timeout=3000)

    # Accepting needs a confirmation; then it is lost, on screen and in the API.
    row(to_accept).click()
    detail = page.locator(f'{_tid("dispute-detail")}[data-dispute-id="{to_accept["id"]}"]')
    detail.locator(_tid("accept-dispute-button")).click()
    detail.locator(_tid("keep-dispute")).click()
    assert api.get(f"/api/v1/disputes/{to_accept['id']}").json()["status"] == "open"
    detail.locator(_tid("accept-dispute-button")).click()
    detail.locator(_tid("confirm-accept-dispute")).click()
    expect(detail.locator(_tid("dispute-detail-status"))).to_have_text("lost")
    expect(row(to_accept).locator(_tid("dispute-status"))).to_have_text("lost")
    accepted = api.get(f"/api/v1/disputes/{to_accept['id']}").json()
    assert (accepted["status"], accepted["closed_reason"]) == ("lost", "accepted")

    # Contesting: the document goes from the browser straight to the bucket (CORS preflight and a
    # presigned PUT to the S3 endpoint, not through the API), then the contest names it.
    row(to_contest).click()
    detail = page.locator(f'{_tid("dispute-detail")}[data-dispute-id="{to_contest["id"]}"]')
    pdf = b"%PDF-1.4\n% delivery receipt signed by the shopper\n" + os.urandom(2048) + b"\n%%EOF\n"
    detail.locator(_tid("evidence-summary-input")).fill("Delivered on 2 Dec; the shopper signed the receipt.")
    detail.locator(_tid("evidence-files-input")).set_input_files(
        {"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    with page.expect_response(lambda r: r.request.method == "PUT" and "/evidence/" in r.url) as put_info:
        detail.locator(_tid("contest-dispute-button")).click()
    put = put_info.value
    assert put.status == 200 and not put.url.startswith(stack.url)
    expect(detail.locator(_tid("dispute-detail-status"))).to_have_text("under_review")
    contested = api.get(f"/api/v1/disputes/{to_contest['id']}").json()
    assert contested["status"] == "under_review"
    assert contested["evidence"]["summary"] == "Delivered on 2 Dec; the shopper signed the receipt."
    (document_id,) = contested["evidence"]["documents"]
    expect(detail.locator(_tid("evidence-document"))).to_have_text(document_id)
    # The object landed, byte for byte, under the dispute's key.
    s3, bucket = evidence_objects(stack)
    (key,) = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="evidence/").get("Contents", [])
        if o["Key"].endswith(f"/{to_contest['id']}/{document_id}")
    ]
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == pdf and stored["ContentType"] == "application/pdf"

    # The one left open still counts down; the filter shows only what is open.
    page.select_option(_tid("dispute-status-filter"), "open")
    expect(row(to_accept)).to_have_count(0)
    expect(row(to_contest)).to_have_count(0)
    expect(row(still_open).locator(_tid("countdown"))).to_be_visible()
    if SCREENSHOTS:
        page.select_option(_tid("dispute-status-filter"), "")
        row(still_open).click()
        page.locator(_tid("evidence-summary-input")).fill("The shopper was charged once: the second attempt failed.")
        time.sleep(0.2)
        page.screenshot(path=str(Path(SCREENSHOTS) / "dashboard-disputes.png"), full_page=True)


def test_a_file_of_a_type_the_api_refuses_is_stopped_before_upload(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    dispute = disputed(api, 10_000, "general")
    sign_in(page, stack)
    page.goto(f"{stack.dashboard_origin}/dashboard/disputes?dispute={dispute['id']}")
    detail = page.locator(_tid("dispute-detail"))
    detail.locator(_tid("evidence-summary-input")).fill("See attached.")
    detail.locator(_tid("evidence-files-input")).set_input_files(
        {"name": "notes.zip", "mimeType": "application/zip", "buffer": b"PK\x03\x04"}
    )
    detail.locator(_tid("contest-dispute-button")).click()
    expect(detail.locator(_tid("form-error"))).to_contain_text("notes.zip: PDF, PNG, JPEG or plain text only")
    assert api.get(f"/api/v1/disputes/{dispute['id']}").json()["status"] == "open"
