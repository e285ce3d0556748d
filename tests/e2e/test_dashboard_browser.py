"""The operator dashboard in real headless Chromium against the running local stack.

Its own stack: the dashboard on a free port, payments that take 5 s to process (so a live status
change can be watched) and webhook retries 1 s apart (so a delivery fails within seconds).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import expect

from tests.e2e_support import LocalStack, dashboard_page, running_dashboard_stack
from tests.support import AUTH, WebhookReceiver, book_captures, insert_settled_payments, wait_until

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "test@example.com", "password123"
PROCESSING_SECONDS = 5


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    overrides = {"TEST_PROCESSING_DELAY": str(PROCESSING_SECONDS * 1000), "WEBHOOK_RETRY_DELAYS_TEST": "1,1,1,1"}
    with running_dashboard_stack(Path(tmp_path_factory.mktemp("dashboard-stack")), overrides) as stack:
        yield stack


@pytest.fixture
def page(browser: Any, stack: LocalStack) -> Iterator[Any]:
    with dashboard_page(browser) as page:
        yield page


def _tid(name: str) -> str:
    return f'[data-test-id="{name}"]'


def sign_in(page: Any, stack: LocalStack, path: str = "/dashboard") -> None:
    page.goto(f"{stack.dashboard_origin}{path}")
    page.locator(_tid("login-form")).wait_for()
    page.fill(_tid("email-input"), EMAIL)
    page.fill(_tid("password-input"), PASSWORD)
    page.click(_tid("login-button"))
    page.locator(_tid("dashboard")).wait_for()


def paid(api: httpx.Client, amount: int = 50_000) -> dict[str, Any]:
    order = api.post("/api/v1/orders", json={"amount": amount}).json()
    payment = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "ops@okhdfc"})
    assert payment.status_code == 201, payment.text
    return dict(payment.json())


def wait_for_status(api: httpx.Client, payment_id: str, status: str) -> None:
    assert wait_until(lambda: api.get(f"/api/v1/payments/{payment_id}").json()["status"] == status, timeout=30)


def indian_rupees(paise: int) -> str:
    """₹ with Indian digit grouping (12,34,567.89), computed independently of the app's code."""
    rupees, fraction = divmod(paise, 100)
    digits = str(rupees)
    head, tail = digits[:-3], digits[-3:]
    groups = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)][::-1]
    return "₹" + ",".join([*groups, tail]) + f".{fraction:02d}"


# --- sign-in ------------------------------------------------------------------------------------


def test_a_wrong_password_is_refused(page: Any, stack: LocalStack) -> None:
    page.goto(f"{stack.dashboard_origin}/dashboard/transactions")
    # Signed out, a dashboard URL leads to the sign-in form.
    page.locator(_tid("login-form")).wait_for()
    assert "/login" in page.url
    page.fill(_tid("email-input"), EMAIL)
    page.fill(_tid("password-input"), "not-the-password")
    page.click(_tid("login-button"))
    error = page.locator(_tid("form-error"))
    error.wait_for()
    assert error.inner_text().startswith("Invalid email or password")
    assert page.locator(_tid("dashboard")).count() == 0
    assert page.evaluate("sessionStorage.length") == 0


