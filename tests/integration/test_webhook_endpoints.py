"""Several webhook endpoints per merchant, each with its own secret and event filter, through the
real queue endpoint to real receivers; one failing endpoint's deliveries never share a lane with
another's."""

from __future__ import annotations

import json
from typing import Any

import deliver_webhook_handler
import process_payment_handler
import process_refund_handler
import pytest
from standardwebhooks import Webhook

from tests.support import Gateway, ReceivedWebhook, WebhookReceiver, lambda_context


@pytest.fixture
def second_receiver() -> Any:
    server = WebhookReceiver().start()
    yield server
    server.stop()


def _endpoint(gateway: Gateway, url: str, events: list[str]) -> dict[str, Any]:
    reply = gateway.api("POST", "/api/v1/webhook_endpoints", {"url": url, "enabled_events": events})
    assert reply.status == 201, reply.body
    return dict(reply.json)


def _deliver_all(gateway: Gateway) -> int:
    """Delivers every message on both webhook lanes with the real consumer; how many there were."""
    delivered = 0
    for queue in ("WebhooksQueue", "WebhooksSlowQueue"):
        while messages := gateway.receive(queue, wait_seconds=0):
            deliver_webhook_handler.lambda_handler(gateway.sqs_event(queue, messages), lambda_context())
            delivered += len(messages)
    return delivered


def _payment_refunded(gateway: Gateway) -> str:
    payment = gateway.create_payment(gateway.create_order()["id"])
    process_payment_handler.lambda_handler(
        gateway.sqs_event("PaymentsQueue", gateway.receive("PaymentsQueue")), lambda_context()
    )
    assert gateway.api("POST", f"/api/v1/payments/{payment['id']}/refunds", {"amount": 100}).status == 201
    process_refund_handler.lambda_handler(
        gateway.sqs_event("RefundsQueue", gateway.receive("RefundsQueue")), lambda_context()
    )
    return str(payment["id"])


def _events(hooks: list[ReceivedWebhook]) -> list[str]:
    return sorted(hook.json["event"] for hook in hooks)


def test_endpoints_are_created_listed_changed_and_deleted(gateway: Gateway) -> None:
    created = _endpoint(gateway, "http://127.0.0.1:9/hooks", ["payment.success", "refund.*", "payment.success"])
    assert created["id"].startswith("we_") and created["secret"].startswith("whsec_")
    assert created["enabled_events"] == ["payment.success", "refund.*"]
    assert created["disabled"] is False and created["failing_since"] is None
    listed = gateway.api("GET", "/api/v1/webhook_endpoints").json["data"]
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    assert gateway.api("GET", f"/api/v1/webhook_endpoints/{created['id']}").json["secret"] == created["secret"]

    changed = gateway.api(
        "PATCH", f"/api/v1/webhook_endpoints/{created['id']}", {"enabled_events": ["*"], "disabled": True}
    ).json
    assert (changed["enabled_events"], changed["disabled"]) == (["*"], True)
    rotated = gateway.api("POST", f"/api/v1/webhook_endpoints/{created['id']}/secret").json
    assert rotated["secret"] != created["secret"] and rotated["secret"].startswith("whsec_")

    for bad in ({}, {"enabled_events": ["payment.sucess"]}, {"enabled_events": []}, {"url": None}, {"url": "ftp://x"}):
        reply = gateway.api("PATCH", f"/api/v1/webhook_endpoints/{created['id']}", bad)
        assert reply.status == 400 and reply.json["error"]["code"] == "BAD_REQUEST_ERROR", (bad, reply.body)
    assert gateway.api("POST", "/api/v1/webhook_endpoints", {"url": "http://127.0.0.1:9", "x": 1}).status == 400

    assert gateway.api("DELETE", f"/api/v1/webhook_endpoints/{created['id']}").status == 204
    assert gateway.api("GET", f"/api/v1/webhook_endpoints/{created['id']}").status == 404
    assert gateway.api("DELETE", f"/api/v1/webhook_endpoints/{created['id']}").status == 404
    assert gateway.api("GET", "/api/v1/webhook_endpoints").json["data"] == []


def test_each_endpoint_receives_exactly_its_events_signed_with_its_own_secret(
    gateway: Gateway, receiver: WebhookReceiver, second_receiver: WebhookReceiver
) -> None:
    # Given the default endpoint (every event), one for payment.success and one for refunds
    default = WebhookReceiver().start()
    try:
        gateway.set_webhook_url(default.url)
        payments_only = _endpoint(gateway, receiver.url, ["payment.success"])
        refunds_only = _endpoint(gateway, second_receiver.url, ["refund.*"])
        # When a payment succeeds and is partly refunded, and every delivery is made
        _payment_refunded(gateway)
        assert _deliver_all(gateway) == 5 + 1 + 2
        # Then each endpoint got exactly its events, each signed with that endpoint's secret
        assert _events(default.received) == sorted(
            ["payment.created", "payment.pending", "payment.success", "refund.created", "refund.processed"]
        )
        assert _events(receiver.received) == ["payment.success"]
        assert _events(second_receiver.received) == ["refund.created", "refund.processed"]
        for hook in receiver.received:
            Webhook(payments_only["secret"]).verify(hook.body, hook.headers)
        for hook in second_receiver.received:
            Webhook(refunds_only["secret"]).verify(hook.body, hook.headers)
        # The same event reaches two endpoints with one webhook-id (one event, two deliveries)
        success_ids = {
            h.headers["webhook-id"]
            for h in [*default.received, *receiver.received]
            if h.json["event"] == "payment.success"
        }
        assert len(success_ids) == 1
        # Each endpoint's delivery log lists its own deliveries
        log = gateway.api("GET", f"/api/v1/webhooks?endpoint_id={refunds_only['id']}").json
        assert sorted(row["event"] for row in log["data"]) == ["refund.created", "refund.processed"]
        assert {row["endpoint_id"] for row in log["data"]} == {refunds_only["id"]}
        assert gateway.api("GET", "/api/v1/webhooks?endpoint_id=default").json["total"] == 5
    finally:
        default.stop()


