"""Webhook logs, attempt details, manual retry, secret rotation and test events through the API."""

from __future__ import annotations

import json

from standardwebhooks import Webhook

from gateway.domain import payments
from gateway.models.jobs import PaymentJob
from tests.support import Gateway, WebhookReceiver, deliver_once


def _delivered_logs(gateway: Gateway, receiver: WebhookReceiver) -> list[str]:
    gateway.set_webhook_url(receiver.url)
    payment = gateway.create_payment(gateway.create_order()["id"])
    payments.process_payment(PaymentJob(payment_id=payment["id"]))
    ids = [str(r["id"]) for r in gateway.rows("SELECT id FROM webhook_logs ORDER BY created_at, event")]
    for log_id in ids:
        deliver_once(log_id)
    return ids


def test_list_and_filter_webhook_logs(gateway: Gateway, receiver: WebhookReceiver) -> None:
    receiver.responses.extend([200, 200, 500])
    _delivered_logs(gateway, receiver)
    page = gateway.api("GET", "/api/v1/webhooks?limit=10").json
    assert page["total"] == 3 and (page["limit"], page["offset"]) == (10, 0)
    first = page["data"][0]
    assert set(first) == {
        "id",
        "event_id",
        "event",
        "payment_id",
        "endpoint_id",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_retry_at",
        "response_code",
    }
    assert {row["status"] for row in page["data"]} == {"success", "pending"}
    success = gateway.api("GET", "/api/v1/webhooks?event=payment.success").json
    assert [row["event"] for row in success["data"]] == ["payment.success"]
    pending = gateway.api("GET", "/api/v1/webhooks?status=pending").json
    assert pending["total"] == 1 and pending["data"][0]["next_retry_at"] is not None
    assert gateway.api("GET", "/api/v1/webhooks?status=lost").status == 400


def test_a_payments_deliveries_are_found_by_payment_or_event_id(gateway: Gateway, receiver: WebhookReceiver) -> None:
    # Given deliveries for one payment and one for another payment
    _delivered_logs(gateway, receiver)
    mine = gateway.rows("SELECT payment_id, event_id FROM webhook_logs ORDER BY created_at")
    payment_id = mine[0]["payment_id"]
    assert payment_id and {row["payment_id"] for row in mine} == {payment_id}
    other = gateway.create_payment(gateway.create_order()["id"])
    # When the dashboard asks for the first payment's events
    page = gateway.api("GET", f"/api/v1/webhooks?payment_id={payment_id}").json
    # Then it gets exactly those, and `search` finds one by its event id or all by the payment id
    assert page["total"] == 3 and {row["payment_id"] for row in page["data"]} == {payment_id}
    # payment.created and payment.pending
    assert gateway.api("GET", f"/api/v1/webhooks?payment_id={other['id']}").json["total"] == 2
    assert gateway.api("GET", f"/api/v1/webhooks?search={mine[0]['event_id']}").json["total"] == 1
    assert gateway.api("GET", f"/api/v1/webhooks?search={payment_id}").json["total"] == 3


def test_refund_events_belong_to_their_payment(gateway: Gateway, receiver: WebhookReceiver) -> None:
    _delivered_logs(gateway, receiver)
    payment_id = gateway.rows("SELECT payment_id FROM webhook_logs")[0]["payment_id"]
    assert gateway.api("POST", f"/api/v1/payments/{payment_id}/refunds", {"amount": 100}).status == 201
    events = gateway.api("GET", f"/api/v1/webhooks?payment_id={payment_id}&event=refund.created").json
    assert events["total"] == 1


def test_log_detail_has_the_payload_and_every_attempt(gateway: Gateway, receiver: WebhookReceiver) -> None:
    receiver.responses.extend([502, 200])
    log_id = _delivered_logs(gateway, receiver)[0]
    gateway.execute("UPDATE webhook_logs SET next_retry_at = now() WHERE id = %s", (log_id,))
    deliver_once(log_id)
    detail = gateway.api("GET", f"/api/v1/webhooks/{log_id}").json
    assert detail["status"] == "success" and detail["attempts"] == 2
    assert detail["payload"]["event"] == detail["event"] and detail["payload"]["id"] == detail["event_id"]
    codes = [attempt["response_code"] for attempt in detail["attempt_history"]]
    assert codes == [502, 200]
    assert all(attempt["latency_ms"] >= 0 and attempt["attempted_at"] for attempt in detail["attempt_history"])
    assert gateway.api("GET", "/api/v1/webhooks/not-a-uuid").status == 404
    assert gateway.api("GET", "/api/v1/webhooks/00000000-0000-0000-0000-000000000000").status == 404


def test_manual_retry_resets_attempts_and_delivers_again(gateway: Gateway, receiver: WebhookReceiver) -> None:
    log_id = _delivered_logs(gateway, receiver)[0]
    gateway.execute("UPDATE webhook_logs SET status = 'failed', attempts = 5 WHERE id = %s", (log_id,))
    response = gateway.api("POST", f"/api/v1/webhooks/{log_id}/retry")
    assert response.status == 200
    assert response.json == {"id": log_id, "status": "pending", "message": "Webhook retry scheduled"}
    messages = gateway.receive("WebhooksSlowQueue")  # a redelivery: through the slow lane
    assert {"webhook_log_id": log_id} in [json.loads(m["Body"]) for m in messages]
    assert deliver_once(log_id) == "success"
    [log] = gateway.rows("SELECT status, attempts FROM webhook_logs WHERE id = %s", (log_id,))
    assert (log["status"], log["attempts"]) == ("success", 1)
    again = gateway.api("POST", f"/api/v1/webhooks/{log_id}/retry")
    assert again.status == 200
    assert gateway.api("POST", f"/api/v1/webhooks/{log_id}/retry").status == 400  # already pending


def test_secret_rotation_signs_with_the_new_secret(gateway: Gateway, receiver: WebhookReceiver) -> None:
    gateway.set_webhook_url(receiver.url)
    rotated = gateway.api("POST", "/api/v1/merchant/webhook/secret").json
    secret = rotated["webhook_secret"]
    assert secret.startswith("whsec_") and secret != "whsec_test_abc123"
    assert gateway.api("GET", "/api/v1/merchant/webhook").json["webhook_secret"] == secret
    test = gateway.api("POST", "/api/v1/merchant/webhook/test")
    assert test.status == 200 and test.json["status"] == "pending"
    deliver_once(test.json["id"])
    [hook] = receiver.wait_for(1)
    assert Webhook(secret).verify(hook.body, hook.headers)["event"] == "webhook.test"


def test_a_test_event_needs_a_webhook_url(gateway: Gateway) -> None:
    response = gateway.api("POST", "/api/v1/merchant/webhook/test")
    assert response.status == 400 and response.json["error"]["description"] == "Configure a webhook URL first"


def test_other_merchants_logs_are_invisible(gateway: Gateway, receiver: WebhookReceiver) -> None:
    log_id = _delivered_logs(gateway, receiver)[0]
    gateway.execute(
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, webhook_secret)"
        " VALUES ('Other', 'o@example.com', 'key_o', encode(sha256('secret_o'), 'hex'), 'whsec_o')"
    )
    other = {"x-api-key": "key_o", "x-api-secret": "secret_o"}
    assert gateway.api("GET", f"/api/v1/webhooks/{log_id}", headers=other).status == 404
    assert gateway.api("POST", f"/api/v1/webhooks/{log_id}/retry", headers=other).status == 404
    assert gateway.api("GET", "/api/v1/webhooks", headers=other).json["total"] == 0