def test_sign_in_shows_credentials_and_stats_from_the_api_then_sign_out(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    sign_in(page, stack)
    assert page.locator(_tid("api-key")).inner_text() == "key_test_abc123"
    # Only a hint of the secret: the server keeps its hash, so nothing can reveal it.
    expect(page.locator(_tid("api-secret"))).to_have_text(re.compile(r"^secret_•+z789$"))
    assert page.locator(_tid("reveal-secret-button")).count() == 0
    storage = page.evaluate("JSON.stringify(Object.assign({}, sessionStorage, localStorage))")
    assert "secret_test_xyz789" not in storage and "token" in storage

    stats = api.get("/api/v1/merchant/stats").json()
    page.locator(_tid("stats-container")).wait_for()
    assert page.locator(_tid("total-transactions")).inner_text() == f"{stats['total_transactions']:,}"
    assert page.locator(_tid("total-amount")).inner_text() == indian_rupees(stats["total_amount"])
    assert page.locator(_tid("success-rate")).inner_text() == f"{stats['success_rate']:.1f}%"

    page.click(_tid("logout-button"))
    page.locator(_tid("login-form")).wait_for()
    assert page.evaluate("sessionStorage.length") == 0
    page.goto(f"{stack.dashboard_origin}/dashboard")
    page.locator(_tid("login-form")).wait_for()


def test_an_expired_or_rejected_session_signs_out(page: Any, stack: LocalStack) -> None:
    sign_in(page, stack)
    # The client-side clock: a session whose expiry passes while the page is open ends by itself.
    page.evaluate(
        """() => {
        const s = JSON.parse(sessionStorage.getItem('gateway.session'));
        s.expires_at = new Date(Date.now() + 2000).toISOString();
        sessionStorage.setItem('gateway.session', JSON.stringify(s));
    }"""
    )
    page.reload()
    page.locator(_tid("dashboard")).wait_for()
    page.locator(_tid("login-notice")).wait_for(timeout=10_000)
    assert "expired" in page.locator(_tid("login-notice")).inner_text()
    # The API's verdict: a token it refuses (401) signs the operator out too.
    sign_in(page, stack)
    page.evaluate(
        """() => {
        const s = JSON.parse(sessionStorage.getItem('gateway.session'));
        s.token = s.token.slice(0, -4) + 'AAAA';
        sessionStorage.setItem('gateway.session', JSON.stringify(s));
    }"""
    )
    page.reload()
    page.locator(_tid("login-notice")).wait_for()
    assert "expired" in page.locator(_tid("login-notice")).inner_text()


# --- transactions -------------------------------------------------------------------------------


def test_a_new_payment_appears_and_turns_success_without_reload(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    # Given the transactions page is open
    sign_in(page, stack, "/dashboard/transactions")
    page.locator(f"{_tid('transactions-table')}, {_tid('empty-state')}").first.wait_for()
    page.evaluate("window.__sameDocument = true")
    # When a payment is created through the API
    payment = paid(api, 12_345)
    row = page.locator(f'{_tid("transaction-row")}[data-payment-id="{payment["id"]}"]')
    # Then it appears while still processing, in rupees, and turns success by itself
    row.wait_for(timeout=10_000)
    first_status = row.locator(_tid("status")).inner_text()
    assert first_status in ("pending", "processing")
    assert row.locator(_tid("amount")).inner_text().startswith("₹123.45")
    assert row.locator(_tid("order-id")).inner_text() == payment["order_id"]
    assert row.locator(_tid("method")).inner_text() == "UPI ops@okhdfc"
    expect(row.locator(_tid("status"))).to_have_text("success", timeout=30_000)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened


def test_search_filters_and_cursor_paging(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    # History written straight to the database: 27 payments through a 5 s processor would take minutes.
    prefix = insert_settled_payments(stack.database_url, 27)
    payments = api.get("/api/v1/payments", params={"limit": 27}).json()["data"]
    assert all(p["id"].startswith(f"pay_{prefix}") for p in payments[-20:])
    sign_in(page, stack, "/dashboard/transactions")
    rows = page.locator(_tid("transaction-row"))
    rows.first.wait_for()
    total = api.get("/api/v1/payments", params={"limit": 1}).json()["total"]
    assert rows.count() == 25
    summary = page.locator(_tid("page-summary"))
    expect(summary).to_have_text(f"1\u201325 of {total}")
    first_page = rows.evaluate_all("rows => rows.map(r => r.dataset.paymentId)")
    page.click(_tid("next-page"))
    expect(summary).to_have_text(re.compile("^26\u2013"))
    # The summary follows the offset at once; the rows follow when the next page's fetch answers.
    expect(rows.first).not_to_have_attribute("data-payment-id", first_page[0])
    second_page = rows.evaluate_all("rows => rows.map(r => r.dataset.paymentId)")
    assert not set(first_page) & set(second_page)
    page.click(_tid("previous-page"))
    expect(summary).to_have_text(re.compile("^1\u2013"))

    page.fill(_tid("search-input"), payments[3]["order_id"])
    page.click(_tid("apply-filters"))
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-payment-id") == payments[3]["id"]

    page.fill(_tid("search-input"), "")
    page.select_option(_tid("status-filter"), "failed")
    page.select_option(_tid("method-filter"), "upi")
    page.click(_tid("apply-filters"))
    # The seeded history has two failed UPI payments (every tenth fails, every third is a card).
    expect(rows).to_have_count(2)
    assert rows.locator(_tid("status")).all_inner_texts() == ["failed", "failed"]
    assert all(method.startswith("UPI ") for method in rows.locator(_tid("method")).all_inner_texts())

    page.fill(_tid("search-input"), "pay_doesnotexist")
    page.click(_tid("apply-filters"))
    page.locator(_tid("empty-state")).wait_for()
    assert "No payments match" in page.locator(_tid("empty-state")).inner_text()


def test_partial_refund_from_the_payment_detail(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    receiver = WebhookReceiver().start()
    assert api.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url}).status_code == 200
    payment = paid(api, 50_000)
    wait_for_status(api, payment["id"], "success")
    sign_in(page, stack, f"/dashboard/transactions?payment={payment['id']}")
    detail = page.locator(_tid("payment-detail"))
    detail.locator(_tid("detail-status")).wait_for()
    detail.locator(_tid("refund-button")).click()
    amount = detail.locator(_tid("refund-amount-input"))
    assert amount.input_value() == "500.00"  # the full refundable amount to start with

    # More than the payment, or sub-paise: refused in the browser, nothing sent
    amount.fill("500.01")
    detail.locator(_tid("refund-submit-button")).click()
    assert detail.locator(_tid("form-error")).inner_text() == "At most ₹500.00 can be refunded"
    amount.fill("12.345")
    detail.locator(_tid("refund-submit-button")).click()
    assert "at most 2 decimals" in detail.locator(_tid("form-error")).inner_text()
    assert api.get(f"/api/v1/payments/{payment['id']}/refunds").json()["total"] == 0

    # A partial refund: created, then processed without reload
    amount.fill("150.50")
    detail.locator(_tid("refund-submit-button")).click()
    detail.locator(_tid("refund-created")).wait_for()
    refund_row = detail.locator(_tid("refund-row"))
    refund_row.wait_for()
    assert refund_row.locator(_tid("refund-amount")).inner_text() == "₹150.50"
    expect(refund_row.locator(_tid("refund-status"))).to_have_text("processed", timeout=30_000)
    refunds = api.get(f"/api/v1/payments/{payment['id']}/refunds").json()["data"]
    assert [(r["amount"], r["status"]) for r in refunds] == [(15_050, "processed")]
    assert detail.locator(_tid("detail-refunded")).inner_text() == "₹150.50"
    # Its refund events are listed with the payment's other webhook events
    expect(detail.locator(_tid("webhook-event")).filter(has_text="refund.processed")).to_have_count(1)

    # The Refunds page lists it; looking the payment up there offers what is left
    page.click(_tid("nav-refunds"))
    listed = page.locator(f'{_tid("refunds-table")} [data-refund-id="{refunds[0]["id"]}"]')
    listed.wait_for()
    assert listed.locator(_tid("refund-status")).inner_text() == "processed"
    page.fill(_tid("refund-payment-id-input"), payment["id"])
    page.click(_tid("find-payment-button"))
    page.locator(_tid("found-payment")).wait_for()
    assert page.locator(_tid("refund-amount-input")).input_value() == "349.50"


def test_an_api_error_on_refund_is_shown(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    payment = paid(api, 20_000)
    wait_for_status(api, payment["id"], "success")
    sign_in(page, stack, "/dashboard/refunds")
    page.fill(_tid("refund-payment-id-input"), payment["id"])
    page.click(_tid("find-payment-button"))
    page.locator(_tid("refund-amount-input")).wait_for()
    # Meanwhile the merchant's server refunds most of it through the API
    assert api.post(f"/api/v1/payments/{payment['id']}/refunds", json={"amount": 15_000}).status_code == 201
    page.fill(_tid("refund-amount-input"), "100")
    page.click(_tid("refund-submit-button"))
    error = page.locator(_tid("form-error"))
    error.wait_for()
    assert error.inner_text().startswith("Refund amount exceeds available amount (request ")


# --- webhooks -----------------------------------------------------------------------------------


def test_a_failed_delivery_is_retried_from_the_ui(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    # Given a receiver that is down (500) configured from the dashboard
    receiver = WebhookReceiver(default_status=500).start()
    sign_in(page, stack, "/dashboard/webhooks")
    page.locator(_tid("webhook-config-form")).wait_for()
    page.fill(_tid("webhook-url-input"), "not a url")
    page.click(_tid("save-webhook-button"))
    assert "absolute http(s) URL" in page.locator(_tid("form-error")).inner_text()
    page.fill(_tid("webhook-url-input"), receiver.url)
    page.click(_tid("save-webhook-button"))
    page.locator(_tid("webhook-message")).wait_for()
    assert api.get("/api/v1/merchant/webhook").json()["webhook_url"] == receiver.url

    # When a test event is sent, it fails five times (retries 1 s apart here)
    page.click(_tid("test-webhook-button"))
    page.locator(_tid("webhook-message")).filter(has_text="Test event queued").wait_for()
    item = page.locator(_tid("webhook-log-item")).filter(has_text="webhook.test").first
    item.wait_for()
    expect(item.locator(_tid("webhook-status"))).to_have_text("failed", timeout=40_000)
    assert item.locator(_tid("webhook-attempts")).inner_text() == "5/5"
    assert item.locator(_tid("webhook-response-code")).inner_text() == "500"
    assert item.locator(_tid("webhook-last-attempt")).inner_text() != "—"
    item.click()
    attempts = page.locator(_tid("webhook-attempt"))
    attempts.first.wait_for()
    assert attempts.count() == 5
    assert attempts.locator(_tid("attempt-response-code")).all_inner_texts() == ["500"] * 5
    event_id = item.get_attribute("data-event-id")

    # Then, with the receiver fixed, Retry delivers it
    receiver.default_status = 200
    delivered_before = len(receiver.received)
    item.locator(_tid("retry-webhook-button")).click()
    item = page.locator(f'[data-event-id="{event_id}"]').first
    expect(item.locator(_tid("webhook-status"))).to_have_text("success", timeout=30_000)
    assert item.locator(_tid("webhook-response-code")).inner_text() == "200"
    assert item.locator(_tid("webhook-attempts")).inner_text() == "1/5"
    retried = [h for h in receiver.received[delivered_before:] if h.headers["webhook-id"] == event_id]
    assert retried and all(h.json["id"] == event_id for h in retried)


def test_webhook_endpoints_are_added_filtered_edited_disabled_and_deleted(
    page: Any, stack: LocalStack, api: httpx.Client, tmp_path: Path
) -> None:
    receiver = WebhookReceiver().start()
    try:
        sign_in(page, stack, "/dashboard/webhooks")
        page.locator(_tid("webhook-endpoints")).wait_for()
        # Given an endpoint added from the dashboard for payment.success only
        page.click(_tid("add-endpoint-button"))
        page.fill(_tid("endpoint-url-input"), "not a url")
        page.click(_tid("save-endpoint-button"))
        assert "absolute http(s) URL" in page.locator(_tid("endpoint-form")).locator(_tid("form-error")).inner_text()
        page.fill(_tid("endpoint-url-input"), receiver.url)
        page.uncheck(_tid("endpoint-all-events"))
        page.click(_tid("save-endpoint-button"))
        assert "at least one event" in page.locator(_tid("endpoint-form")).locator(_tid("form-error")).inner_text()
        page.check(_tid("endpoint-event-payment.success"))
        page.click(_tid("save-endpoint-button"))
        shown_secret = page.locator(_tid("endpoint-created")).locator(_tid("endpoint-secret")).inner_text()
        [created] = api.get("/api/v1/webhook_endpoints").json()["data"]
        assert (created["url"], created["enabled_events"]) == (receiver.url, ["payment.success"])
        assert api.get(f"/api/v1/webhook_endpoints/{created['id']}").json()["secret"] == shown_secret
        row = page.locator(f'[data-endpoint-id="{created["id"]}"]')
        assert row.locator(_tid("endpoint-events")).inner_text() == "payment.success"
        expect(row.locator(_tid("endpoint-state"))).to_have_text("enabled")

        # When a payment succeeds, the endpoint gets exactly its one event, and its log shows only that
        payment = paid(api)
        assert receiver.wait_for_match(lambda h: h.json["data"]["payment"]["id"] == payment["id"], timeout=30)
        row.locator(_tid("endpoint-log-button")).click()
        expect(page.locator("#deliveries-title")).to_contain_text(receiver.url)
        items = page.locator(_tid("webhook-log-item"))
        expect(items.locator(_tid("webhook-status")).first).to_have_text("success")
        assert set(items.locator(_tid("webhook-event")).all_inner_texts()) == {"payment.success"}
        assert [h.json["event"] for h in receiver.received] == ["payment.success"]
        page.screenshot(path=str(tmp_path / "endpoint-log.png"), full_page=True)

        # Editing the filter, disabling and deleting all reach the API
        row.locator(_tid("edit-endpoint-button")).click()
        page.check(_tid("endpoint-event-payment.failed"))
        page.click(_tid("save-endpoint-button"))
        expect(row.locator(_tid("endpoint-events"))).to_have_text("payment.failed, payment.success")
        row.locator(_tid("toggle-endpoint-button")).click()
        expect(row.locator(_tid("endpoint-state"))).to_have_text("disabled")
        assert api.get(f"/api/v1/webhook_endpoints/{created['id']}").json()["disabled"] is True
        row.locator(_tid("delete-endpoint-button")).click()
        assert len(api.get("/api/v1/webhook_endpoints").json()["data"]) == 1  # not before the confirmation
        row.locator(_tid("confirm-delete-endpoint-button")).click()
        page.locator(_tid("webhook-endpoints")).locator(_tid("empty-state")).wait_for()
        assert api.get("/api/v1/webhook_endpoints").json()["data"] == []
    finally:
        receiver.stop()


def test_rotating_the_secret_needs_a_confirmation(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    before = api.get("/api/v1/merchant/webhook").json()["webhook_secret"]
    sign_in(page, stack, "/dashboard/webhooks")
    page.click(_tid("regenerate-secret-button"))
    assert api.get("/api/v1/merchant/webhook").json()["webhook_secret"] == before  # not yet
    page.click(_tid("confirm-regenerate-button"))
    page.locator(_tid("webhook-message")).filter(has_text="New secret").wait_for()
    after = api.get("/api/v1/merchant/webhook").json()["webhook_secret"]
    assert after != before and after.startswith("whsec_")
    expect(page.locator(_tid("webhook-secret"))).to_have_text(after)


def test_rolling_the_api_secret_needs_a_confirmation_and_shows_the_new_one_once(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    sign_in(page, stack)
    page.click(_tid("roll-secret-button"))
    assert api.get("/api/v1/merchant/stats").status_code == 200  # not yet: the old secret still works
    page.click(_tid("confirm-roll-secret-button"))
    page.locator(_tid("new-secret-notice")).wait_for()
    shown = page.locator(_tid("api-secret")).inner_text()
    try:
        assert shown.startswith("secret_test_") and len(shown) > 40
        assert api.get("/api/v1/merchant/stats").status_code == 401  # the old one is retired at once
        assert api.get("/api/v1/merchant/stats", headers={"X-Api-Secret": shown}).status_code == 200
        # Shown once: after a reload only its last four characters are left.
        page.reload()
        expect(page.locator(_tid("api-secret"))).to_have_text(re.compile(rf"^secret_•+{re.escape(shown[-4:])}$"))
        storage = page.evaluate("JSON.stringify(Object.assign({}, sessionStorage, localStorage))")
        assert shown not in storage
    finally:
        # The other tests of this stack use the test merchant's known secret.
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE merchants SET api_secret_hash = encode(sha256('secret_test_xyz789'), 'hex'),"
                " api_secret_hint = 'z789' WHERE api_key = 'key_test_abc123'"
            )


# --- docs ---------------------------------------------------------------------------------------


def _snippet(page: Any, name: str) -> str:
    return str(page.locator(_tid(f"code-snippet-{name}")).inner_text())


def test_docs_snippets_work_against_the_real_api(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    sign_in(page, stack, "/dashboard/docs")
    page.locator(_tid("api-docs")).wait_for()
    for section in ("section-create-order", "section-sdk-integration", "section-webhook-verification"):
        assert page.locator(_tid(section)).is_visible()

    # The order snippet, run as shown with the secret in $API_SECRET, creates an order.
    order_snippet = _snippet(page, "create-order")
    result = subprocess.run(
        ["bash", "-c", order_snippet],
        env={"API_SECRET": AUTH["x-api-secret"], "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    order = json.loads(result.stdout)
    assert order["id"].startswith("order_") and order["amount"] == 50_000 and order["receipt"] == "r1001"

    assert f'src="{stack.checkout_origin}/checkout.js"' in _snippet(page, "sdk")
    assert 'key: "key_test_abc123"' in _snippet(page, "sdk")

    # The verification snippet accepts a real signed delivery and rejects a tampered one.
    secret = api.get("/api/v1/merchant/webhook").json()["webhook_secret"]
    receiver = WebhookReceiver().start()
    assert api.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url}).status_code == 200
    assert api.post("/api/v1/merchant/webhook/test").status_code == 200
    [hook] = receiver.wait_for(1)
    namespace: dict[str, Any] = {}
    exec(_snippet(page, "webhook"), namespace)  # noqa: S102 - the page's own snippet, under test
    verify = namespace["verify_webhook"]
    assert verify(hook.body, hook.headers, secret) is True
    assert verify(hook.body.replace(b"Test", b"Fake"), hook.headers, secret) is False
    stale = {**hook.headers, "webhook-timestamp": str(int(time.time()) - 3600)}
    assert verify(hook.body, stale, secret) is False


def test_docs_list_the_test_values_and_a_declined_test_card_shows_its_reason(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    from gateway.domain.test_values import TEST_VALUES

    order = api.post("/api/v1/orders", json={"amount": 20_000}).json()
    card = {"number": "4000 0000 0000 9995", "expiry_month": "12", "expiry_year": "2035", "cvv": "123"}
    payment = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "card", "card": card}).json()

    # While the bank thinks: the Docs page's table is the gateway's own.
    sign_in(page, stack, "/dashboard/docs")
    rows = page.locator(_tid("test-value-row"))
    expect(rows).to_have_count(len(TEST_VALUES))
    assert rows.locator(_tid("test-value")).all_inner_texts() == [value.value for value in TEST_VALUES]
    assert rows.locator(_tid("test-value-code")).all_inner_texts() == [value.error_code or "—" for value in TEST_VALUES]

    wait_for_status(api, payment["id"], "failed")
    page.goto(f"{stack.dashboard_origin}/dashboard/transactions?payment={payment['id']}")
    detail = page.locator(_tid("payment-detail"))
    expect(detail.locator(_tid("detail-status"))).to_have_text("failed")
    expect(detail.locator(_tid("detail-error"))).to_have_text("INSUFFICIENT_FUNDS: The card has insufficient funds")


# --- trends and the books -----------------------------------------------------------------------


def _last_30_utc_days() -> dict[str, str]:
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return {"from": (tomorrow - timedelta(days=30)).isoformat(), "to": tomorrow.isoformat(), "interval": "day"}


def test_home_charts_render_from_the_stats_series(page: Any, stack: LocalStack, api: httpx.Client) -> None:
    # A month of history 31 hours apart (some days have none), captured and booked at its own time.
    assert book_captures(stack.database_url, insert_settled_payments(stack.database_url, 22, minutes_apart=31 * 60))
    sign_in(page, stack)
    days = api.get("/api/v1/merchant/stats", params=_last_30_utc_days()).json()["series"]["days"]
    assert len(days) == 30 and any(d["gross"] == 0 for d in days) and any(d["gross"] > 0 for d in days)

    gross, net = page.locator(_tid("gross-bar")), page.locator(_tid("net-bar"))
    expect(gross).to_have_count(30)
    expect(net).to_have_count(30)
    # Bar by bar, the series the API answers: its day and value, taller for more money.
    drawn = gross.evaluate_all("bars => bars.map(b => [b.dataset.day, Number(b.dataset.value), b.getBBox().height])")
    assert [(day, value) for day, value, _ in drawn] == [(d["day"], d["gross"]) for d in days]
    heights = {value: height for _, value, height in drawn}
    assert heights[0] == 0 and all(heights[v] > 0 for v in heights if v > 0)
    assert sorted(heights, key=heights.__getitem__) == sorted(heights)
    assert net.evaluate_all("bars => bars.map(b => Number(b.dataset.value))") == [d["net"] for d in days]
    # One value as a person hovering reads it (the bar's title), and as a screen reader hears the chart.
    best = max(days, key=lambda d: d["gross"])
    day_label = f"{int(best['day'][8:])} {datetime.fromisoformat(best['day']).strftime('%b')}"
    bar = page.locator(f'{_tid("gross-bar")}[data-day="{best["day"]}"] title')
    assert bar.text_content() == f"{day_label}: gross {indian_rupees(best['gross'])}"
    summary = page.locator(_tid("volume-svg")).get_attribute("aria-label") or ""
    assert f"gross {indian_rupees(sum(d['gross'] for d in days))}" in summary
    assert f"highest gross {indian_rupees(best['gross'])} on {day_label}" in summary

    # Success rates: a point per day with finished attempts, per method, at the API's rate.
    for method in ("upi", "card"):
        rated = [(d["day"], d["by_method"][method]["success_rate"]) for d in days]
        points = page.locator(_tid(f"rate-point-{method}"))
        expect(points).to_have_count(sum(rate is not None for _, rate in rated))
        shown = points.evaluate_all("ps => ps.map(p => [p.dataset.day, Number(p.dataset.value)])")
        assert [tuple(p) for p in shown] == [(day, rate) for day, rate in rated if rate is not None]

    # The text alternative: every day in a table behind a disclosure.
    page.locator(".chart-data summary").click()
    rows = page.locator(_tid("trend-row"))
    expect(rows).to_have_count(30)
    assert rows.locator(_tid("trend-gross")).all_inner_texts() == [indian_rupees(d["gross"]) for d in days]


def test_balance_page_shows_the_balance_and_a_settlement_with_its_entries(
    page: Any, stack: LocalStack, api: httpx.Client
) -> None:
    payment = paid(api, 100_000)
    wait_for_status(api, payment["id"], "success")
    assert api.post(f"/api/v1/payments/{payment['id']}/capture", json={"amount": 100_000}).status_code == 200
    # Entries booked two days ago and today: one available, one pending (test mode books at once).
    prefix = insert_settled_payments(stack.database_url, 2, minutes_apart=36 * 60)
    assert book_captures(stack.database_url, prefix) >= 1
    run = api.post("/api/v1/test/settlements/run")
    assert run.status_code == 200, run.text
    settlement = run.json()
    # The page shows a settlement's entries ten at a time, newest first: its own entry, then the paid ones.
    entries = api.get("/api/v1/balance_transactions", params={"settlement_id": settlement["id"], "limit": 10}).json()
    assert entries["total"] == settlement["entries"] + 1
    assert payment["id"] in {e["source_id"] for e in entries["data"]}
    pending_payment = insert_settled_payments(stack.database_url, 1)
    assert book_captures(stack.database_url, pending_payment) == 1
    balance = api.get("/api/v1/balance").json()
    assert balance["pending"] > 0

    sign_in(page, stack)
    page.click(_tid("nav-balance"))
    expect(page.locator(_tid("balance-available"))).to_have_text(indian_rupees(balance["available"]))
    expect(page.locator(_tid("balance-pending"))).to_have_text(indian_rupees(balance["pending"]))

    row = page.locator(f'{_tid("settlement-row")}[data-settlement-id="{settlement["id"]}"]')
    expect(row.locator(_tid("settlement-amount"))).to_have_text(indian_rupees(settlement["amount"]))
    expect(row.locator(_tid("settlement-status"))).to_have_text("processed")
    row.click()
    listed = page.locator(f"{_tid('settlement-entries-table')} {_tid('entry-row')}")
    expect(listed).to_have_count(len(entries["data"]))
    assert listed.evaluate_all("rows => rows.map(r => r.dataset.entryId)") == [e["id"] for e in entries["data"]]
    total = page.locator(f"{_tid('settlement-entries')} {_tid('page-summary')}")
    assert total.inner_text() == f"1\u2013{len(entries['data'])} of {entries['total']}"
    own = page.locator(f'{_tid("settlement-entries-table")} {_tid("entry-row")}[data-type="settlement"]')
    assert own.locator(_tid("entry-net")).inner_text() == "-" + indian_rupees(settlement["amount"])
    assert "settlement=" + settlement["id"] in page.url  # a settlement's entries have an address

    # The books, filtered by type.
    page.select_option(_tid("entry-type-filter"), "settlement")
    types = page.locator(f"{_tid('entries-table')} {_tid('entry-type')}")
    expect(types.first).to_have_text("settlement")
    settlements = api.get("/api/v1/balance_transactions", params={"type": "settlement", "limit": 25}).json()
    expect(types).to_have_count(len(settlements["data"]))
    assert set(types.all_inner_texts()) == {"settlement"}
