"""The events list: every business event stored once, listed and filtered, and redelivered with
its original webhook-id through the real queue endpoint to a real receiver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import deliver_webhook_handler
import relay_outbox_handler

from gateway.domain import payments
from gateway.models.jobs import PaymentJob
from tests.support import Gateway, WebhookReceiver, deliver_once, lambda_context


def _successful_payment(gateway: Gateway) -> str:
    payment = gateway.create_payment(gateway.create_order()["id"])
    payments.process_payment(PaymentJob(payment_id=payment["id"]))
    return str(payment["id"])


def test_events_are_stored_without_a_webhook_endpoint(gateway: Gateway) -> None:
    # Given a merchant with no webhook URL
    gateway.set_webhook_url(None)
    # When a payment succeeds
    payment_id = _successful_payment(gateway)
    # Then its three events are listed, newest first, and nothing was queued for delivery
    page = gateway.api("GET", "/api/v1/events").json
    assert [e["type"] for e in page["data"]] == ["payment.success", "payment.pending", "payment.created"]
    assert {e["payment_id"] for e in page["data"]} == {payment_id}
    assert page["data"][0]["data"]["payment"]["status"] == "success"
    assert gateway.count("webhook_logs") == 0


def test_events_filtered_by_type_family_and_time(gateway: Gateway) -> None:
    payment_id = _successful_payment(gateway)
    assert gateway.api("POST", f"/api/v1/payments/{payment_id}/refunds", {"amount": 100}).status == 201
    gateway.execute("UPDATE events SET created_at = now() - interval '2 days' WHERE type = 'payment.created'")

    def types(query: str) -> list[str]:
        reply = gateway.api("GET", f"/api/v1/events?{query}")
        assert reply.status == 200, reply.json
        return sorted(e["type"] for e in reply.json["data"])

    assert types("type=payment.success") == ["payment.success"]
    assert types("type=payment.*") == ["payment.created", "payment.pending", "payment.success"]
    assert types("type=refund.*") == ["refund.created"]
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert types(f"created[gte]={yesterday}&type=payment.*") == ["payment.pending", "payment.success"]
    assert types(f"created[lte]={yesterday}") == ["payment.created"]
    assert types(f"created[lte]={int((datetime.now(UTC) - timedelta(days=1)).timestamp())}") == ["payment.created"]
    # Bad filters are a 400 in the error envelope, never a silent no-op.
    for bad in (
        "type=payment",
        "type=*",
        "type=PAYMENT.*",
        "created[gte]=soon",
        "created=1",
        f"from={yesterday}&created[gte]={yesterday}",
    ):
        reply = gateway.api("GET", f"/api/v1/events?{bad}")
        assert reply.status == 400 and reply.json["error"]["code"] == "BAD_REQUEST_ERROR", (bad, reply.json)


def test_events_page_with_a_cursor(gateway: Gateway) -> None:
    for _ in range(3):
        _successful_payment(gateway)
    first = gateway.api("GET", "/api/v1/events?limit=4").json
    assert first["total"] == 9 and first["has_more"]
    rest = gateway.api("GET", f"/api/v1/events?limit=10&starting_after={first['data'][-1]['id']}").json
    assert not rest["has_more"]
    ids = [e["id"] for e in first["data"] + rest["data"]]
    assert len(ids) == len(set(ids)) == 9
    assert gateway.api("GET", "/api/v1/events?starting_after=evt_nope").status == 400


def test_an_event_is_private_to_its_merchant(gateway: Gateway) -> None:
    _successful_payment(gateway)
    event_id = gateway.rows("SELECT id FROM events LIMIT 1")[0]["id"]
    gateway.execute(
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, api_secret_hint, webhook_secret)"
        " VALUES ('Other', 'o@example.com', 'key_other', 'x', 'x', 'whsec_x')"
    )
    gateway.execute("UPDATE events SET merchant_id = (SELECT id FROM merchants WHERE api_key = 'key_other')")
    assert gateway.api("GET", f"/api/v1/events/{event_id}").status == 404
    assert gateway.api("POST", f"/api/v1/events/{event_id}/redeliver").status == 404
    assert gateway.api("GET", "/api/v1/events").json["total"] == 0
    assert gateway.api("GET", f"/api/v1/events/{'x' * 300}").status == 404


def test_a_missed_event_is_redelivered_with_its_original_webhook_id(
    gateway: Gateway, receiver: WebhookReceiver
) -> None:
    # Given an event whose every delivery failed while the endpoint was down
    receiver.responses.extend([503] * 5)
    gateway.set_webhook_url(receiver.url)
    payment_id = _successful_payment(gateway)
    success = gateway.rows("SELECT id, event_id FROM webhook_logs WHERE event = 'payment.success'")[0]
    for _ in range(5):
        gateway.execute("UPDATE webhook_logs SET next_retry_at = now() WHERE id = %s", (success["id"],))
        deliver_once(str(success["id"]))
    assert gateway.rows("SELECT status FROM webhook_logs WHERE id = %s", (success["id"],)) == [{"status": "failed"}]
    missed = gateway.api("GET", "/api/v1/events?type=payment.success").json["data"]
    assert [e["id"] for e in missed] == [success["event_id"]]

    # When the merchant asks for a redelivery, now that the endpoint is back
    gateway.drain("WebhooksQueue")
    gateway.drain("WebhooksSlowQueue")
    reply = gateway.api("POST", f"/api/v1/events/{success['event_id']}/redeliver")
    assert reply.status == 202, reply.json
    assert reply.json["event_id"] == success["event_id"] and reply.json["status"] == "pending"

    # Then a new attempt series goes through the real queue and reaches the endpoint with the same webhook-id
    messages = gateway.receive("WebhooksSlowQueue")  # the endpoint is still marked failing
    assert len(messages) == 1
    deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksSlowQueue", messages), lambda_context())
    delivered = receiver.received[-1]
    assert delivered.headers["webhook-id"] == success["event_id"]
    assert delivered.json["data"]["payment"]["id"] == payment_id
    detail = gateway.api("GET", f"/api/v1/events/{success['event_id']}").json
    assert [(d["status"], d["attempts"]) for d in detail["deliveries"]] == [("failed", 5), ("success", 1)]
    assert [detail["deliveries"][1]["id"]] == reply.json["delivery_ids"]


def test_redelivery_needs_an_endpoint(gateway: Gateway) -> None:
    gateway.set_webhook_url(None)
    _successful_payment(gateway)
    event_id = gateway.rows("SELECT id FROM events LIMIT 1")[0]["id"]
    reply = gateway.api("POST", f"/api/v1/events/{event_id}/redeliver")
    assert reply.status == 400 and "No webhook endpoint" in reply.json["error"]["description"]
    assert gateway.count("webhook_logs") == 0


def test_events_older_than_30_days_are_purged_by_the_relay(gateway: Gateway) -> None:
    _successful_payment(gateway)
    gateway.execute("UPDATE events SET created_at = now() - interval '31 days' WHERE type = 'payment.created'")
    report = relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context())
    assert report["purged_events"] == 1
    assert sorted(r["type"] for r in gateway.rows("SELECT type FROM events")) == ["payment.pending", "payment.success"]
