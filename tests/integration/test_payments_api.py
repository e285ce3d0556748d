"""Capture, lists and cursor paging, public checkout endpoints, creation events, OpenAPI, request ids."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from gateway.domain import outbox, payments
from gateway.models.jobs import PaymentJob
from tests.support import Gateway

PUBLIC = {"x-api-secret": None}


def _paid(gateway: Gateway, amount: int = 50_000) -> dict[str, Any]:
    payment = gateway.create_payment(gateway.create_order(amount)["id"])
    payments.process_payment(PaymentJob(payment_id=payment["id"]))
    return payment


# --- capture ----------------------------------------------------------------------------------


def test_capture_a_successful_payment(gateway: Gateway) -> None:
    payment = _paid(gateway)
    response = gateway.api("POST", f"/api/v1/payments/{payment['id']}/capture", {"amount": 50_000})
    assert response.status == 200
    assert response.json["captured"] is True and response.json["captured_at"]
    again = gateway.api("POST", f"/api/v1/payments/{payment['id']}/capture", {"amount": 50_000})
    assert again.status == 400 and again.json["error"]["description"] == "Payment not in capturable state"


def test_only_successful_payments_can_be_captured(gateway: Gateway) -> None:
    pending = gateway.create_payment(gateway.create_order()["id"])
    response = gateway.api("POST", f"/api/v1/payments/{pending['id']}/capture", {"amount": 50_000})
    assert response.status == 400
    assert response.json == {"error": {"code": "BAD_REQUEST_ERROR", "description": "Payment not in capturable state"}}


@pytest.mark.parametrize("body", [{"amount": 40_000}, {"amount": "50000"}, {"amount": 500.0}, {}])
def test_capture_amount_must_be_the_payment_amount(gateway: Gateway, body: dict[str, Any]) -> None:
    payment = _paid(gateway)
    response = gateway.api("POST", f"/api/v1/payments/{payment['id']}/capture", body)
    assert response.status == 400
    assert gateway.rows("SELECT captured FROM payments") == [{"captured": False}]


def test_capture_of_unknown_payment_is_404(gateway: Gateway) -> None:
    assert gateway.api("POST", "/api/v1/payments/pay_missing/capture", {"amount": 50_000}).status == 404


# --- lists ------------------------------------------------------------------------------------


def _make_payments(gateway: Gateway, count: int) -> list[dict[str, Any]]:
    made = []
    for n in range(count):
        method = "upi" if n % 2 == 0 else "card"
        made.append(gateway.create_payment(gateway.create_order(10_000 + n)["id"], method))
    return made


def test_list_payments_newest_first_with_total_and_offset(gateway: Gateway) -> None:
    made = _make_payments(gateway, 7)
    page = gateway.api("GET", "/api/v1/payments?limit=3&offset=2").json
    assert (page["total"], page["limit"], page["offset"], page["has_more"]) == (7, 3, 2, True)
    newest_first = [p["id"] for p in reversed(made)]
    assert [p["id"] for p in page["data"]] == newest_first[2:5]


def test_cursor_paging_walks_every_payment_once(gateway: Gateway) -> None:
    made = _make_payments(gateway, 7)
    seen: list[str] = []
    cursor = ""
    while True:
        page = gateway.api("GET", f"/api/v1/payments?limit=3{cursor}").json
        seen += [p["id"] for p in page["data"]]
        if not page["has_more"]:
            break
        cursor = f"&starting_after={page['data'][-1]['id']}"
    assert seen == [p["id"] for p in reversed(made)]


def test_payment_filters(gateway: Gateway) -> None:
    made = _make_payments(gateway, 6)
    payments.process_payment(PaymentJob(payment_id=made[0]["id"]))
    upi = gateway.api("GET", "/api/v1/payments?method=upi").json
    assert upi["total"] == 3 and {p["method"] for p in upi["data"]} == {"upi"}
    success = gateway.api("GET", "/api/v1/payments?status=success").json
    assert [p["id"] for p in success["data"]] == [made[0]["id"]]
    by_order = gateway.api("GET", f"/api/v1/payments?order_id={made[3]['order_id']}").json
    assert [p["id"] for p in by_order["data"]] == [made[3]["id"]]
    for term in (made[4]["id"], made[4]["order_id"]):
        assert [p["id"] for p in gateway.api("GET", f"/api/v1/payments?search={term}").json["data"]] == [made[4]["id"]]
    future = gateway.api("GET", "/api/v1/payments?from=2100-01-01T00:00:00Z").json
    assert future["total"] == 0
    window = gateway.api("GET", "/api/v1/payments?from=1700000000&to=2100-01-01T00:00:00Z").json
    assert window["total"] == 6


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "offset=-1",
        "status=paid",
        "method=cash",
        "from=yesterday",
        "from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
        "offset=5&starting_after=pay_x",
        "colour=blue",
        "starting_after=pay_unknown",
    ],
)
def test_bad_list_parameters_are_400(gateway: Gateway, query: str) -> None:
    response = gateway.api("GET", f"/api/v1/payments?{query}")
    assert response.status == 400, response.body
    assert response.json["error"]["code"] == "BAD_REQUEST_ERROR"


def test_list_orders(gateway: Gateway) -> None:
    orders = [gateway.create_order(10_000 + n) for n in range(4)]
    gateway.create_payment(orders[1]["id"])
    page = gateway.api("GET", "/api/v1/orders?limit=2").json
    assert page["total"] == 4 and [o["id"] for o in page["data"]] == [orders[3]["id"], orders[2]["id"]]
    attempted = gateway.api("GET", "/api/v1/orders?status=attempted").json
    assert [o["id"] for o in attempted["data"]] == [orders[1]["id"]]
    assert gateway.api("GET", "/api/v1/orders?status=bogus").status == 400


def test_lists_show_only_the_callers_objects(gateway: Gateway) -> None:
    _make_payments(gateway, 2)
    gateway.execute(
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, webhook_secret)"
        " VALUES ('Other', 'o@example.com', 'key_o', encode(sha256('secret_o'), 'hex'), 'whsec_o')"
    )
    other = {"x-api-key": "key_o", "x-api-secret": "secret_o"}
    assert gateway.api("GET", "/api/v1/payments", headers=other).json["total"] == 0
    assert gateway.api("GET", "/api/v1/orders", headers=other).json["total"] == 0


# --- public checkout endpoints ----------------------------------------------------------------


def test_public_order_shows_only_what_a_shopper_needs(gateway: Gateway) -> None:
    order = gateway.create_order(49_900, receipt="secret-receipt", notes={"internal": "x"})
    response = gateway.api("GET", f"/api/v1/orders/{order['id']}/public", headers=PUBLIC)
    assert response.status == 200
    assert response.json == {
        "id": order["id"],
        "amount": 49_900,
        "currency": "INR",
        "status": "created",
        "merchant_name": "Test Merchant",
    }


def test_public_payment_create_and_status(gateway: Gateway) -> None:
    order = gateway.create_order()
    created = gateway.api(
        "POST", "/api/v1/payments/public", {"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"}, headers=PUBLIC
    )
    assert created.status == 201
    assert set(created.json) == {"id", "order_id", "amount", "currency", "method", "status"}
    status = gateway.api("GET", f"/api/v1/payments/{created.json['id']}/public", headers=PUBLIC)
    assert status.json == created.json
    payments.process_payment(PaymentJob(payment_id=created.json["id"]))
    assert gateway.api("GET", f"/api/v1/payments/{created.json['id']}/public", headers=PUBLIC).json["status"] == (
        "success"
    )
    # A paid order cannot be paid twice.
    twice = gateway.api(
        "POST", "/api/v1/payments/public", {"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"}, headers=PUBLIC
    )
    assert twice.status == 400 and twice.json["error"]["description"] == "Order is already paid"


def test_public_endpoints_need_a_valid_key_and_reach_no_private_route(gateway: Gateway) -> None:
    order = gateway.create_order()
    assert (
        gateway.api(
            "GET", f"/api/v1/orders/{order['id']}/public", headers={"x-api-key": "nope", "x-api-secret": None}
        ).status
        == 401
    )
    # The public key alone opens nothing private.
    assert gateway.api("GET", f"/api/v1/orders/{order['id']}", headers=PUBLIC).status == 401
    assert gateway.api("GET", "/api/v1/payments", headers=PUBLIC).status == 401


def test_public_payment_rules_match_the_private_ones(gateway: Gateway) -> None:
    order = gateway.create_order()
    bad = gateway.api(
        "POST", "/api/v1/payments/public", {"order_id": order["id"], "method": "upi", "vpa": "x"}, headers=PUBLIC
    )
    assert bad.status == 400 and bad.json["error"]["code"] == "INVALID_VPA"


# --- events, OpenAPI, request ids -------------------------------------------------------------


def test_creating_a_payment_records_its_events_and_makes_one_queue_call(gateway: Gateway) -> None:
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    payment = gateway.create_payment(gateway.create_order()["id"])
    logs = gateway.rows("SELECT id::text, event, payload FROM webhook_logs ORDER BY created_at, event")
    assert [log["event"] for log in logs] == ["payment.created", "payment.pending"]
    assert all(json.loads(log["payload"])["data"]["payment"]["id"] == payment["id"] for log in logs)
    # The request sent only the job; the events are committed, unsent, and named in the job.
    assert gateway.receive("WebhooksQueue", wait_seconds=0) == []
    unsent = gateway.rows("SELECT id FROM outbox WHERE sent_at IS NULL AND queue = 'webhooks' ORDER BY id")
    [job] = gateway.receive("PaymentsQueue")
    assert json.loads(job["Body"]) == {"payment_id": payment["id"], "event_outbox_ids": [row["id"] for row in unsent]}


def test_the_payments_consumer_sends_the_events_the_request_left_with_the_outcome(gateway: Gateway) -> None:
    gateway.set_webhook_url("http://127.0.0.1:9/hook")
    gateway.create_payment(gateway.create_order()["id"])
    assert gateway.process_payment_jobs() == 1
    queued = [json.loads(m["Body"])["webhook_log_id"] for m in gateway.receive("WebhooksQueue")]
    logs = {row["id"]: row["event"] for row in gateway.rows("SELECT id::text, event FROM webhook_logs")}
    assert sorted(logs[log_id] for log_id in queued) == ["payment.created", "payment.pending", "payment.success"]
    assert gateway.rows("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL") == [{"n": 0}]
    # A second delivery of the same job (or the relay after it) sends nothing again.
    assert outbox.publish_unsent([row["id"] for row in gateway.rows("SELECT id FROM outbox")]) == 0


def test_openapi_document_is_valid_and_covers_the_api(gateway: Gateway) -> None:
    response = gateway.api("GET", "/api/v1/openapi.json")
    assert response.status == 200
    document = response.json
    validate(document)
    paths = document["paths"]
    for path in (
        "/api/v1/orders",
        "/api/v1/payments",
        "/api/v1/payments/{payment_id}/capture",
        "/api/v1/payments/public",
        "/api/v1/orders/{order_id}/public",
        "/api/v1/merchant/webhook",
    ):
        assert path in paths, path
    assert "CreateOrderRequest" in document["components"]["schemas"]
    # The statuses the API really answers, in the error envelope; 422 only for a reused key.
    for path, operations in paths.items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"400", "404", "503"} <= statuses, (method, path)
            assert ("422" in statuses) == (
                method == "post" and path.endswith(("/orders", "/payments", "/public", "/refunds", "/payment_links"))
            )
            if method in ("post", "put"):
                assert {"413", "415"} <= statuses, (method, path)
            error = operation["responses"]["400"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorEnvelope"}
    # Who needs which credentials.
    assert paths["/health"]["get"]["security"] == [] and paths["/api/v1/auth/login"]["post"]["security"] == []
    assert paths["/api/v1/payments/public"]["post"]["security"] == [{"apiKey": []}]
    assert "security" not in paths["/api/v1/payments"]["post"]  # the document's default: key and secret
    assert "401" in paths["/api/v1/payments"]["post"]["responses"] and "401" not in paths["/health"]["get"]["responses"]
    assert "401" in paths["/api/v1/auth/login"]["post"]["responses"]  # a wrong password
    # /health is described by its real schema, and card fields carry their constraints.
    health = paths["/health"]["get"]["responses"]
    assert health["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Health"}
    assert "503" in health
    card = document["components"]["schemas"]["CardDetails"]["properties"]
    assert card["number"]["pattern"] and card["cvv"]["pattern"] == "^[0-9]{3,4}$"
    docs = gateway.api("GET", "/api/v1/docs")
    assert docs.status == 200 and "swagger" in docs.body.lower()


def test_every_response_carries_a_request_id(gateway: Gateway) -> None:
    for method, path in (("GET", "/health"), ("GET", "/api/v1/nope"), ("POST", "/api/v1/orders")):
        response = gateway.api(method, path)
        assert response.headers.get("X-Request-Id"), (method, path)
