"""The SDK and the hosted checkout in real headless Chromium, on a merchant page of another origin."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.static_sites import StaticSite
from stack.loopback import free_port
from tests.e2e_support import LocalStack
from tests.support import AUTH, ROOT

pytestmark = pytest.mark.e2e

MERCHANT_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Merchant</title>
<script src="{checkout_origin}/checkout.js"></script></head>
<body><h1>Merchant shop</h1><button id="other">Something else on the page</button>
<script>
window.events = [];
window.openCheckout = function (orderId) {{
  window.checkout = new PaymentGateway({{
    key: "key_test_abc123", orderId: orderId,
    onSuccess: function (d) {{ window.events.push({{type: "success", data: d}}); }},
    onFailure: function (e) {{ window.events.push({{type: "failure", data: e}}); }},
    onClose: function () {{ window.events.push({{type: "close"}}); }}
  }});
  window.checkout.open();
}};
</script></body></html>"""


@pytest.fixture(scope="session")
def merchant_site(local_stack: LocalStack) -> Iterator[str]:
    """A merchant page on its own origin (another port) that loads checkout.js from the checkout origin."""
    folder = Path(tempfile.mkdtemp(prefix="merchant-"))
    (folder / "index.html").write_text(MERCHANT_PAGE.format(checkout_origin=local_stack.checkout_origin))
    site = StaticSite(folder, free_port())
    site.start()
    yield f"http://localhost:{site.port}/index.html"
    site.stop()


@pytest.fixture
def page(browser: Any, merchant_site: str, local_stack: LocalStack) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 780})  # a phone
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    order = httpx.post(f"{local_stack.url}/api/v1/orders", json={"amount": 49_900}, headers=AUTH).json()
    page.goto(merchant_site)
    page.evaluate("id => window.openCheckout(id)", order["id"])
    page.order = order  # type: ignore[attr-defined]
    yield page
    context.close()
    assert errors == []


def _checkout(page: Any) -> Any:
    return page.frame_locator('[data-test-id="payment-iframe"]')