def test_a_failing_endpoint_uses_the_slow_lane_and_the_others_do_not(
    gateway: Gateway, receiver: WebhookReceiver, second_receiver: WebhookReceiver
) -> None:
    # Given two endpoints for every event, one of which fails
    receiver.default_status = 500
    failing = _endpoint(gateway, receiver.url, ["*"])
    healthy = _endpoint(gateway, second_receiver.url, ["*"])
    first = gateway.create_payment(gateway.create_order()["id"])
    process_payment_handler.lambda_handler(
        gateway.sqs_event("PaymentsQueue", gateway.receive("PaymentsQueue")), lambda_context()
    )
    messages = gateway.receive("WebhooksQueue")
    deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksQueue", messages), lambda_context())
    states = {e["id"]: e["failing_since"] for e in gateway.api("GET", "/api/v1/webhook_endpoints").json["data"]}
    assert states[failing["id"]] is not None and states[healthy["id"]] is None
    assert len(second_receiver.received) == 3
    gateway.drain("WebhooksSlowQueue")  # the failing endpoint's retries

    # When the next event is recorded
    assert gateway.api("POST", f"/api/v1/payments/{first['id']}/refunds", {"amount": 100}).status == 201

    # Then the failing endpoint's delivery goes to the slow lane, the healthy one's to the normal lane
    def endpoints_on(queue: str) -> list[str | None]:
        ids = [gateway.sqs_event(queue, [m])["Records"][0]["body"] for m in gateway.receive(queue, wait_seconds=0)]
        log_ids = [json.loads(body)["webhook_log_id"] for body in ids]
        return [
            gateway.rows("SELECT endpoint_id FROM webhook_logs WHERE id = %s", (log_id,))[0]["endpoint_id"]
            for log_id in log_ids
        ]

    assert endpoints_on("WebhooksQueue") == [healthy["id"]]
    assert endpoints_on("WebhooksSlowQueue") == [failing["id"]]


def test_a_redelivery_goes_to_every_subscribed_endpoint(
    gateway: Gateway, receiver: WebhookReceiver, second_receiver: WebhookReceiver
) -> None:
    gateway.set_webhook_url(receiver.url)
    _endpoint(gateway, second_receiver.url, ["payment.success"])
    _endpoint(gateway, "http://127.0.0.1:9/refunds", ["refund.*"])
    _payment_refunded(gateway)
    _deliver_all(gateway)
    event_id = gateway.api("GET", "/api/v1/events?type=payment.success").json["data"][0]["id"]
    reply = gateway.api("POST", f"/api/v1/events/{event_id}/redeliver")
    assert reply.status == 202 and len(reply.json["delivery_ids"]) == 2
    _deliver_all(gateway)
    again = [h for h in [*receiver.received, *second_receiver.received] if h.headers["webhook-id"] == event_id]
    assert len(again) == 4  # first delivery and redelivery, at each of the two subscribed endpoints


def test_a_deleted_or_disabled_endpoint_gets_nothing_more(gateway: Gateway, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(gateway, receiver.url, ["*"])
    gateway.create_payment(gateway.create_order()["id"])  # created/pending deliveries pending
    assert gateway.api("DELETE", f"/api/v1/webhook_endpoints/{endpoint['id']}").status == 204
    process_payment_handler.lambda_handler(
        gateway.sqs_event("PaymentsQueue", gateway.receive("PaymentsQueue")), lambda_context()
    )
    _deliver_all(gateway)
    assert receiver.received == []
    skipped = gateway.rows("SELECT status, last_error FROM webhook_logs WHERE endpoint_id = %s", (endpoint["id"],))
    assert {(r["status"], r["last_error"]) for r in skipped} == {("skipped", "endpoint disabled or deleted")}
    # Its log is still listed
    assert gateway.api("GET", f"/api/v1/webhooks?endpoint_id={endpoint['id']}").json["total"] == 2
    # A disabled endpoint gets no new deliveries at all
    disabled = _endpoint(gateway, receiver.url, ["*"])
    gateway.api("PATCH", f"/api/v1/webhook_endpoints/{disabled['id']}", {"disabled": True})
    gateway.create_payment(gateway.create_order()["id"])
    assert gateway.rows("SELECT count(*) AS n FROM webhook_logs WHERE endpoint_id = %s", (disabled["id"],)) == [
        {"n": 0}
    ]
