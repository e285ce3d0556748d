"""Payment links through the running local stack: paid in two parts with both webhooks at a real
receiver; a shopper paying at the link's short_url in headless Chromium and sent back to the
merchant's callback_url with a signature it can verify; the dashboard's Payment links page creating,
showing (QR code, short_url) and cancelling a link.

PAYMENT_LINK_SCREENSHOTS=docs also saves docs/checkout-payment-link.png and docs/dashboard-payment-links.png."""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from devstack.static_sites import StaticSite
from stack.loopback import free_port
from tests.e2e.test_dashboard_browser import sign_in
from tests.e2e_support import LocalStack, dashboard_page, running_dashboard_stack
from tests.support import AUTH, WebhookReceiver, hex_hmac, wait_until

pytestmark = pytest.mark.e2e

SCREENSHOTS = os.environ.get("PAYMENT_LINK_SCREENSHOTS")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_dashboard_stack(Path(tmp_path_factory.mktemp("links-stack")), {}) as stack:
        yield stack


def _tid(name: str) -> str:
    return f'[data-test-id="{name}"]'


def _link_status(api: httpx.Client, link_id: str) -> str:
    return str(api.get(f"/api/v1/payment_links/{link_id}").json()["status"])


def test_a_link_paid_in_two_parts_goes_partially_paid_then_paid_with_both_webhooks(
    api: httpx.Client, stack: LocalStack
) -> None:
    receiver = WebhookReceiver().start()
    try:
        config = api.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url}).json()
        link = api.post(
            "/api/v1/payment_links",
            json={"amount": 10_000, "accept_partial": True, "first_min_partial_amount": 4_000, "reference_id": "E2E-1"},
        ).json()
        assert link["status"] == "created"
        first = api.post(
            "/api/v1/payments", json={"order_id": link["order_id"], "method": "upi", "vpa": "a@okhdfc", "amount": 4_000}
        )
        assert first.status_code == 201, first.text
        assert wait_until(lambda: _link_status(api, link["id"]) == "partially_paid", timeout=30)
        # The rest through the checkout's route, with the publishable key only.
        second = httpx.post(
            f"{stack.url}/api/v1/payments/public",
            json={"order_id": link["order_id"], "method": "upi", "vpa": "b@okhdfc", "amount": 6_000},
            headers={"X-Api-Key": AUTH["x-api-key"]},
        )
        assert second.status_code == 201, second.text
        assert wait_until(lambda: _link_status(api, link["id"]) == "paid", timeout=30)

        def link_events() -> list[Any]:
            return [w for w in receiver.received if w.json["event"].startswith("payment_link.")]

        assert wait_until(lambda: len(link_events()) == 2, timeout=30)
        partially, paid = sorted(link_events(), key=lambda w: w.json["data"]["payment_link"]["amount_paid"])
        assert partially.json["event"] == "payment_link.partially_paid"
        assert partially.json["data"]["payment"]["id"] == first.json()["id"]
        assert paid.json["event"] == "payment_link.paid" and paid.json["data"]["payment_link"]["amount_paid"] == 10_000
        for delivery in (partially, paid):
            assert delivery.headers["x-webhook-signature"] == hex_hmac(config["webhook_secret"], delivery.body)
    finally:
        api.put("/api/v1/merchant/webhook", json={"webhook_url": None})
        receiver.stop()


@pytest.fixture(scope="module")
def merchant_return_page() -> Iterator[str]:
    """The merchant's own page the shopper is sent back to (another origin)."""
    folder = Path(tempfile.mkdtemp(prefix="merchant-back-"))
    (folder / "back.html").write_text("<!doctype html><title>Thanks</title><h1 id='thanks'>Thank you</h1>")
    site = StaticSite(folder, free_port())
    site.start()
    yield f"http://localhost:{site.port}/back.html"
    site.stop()