def _events(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.events"))


def test_upi_payment_in_the_modal_reports_success(page: Any, local_stack: LocalStack) -> None:
    modal = page.locator('[data-test-id="payment-modal"]')
    assert modal.is_visible()
    frame = _checkout(page)
    frame.locator('[data-test-id="order-amount"]').wait_for()
    assert frame.locator('[data-test-id="order-amount"]').inner_text() == "₹499.00"
    assert frame.locator('[data-test-id="order-id"]').inner_text() == page.order["id"]
    box = page.locator('[data-test-id="payment-iframe"]').bounding_box()
    assert box["width"] <= 390 and box["height"] <= 780  # fits a phone
    screenshot = os.environ.get("CHECKOUT_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot)

    frame.locator('[data-test-id="vpa-input"]').fill("shopper@okaxis")
    frame.locator('[data-test-id="pay-button"]').click()
    frame.locator('[data-test-id="processing-state"]').wait_for()
    page.wait_for_function("window.events.some(e => e.type === 'success')", timeout=30_000)

    [success] = [e for e in _events(page) if e["type"] == "success"]
    payment_id = success["data"]["paymentId"]
    assert success["data"]["orderId"] == page.order["id"] and payment_id.startswith("pay_")
    assert modal.count() == 0  # closed on success
    payment = httpx.get(f"{local_stack.url}/api/v1/payments/{payment_id}", headers=AUTH).json()
    assert (payment["status"], payment["order_id"], payment["vpa"]) == ("success", page.order["id"], "shopper@okaxis")


def test_card_validation_errors_are_shown_and_nothing_is_sent(page: Any, local_stack: LocalStack) -> None:
    frame = _checkout(page)
    frame.locator('[data-test-id="method-card"]').click()
    frame.locator('[data-test-id="card-number-input"]').fill("4111 1111 1111 1112")
    frame.locator('[data-test-id="expiry-input"]').fill("12/30")
    frame.locator('[data-test-id="cvv-input"]').fill("123")
    frame.locator('[data-test-id="pay-button"]').click()
    error = frame.locator('[data-test-id="validation-error"]')
    assert error.inner_text() == "Enter a valid card number"
    frame.locator('[data-test-id="card-number-input"]').fill("4111 1111 1111 1111")
    frame.locator('[data-test-id="expiry-input"]').fill("01/20")
    frame.locator('[data-test-id="pay-button"]').click()
    assert error.inner_text() == "This card has expired"
    frame.locator('[data-test-id="expiry-input"]').fill("12/30")
    frame.locator('[data-test-id="cvv-input"]').fill("1")
    frame.locator('[data-test-id="pay-button"]').click()
    assert error.inner_text() == "Enter the 3 or 4 digit CVV"
    listed = httpx.get(f"{local_stack.url}/api/v1/payments", params={"order_id": page.order["id"]}, headers=AUTH)
    assert listed.json()["total"] == 0


def test_close_button_and_escape_call_on_close(page: Any, merchant_site: str) -> None:
    page.locator('[data-test-id="close-modal-button"]').click()
    assert page.locator('[data-test-id="payment-modal"]').count() == 0
    assert _events(page) == [{"type": "close"}]
    page.evaluate("() => window.checkout.open()")
    page.locator('[data-test-id="payment-modal"]').wait_for()
    page.keyboard.press("Escape")
    assert page.locator('[data-test-id="payment-modal"]').count() == 0
    assert _events(page) == [{"type": "close"}, {"type": "close"}]


def test_focus_stays_in_the_modal(page: Any) -> None:
    _checkout(page).locator('[data-test-id="vpa-input"]').wait_for()
    for _ in range(12):
        page.keyboard.press("Tab")
        # Focus crosses between the page and the (out-of-process) checkout frame asynchronously, so
        # for a moment it can be on neither; it must come to rest inside the modal, never outside.
        page.wait_for_function(
            "() => document.querySelector('[data-test-id=payment-modal]').contains(document.activeElement)"
            " && document.activeElement !== document.body",
            timeout=2000,
        )


def test_a_forged_message_from_another_origin_is_ignored(page: Any) -> None:
    _checkout(page).locator('[data-test-id="order-amount"]').wait_for()
    # The merchant page (not the checkout origin) posts what a successful checkout would.
    page.evaluate("window.postMessage({type: 'payment_success', data: {paymentId: 'pay_forged'}}, '*')")
    page.evaluate("window.postMessage({type: 'close_modal'}, '*')")
    page.wait_for_timeout(500)
    assert _events(page) == []
    assert page.locator('[data-test-id="payment-modal"]').is_visible()


def test_missing_key_or_order_is_a_clear_error(page: Any) -> None:
    message = page.evaluate(
        "() => { try { new PaymentGateway({orderId: 'order_x'}); } catch (e) { return e.message; } }"
    )
    assert message == "PaymentGateway: `key` is required"
    message = page.evaluate("() => { try { new PaymentGateway({key: 'k'}); } catch (e) { return e.message; } }")
    assert message == "PaymentGateway: `orderId` is required"


def test_checkout_page_sends_a_csp_for_embedding(local_stack: LocalStack) -> None:
    response = httpx.get(f"{local_stack.checkout_origin}/checkout?order_id=x&key=y")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors" in csp and "script-src 'self'" in csp and local_stack.url in csp
    assert response.status_code == 200 and 'data-test-id="checkout-container"' in response.text


def test_cors_allows_the_checkout_origin_on_public_endpoints_only(local_stack: LocalStack) -> None:
    origin = {"Origin": local_stack.checkout_origin}
    preflight = httpx.options(
        f"{local_stack.url}/api/v1/payments/public", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == local_stack.checkout_origin
    private = httpx.get(f"{local_stack.url}/api/v1/payments", headers={**AUTH, **origin})
    assert "access-control-allow-origin" not in private.headers
    stranger = httpx.get(f"{local_stack.url}/api/v1/orders/x/public", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers


def test_sdk_is_small() -> None:
    size = (ROOT / "sdk" / "checkout.js").stat().st_size
    assert size < 16_000, f"checkout.js grew to {size} bytes"
