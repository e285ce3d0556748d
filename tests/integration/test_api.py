"""The API handler with API Gateway HTTP API events, on the real Postgres and SQS endpoint."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support import VALID_CARD, Gateway, function_logs

ID = re.compile(r"^(order|pay)_[A-Za-z0-9]{16}$")


def test_health_reports_connected_dependencies(gateway: Gateway) -> None:
    response = gateway.api("GET", "/health", headers={"x-api-key": None, "x-api-secret": None})
    assert response.status == 200
    assert response.json["status"] == "healthy"
    assert response.json["database"] == "connected" and response.json["queue"] == "connected"
    assert response.json["timestamp"]


def test_health_is_unhealthy_when_the_database_is_down(gateway: Gateway, setting: Any) -> None:
    setting("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    response = gateway.api("GET", "/health")
    assert response.status == 503
    assert response.json["status"] == "unhealthy" and response.json["database"] == "disconnected"


def test_test_merchant_is_seeded(gateway: Gateway) -> None:
    response = gateway.api("GET", "/api/v1/test/merchant", headers={"x-api-key": None, "x-api-secret": None})
    assert response.status == 200
    assert response.json == {
        "id": "550e8400-e29b-41d4-a716-446655440000",
        "email": "test@example.com",
        "api_key": "key_test_abc123",
        "seeded": True,
    }


def test_create_and_fetch_an_order(gateway: Gateway) -> None:
    response = gateway.api("POST", "/api/v1/orders", {"amount": 50000, "receipt": "rcpt_1", "notes": {"k": "v"}})
    assert response.status == 201
    order = response.json
    assert ID.match(order["id"]) and order["id"].startswith("order_")
    assert order["merchant_id"] == "550e8400-e29b-41d4-a716-446655440000"
    assert (order["amount"], order["currency"], order["status"]) == (50000, "INR", "created")
    assert (order["receipt"], order["notes"]) == ("rcpt_1", {"k": "v"})
    fetched = gateway.api("GET", f"/api/v1/orders/{order['id']}")
    assert fetched.status == 200 and fetched.json == order


def test_upi_payment_is_created_pending_and_enqueued(gateway: Gateway) -> None:
    order = gateway.create_order(12345)
    response = gateway.api(
        "POST", "/api/v1/payments", {"order_id": order["id"], "method": "upi", "vpa": "shopper@okhdfc"}
    )
    assert response.status == 201
    payment = response.json
    assert payment["id"].startswith("pay_") and ID.match(payment["id"])
    assert (payment["amount"], payment["currency"], payment["method"]) == (12345, "INR", "upi")
    assert (payment["vpa"], payment["status"]) == ("shopper@okhdfc", "pending")
    assert "card_last4" not in payment
    messages = gateway.receive("PaymentsQueue")
    assert [json.loads(m["Body"]) for m in messages] == [{"payment_id": payment["id"]}]
    assert gateway.rows("SELECT sent_at IS NOT NULL AS sent FROM outbox") == [{"sent": True}]
    assert gateway.api("GET", f"/api/v1/payments/{payment['id']}").json == payment


def test_card_payment_keeps_only_network_and_last4(gateway: Gateway) -> None:
    order = gateway.create_order()
    card = {
        "number": "5500-0000-0000-0004",
        "expiry_month": 12,
        "expiry_year": 2031,
        "cvv": "987",
        "holder_name": "A Shopper",
    }
    response = gateway.api("POST", "/api/v1/payments", {"order_id": order["id"], "method": "card", "card": card})
    assert response.status == 201
    assert (response.json["card_network"], response.json["card_last4"]) == ("mastercard", "0004")
    # Not echoed: no card field, no value equal to the CVV (a substring test would trip on timestamps).
    assert "5500000000000004" not in response.body and "cvv" not in response.body
    assert "987" not in {str(value) for value in response.json.values()}
    stored = json.dumps(gateway.rows("SELECT row_to_json(p)::text AS r FROM payments p"))
    assert "5500000000000004" not in stored and "5500-0000" not in stored and '"987"' not in stored


def test_an_order_cannot_have_two_live_payments(gateway: Gateway) -> None:
    order = gateway.create_order()
    gateway.create_payment(order["id"])
    second = gateway.api("POST", "/api/v1/payments", {"order_id": order["id"], "method": "card", "card": VALID_CARD})
    assert second.status == 400
    assert second.json["error"]["code"] == "BAD_REQUEST_ERROR"
    assert gateway.count("payments") == 1


@pytest.mark.parametrize(
    ("headers", "path"),
    [
        ({"x-api-key": None, "x-api-secret": None}, "/api/v1/orders/order_x"),
        ({"x-api-secret": "wrong"}, "/api/v1/orders/order_x"),
        ({"x-api-key": "key_nobody"}, "/api/v1/payments/pay_x"),
        ({"x-api-secret": None}, "/api/v1/merchant/webhook"),
    ],
)
def test_bad_credentials_get_401(gateway: Gateway, headers: dict[str, str | None], path: str) -> None:
    response = gateway.api("GET", path, headers=headers)
    assert response.status == 401
    assert response.json == {"error": {"code": "AUTHENTICATION_ERROR", "description": "Invalid API credentials"}}


def test_unknown_and_foreign_ids_are_404(gateway: Gateway) -> None:
    order = gateway.create_order()
    payment = gateway.create_payment(order["id"])
    gateway.rows(
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, webhook_secret)"
        " VALUES ('Other', 'other@example.com', 'key_other', encode(sha256('secret_other'), 'hex'), 'whsec_other')"
        " RETURNING id"
    )
    other = {"x-api-key": "key_other", "x-api-secret": "secret_other"}
    for path in (
        f"/api/v1/orders/{order['id']}",
        f"/api/v1/payments/{payment['id']}",
        "/api/v1/orders/order_nope",
        "/api/v1/payments/pay_nope",
    ):
        response = gateway.api("GET", path, headers=other)
        assert response.status == 404, path
        assert response.json["error"]["code"] == "NOT_FOUND_ERROR"
    foreign = gateway.api(
        "POST", "/api/v1/payments", {"order_id": order["id"], "method": "upi", "vpa": "a@b"}, headers=other
    )
    assert foreign.status == 404


def test_unknown_route_is_404_in_the_envelope(gateway: Gateway) -> None:
    response = gateway.api("GET", "/api/v1/nothing-here")
    assert response.status == 404 and response.json["error"]["code"] == "NOT_FOUND_ERROR"


BAD_ORDERS: list[Any] = [
    {"amount": 99},
    {"amount": 100.5},
    {"amount": 100.0},
    {"amount": "5000"},
    {"amount": True},
    {"amount": None},
    {},
    {"amount": 5000, "currency": "inr"},
    {"amount": 5000, "currency": 5},
    {"amount": 5000, "notes": "text"},
    {"amount": 5000, "notes": {f"k{n}": "v" for n in range(16)}},  # more than 15 pairs
    {"amount": 5000, "notes": {"k": "v" * 257}},
    {"amount": 5000, "notes": {"k" * 257: "v"}},
    {"amount": 5000, "notes": {"k": {"nested": "object"}}},
    {"amount": 5000, "notes": {"k": ["a", "list"]}},
    {"amount": 5000, "notes": {"k": 1.5}},
    {"amount": 5000, "notes": {"": "empty key"}},
    {"amount": 5000, "unexpected": 1},
    [],
    "5000",
]


@pytest.mark.parametrize("body", BAD_ORDERS)
def test_bad_order_bodies_get_400_and_write_nothing(gateway: Gateway, body: Any) -> None:
    response = gateway.api("POST", "/api/v1/orders", body)
    assert response.status == 400, response.body
    assert response.json["error"]["code"] == "BAD_REQUEST_ERROR"
    assert response.json["error"]["description"]
    assert gateway.count("orders") == 0


@pytest.mark.parametrize("raw", [b"{bad json", b"", b"\xff\xfe", b"null"])
def test_malformed_bodies_get_400(gateway: Gateway, raw: bytes) -> None:
    response = gateway.api("POST", "/api/v1/orders", raw=raw)
    assert response.status == 400, response.body
    assert response.json["error"]["code"] == "BAD_REQUEST_ERROR"


def _card(**changes: Any) -> dict[str, Any]:
    return {**VALID_CARD, **changes}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"method": "upi", "vpa": "not-a-vpa"}, "INVALID_VPA"),
        ({"method": "upi", "vpa": "a@b.c"}, "INVALID_VPA"),
        ({"method": "upi"}, "BAD_REQUEST_ERROR"),
        ({"method": "upi", "vpa": 5}, "BAD_REQUEST_ERROR"),
        ({"method": "cash"}, "BAD_REQUEST_ERROR"),
        ({"method": None}, "BAD_REQUEST_ERROR"),
        ({"method": "card", "card": _card(number="4111111111111112")}, "INVALID_CARD"),
        ({"method": "card", "card": _card(number="4111 1111")}, "INVALID_CARD"),
        ({"method": "card", "card": _card(cvv="12")}, "INVALID_CARD"),
        ({"method": "card", "card": _card(expiry_year="2020")}, "EXPIRED_CARD"),
        ({"method": "card", "card": _card(expiry_month="13")}, "EXPIRED_CARD"),
        ({"method": "card", "card": _card(number=4111111111111111)}, "BAD_REQUEST_ERROR"),
        ({"method": "card", "card": "4111111111111111"}, "BAD_REQUEST_ERROR"),
        ({"method": "card"}, "BAD_REQUEST_ERROR"),
        ({"method": "card", "card": _card(expiry_month=1.5)}, "BAD_REQUEST_ERROR"),
    ],
)
def test_bad_payments_get_clear_errors_and_write_nothing(gateway: Gateway, body: dict[str, Any], code: str) -> None:
    order = gateway.create_order()
    response = gateway.api("POST", "/api/v1/payments", {"order_id": order["id"], **body})
    assert response.status == 400, response.body
    assert response.json["error"]["code"] == code
    assert "4111111111111111" not in response.body and "4111111111111112" not in response.body
    assert gateway.count("payments") == 0 and gateway.count("outbox") == 0
    assert gateway.receive("PaymentsQueue", wait_seconds=0) == []


def test_payment_for_unknown_order_is_404(gateway: Gateway) -> None:
    response = gateway.api("POST", "/api/v1/payments", {"order_id": "order_missing", "method": "upi", "vpa": "a@b"})
    assert response.status == 404 and response.json["error"]["code"] == "NOT_FOUND_ERROR"


def test_webhook_settings_round_trip(gateway: Gateway) -> None:
    initial = gateway.api("GET", "/api/v1/merchant/webhook")
    assert initial.json == {"webhook_url": None, "webhook_secret": "whsec_test_abc123"}
    updated = gateway.api("PUT", "/api/v1/merchant/webhook", {"webhook_url": "http://127.0.0.1:9/hook"})
    assert updated.status == 200
    assert updated.json == {"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "whsec_test_abc123"}
    assert gateway.api("GET", "/api/v1/merchant/webhook").json == updated.json
    cleared = gateway.api("PUT", "/api/v1/merchant/webhook", {"webhook_url": None})
    assert cleared.json["webhook_url"] is None


@pytest.mark.parametrize("url", ["ftp://example.com/x", "not a url", "http://", "/relative"])
def test_webhook_url_must_be_absolute_http(gateway: Gateway, url: str) -> None:
    response = gateway.api("PUT", "/api/v1/merchant/webhook", {"webhook_url": url})
    assert response.status == 400 and response.json["error"]["code"] == "BAD_REQUEST_ERROR"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.0.0.5/x",
        "http://169.254.169.254/latest",
        "http://localhost:8080/x",
        "http://[::1]/x",
    ],
)
def test_outside_local_mode_private_webhook_urls_are_refused(gateway: Gateway, setting: Any, url: str) -> None:
    setting("STAGE", "prod")
    setting("TEST_MODE", "false")
    response = gateway.api("PUT", "/api/v1/merchant/webhook", {"webhook_url": url})
    assert response.status == 400, response.body
    assert gateway.rows("SELECT url FROM webhook_endpoints WHERE is_default") == [{"url": None}]


def test_test_routes_are_hidden_outside_local_mode(gateway: Gateway, setting: Any) -> None:
    setting("STAGE", "prod")
    setting("TEST_MODE", "false")
    assert gateway.api("GET", "/api/v1/test/merchant").status == 404
    assert gateway.api("GET", "/api/v1/test/jobs/status").status == 404


def test_job_status_counts_come_from_tables_and_queues(gateway: Gateway) -> None:
    first = gateway.api("GET", "/api/v1/test/jobs/status").json
    assert first == {"pending": 0, "processing": 0, "completed": 0, "failed": 0, "worker_status": "running"}
    order = gateway.create_order()
    gateway.create_payment(order["id"])
    assert gateway.api("GET", "/api/v1/test/jobs/status").json["pending"] == 1


HOSTILE_REQUESTS: list[tuple[str, str, bytes, dict[str, str | None], int]] = [
    ("POST", "/api/v1/orders", b'{"amount":5000}', {"content-type": "text/plain"}, 415),
    ("POST", "/api/v1/orders", b"<order/>", {"content-type": "application/xml"}, 415),
    ("POST", "/api/v1/orders", b"--x", {"content-type": "multipart/form-data"}, 415),
    ("POST", "/api/v1/orders", b'{"amount":5000,"receipt":"a\\u0000b"}', {}, 400),
    ("POST", "/api/v1/orders", b'{"amount":5000,"notes":{"k":"\\u0000"}}', {}, 400),
    ("POST", "/api/v1/orders", b'{"amount":5000,"notes":{"\\u0000":"v"}}', {}, 400),
    ("POST", "/api/v1/orders", b'{"amount":5000,"notes":{"k":"\\udfff"}}', {}, 400),
    ("POST", "/api/v1/orders", b'{"amount":5000,"notes":{"k":1e999}}', {}, 400),
    ("POST", "/api/v1/orders", b"[" * 10_000 + b"]" * 10_000, {}, 400),
    ("POST", "/api/v1/orders", b'{"amount":5000,"notes":' + b'{"k":' * 40 + b"1" + b"}" * 41, {}, 400),
    ("POST", "/api/v1/payments", b'{"order_id":"order_\\u0000","method":"upi","vpa":"a@okhdfc"}', {}, 400),
    ("PUT", "/api/v1/merchant/webhook", b'{"webhook_url":"http://x.test/\\u0000"}', {}, 400),
    ("POST", "/api/v1/auth/login", b'{"email":"a\\u0000@b.c","password":"x"}', {}, 400),
    ("GET", "/api/v1/orders?search=%00", b"", {}, 400),
    ("GET", "/api/v1/payments?starting_after=%00", b"", {}, 400),
    ("GET", "/api/v1/refunds?starting_after=%00", b"", {}, 400),
    ("GET", "/api/v1/webhooks?search=%00", b"", {}, 400),
    ("GET", "/api/v1/webhooks?starting_after=abc", b"", {}, 400),
    ("GET", "/api/v1/payments/pay_%00", b"", {}, 400),
]


@pytest.mark.parametrize(("method", "path", "raw", "headers", "status"), HOSTILE_REQUESTS)
def test_hostile_input_is_a_clear_4xx_never_a_500_and_writes_nothing(
    gateway: Gateway, method: str, path: str, raw: bytes, headers: dict[str, str | None], status: int
) -> None:
    response = gateway.api(method, path, raw=raw, headers=headers)  # type: ignore[arg-type]
    assert response.status == status, response.body
    assert response.json["error"]["code"] in ("BAD_REQUEST_ERROR", "UNSUPPORTED_MEDIA_TYPE")
    assert gateway.count("orders") == 0 and gateway.count("payments") == 0


def test_notes_within_the_limits_are_kept(gateway: Gateway) -> None:
    notes = {f"key{n}": "v" * 256 for n in range(14)} | {"flag": True}
    response = gateway.api("POST", "/api/v1/orders", {"amount": 5000, "notes": notes})
    assert response.status == 201, response.body
    assert response.json["notes"] == notes


def test_an_unexpected_error_is_logged_without_the_values_it_carries(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Database errors put the failing row (a merchant's notes, say) in their DETAIL line."""
    from gateway.adapters import order_store

    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError('new row violates a constraint\nDETAIL:  Failing row contains ({"canary": "private-note"}).')

    import api_handler  # noqa: F401 - its logger (and JSON formatter) exists before the capture starts

    monkeypatch.setattr(order_store, "insert_order", failing)
    with function_logs("api") as logs:
        response = gateway.api("POST", "/api/v1/orders", {"amount": 5000, "notes": {"canary": "private-note"}})
    assert response.status == 500 and response.json["error"]["code"] == "INTERNAL_ERROR"
    logged = logs.getvalue()
    assert "new row violates a constraint" in logged and "in failing" in logged  # the error and its stack
    assert "private-note" not in logged