def test_a_shopper_pays_part_of_a_link_at_its_short_url_and_returns_with_a_valid_signature(
    browser: Any, api: httpx.Client, stack: LocalStack, merchant_return_page: str
) -> None:
    link = api.post(
        "/api/v1/payment_links",
        json={
            "amount": 20_000,
            "description": "Invoice 42: garden chairs",
            "accept_partial": True,
            "first_min_partial_amount": 5_000,
            "reference_id": "INV-42",
            "callback_url": f"{merchant_return_page}?from=gateway",
        },
    ).json()
    assert link["short_url"] == f"{stack.checkout_origin}/l/{link['id']}"
    context = browser.new_context(viewport={"width": 390, "height": 780})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(link["short_url"])
        expect(page.locator(_tid("link-description"))).to_have_text("Invoice 42: garden chairs", timeout=20_000)
        assert page.locator(_tid("order-amount")).inner_text() == "₹200.00"
        amount = page.locator(_tid("partial-amount-input"))
        assert amount.input_value() == "200.00"
        amount.fill("10")  # below the first payment's minimum: refused before anything is sent
        page.locator(_tid("vpa-input")).fill("shopper@okaxis")
        page.locator(_tid("pay-button")).click()
        assert page.locator(_tid("validation-error")).inner_text() == "Enter between ₹50.00 and ₹200.00"
        amount.fill("80.00")
        if SCREENSHOTS:
            page.locator(_tid("validation-error")).evaluate("e => e.hidden = true")
            page.screenshot(path=str(Path(SCREENSHOTS) / "checkout-payment-link.png"))
        page.locator(_tid("pay-button")).click()
        page.wait_for_url(f"{merchant_return_page}*", timeout=30_000)
        params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query, keep_blank_values=True).items()}
    finally:
        context.close()
    assert errors == []
    assert params["from"] == "gateway" and params["payment_link_id"] == link["id"]
    assert (params["payment_link_reference_id"], params["payment_link_status"]) == ("INV-42", "partially_paid")
    # The merchant verifies the redirect with its webhook secret (README, "Payment links").
    secret = api.get("/api/v1/merchant/webhook").json()["webhook_secret"]
    message = "|".join(
        params[name] for name in ("payment_link_id", "payment_link_reference_id", "payment_link_status", "payment_id")
    )
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(params["signature"], expected)
    payment = api.get(f"/api/v1/payments/{params['payment_id']}").json()
    assert (payment["status"], payment["amount"], payment["order_id"]) == ("success", 8_000, link["order_id"])
    current = api.get(f"/api/v1/payment_links/{link['id']}").json()
    assert (current["status"], current["amount_paid"]) == ("partially_paid", 8_000)


def test_the_payment_links_page_creates_shows_and_cancels_a_link(
    browser: Any, api: httpx.Client, stack: LocalStack
) -> None:
    with dashboard_page(browser) as page:
        sign_in(page, stack, "/dashboard/payment-links")
        page.click(_tid("nav-payment-links"))
        page.fill(_tid("link-amount-input"), "0.50")
        page.click(_tid("create-link-button"))
        expect(page.locator(".inline-error, [role=alert]").first).to_contain_text("at least ₹1.00")
        page.fill(_tid("link-amount-input"), "1,250.50")
        page.fill(_tid("link-description-input"), "Workshop seat")
        page.fill(_tid("link-reference-input"), "WS-7")
        page.check(_tid("link-partial-input"))
        page.fill(_tid("link-first-min-input"), "500")
        page.click(_tid("create-link-button"))
        detail = page.locator(_tid("link-detail"))
        expect(detail.locator(_tid("link-detail-status"))).to_have_text("created")
        short_url = detail.locator(_tid("link-short-url")).inner_text()
        assert short_url.startswith(f"{stack.checkout_origin}/l/plink_")
        assert detail.locator(_tid("link-qr")).get_attribute("data-text") == short_url
        [created] = api.get("/api/v1/payment_links", params={"reference_id": "WS-7"}).json()["data"]
        assert (created["amount"], created["first_min_partial_amount"], created["short_url"]) == (
            125_050,
            50_000,
            short_url,
        )
        expect(page.locator(f'{_tid("link-row")}[data-link-id="{created["id"]}"]')).to_contain_text("₹1,250.50")
        if SCREENSHOTS:
            page.screenshot(path=str(Path(SCREENSHOTS) / "dashboard-payment-links.png"))
        page.click(_tid("cancel-link-button"))
        page.click(_tid("confirm-cancel-link"))
        expect(detail.locator(_tid("link-detail-status"))).to_have_text("cancelled")
        assert api.get(f"/api/v1/payment_links/{created['id']}").json()["status"] == "cancelled"
        expect(page.locator(_tid("cancel-link-button"))).to_have_count(0)
