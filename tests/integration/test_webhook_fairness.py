"""Issue 25, item 13: no merchant's endpoint or redelivery volume takes more than its share of the
delivery capacity. Through the real consumer, API handler, Postgres and SQS emulator:

- deliveries queued on the fast lane before their endpoint's first failure leave it unposted;
- an endpoint that answers inside the deadline but slowly moves to the slow lane, and back once fast;
- an endpoint never has more than its cap of posts in flight, however many deliveries are queued;
- a redelivery flood past the merchant's budget is 429, and what was accepted stays off the fast lane.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import deliver_webhook_handler
import pytest

from tests.support import (
    DEFAULT_ENDPOINT_ID,
    TEST_MERCHANT_ID,
    Gateway,
    HandlerServer,
    QuietHandler,
    WebhookReceiver,
    fake_message,
    lambda_context,
)

# The cap and budget the gateway promises (gateway.domain.webhook_delivery and webhook_fanout); the
# tests name them here so a change of either is a visible decision.
ENDPOINT_IN_FLIGHT_CAP = 5
REDELIVERY_BUDGET = 60


class TimedReceiver:
    """A merchant endpoint that answers 200 after `delay` seconds; counts the posts in flight."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.posts: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.posts.append(body.decode())
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                try:
                    time.sleep(receiver.delay)
                finally:
                    with receiver._lock:
                        receiver.in_flight -= 1
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        self.endpoint = HandlerServer(Handler)
        self.url = self.endpoint.url

    def stop(self) -> None:
        self.endpoint.stop()


@pytest.fixture
def timed() -> Iterator[TimedReceiver]:
    receiver = TimedReceiver(delay=2.0)
    yield receiver
    receiver.stop()


def _deliver(gateway: Gateway, queue_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    event = gateway.sqs_event(queue_id, messages)
    return dict(deliver_webhook_handler.lambda_handler(event, lambda_context()))


def _pending_logs(gateway: Gateway, count: int, merchant_id: str = TEST_MERCHANT_ID) -> list[dict[str, Any]]:
    """`count` deliveries pending to the merchant's default endpoint, and the messages naming them."""
    rows = gateway.rows(
        "INSERT INTO webhook_logs (merchant_id, endpoint_id, event_id, event, payload, created_at)"
        " SELECT e.merchant_id, e.id, 'evt_fair' || md5(random()::text) || n, 'webhook.test', format('{\"n\":%%s}', n),"
        "  clock_timestamp() FROM webhook_endpoints e, generate_series(1, %s) n"
        " WHERE e.merchant_id = %s AND e.is_default RETURNING id::text AS id",
        (count, merchant_id),
    )
    return [fake_message(json.dumps({"webhook_log_id": row["id"]})) for row in rows]


def _staged(gateway: Gateway) -> list[dict[str, Any]]:
    """The webhook messages the gateway wrote to its outbox: queue, delay and delivery."""
    return [
        {"queue": row["queue"], "delay": row["delay_seconds"], "id": json.loads(row["body"])["webhook_log_id"]}
        for row in gateway.rows(
            "SELECT queue, delay_seconds, body FROM outbox WHERE queue LIKE 'webhooks%%' ORDER BY id"
        )
    ]


def _lanes_of_a_new_payment(gateway: Gateway) -> set[str]:
    """The queues a new payment's events were staged on."""
    gateway.execute("DELETE FROM outbox")
    gateway.create_payment(gateway.create_order()["id"])
    return {row["queue"] for row in _staged(gateway)}


def test_a_failing_endpoints_backlog_on_the_fast_lane_moves_to_the_slow_lane_unposted(
    gateway: Gateway, receiver: WebhookReceiver
) -> None:
    # Given ten deliveries queued on the fast lane, then their endpoint's first failure recorded
    gateway.set_webhook_url(receiver.url)
    messages = _pending_logs(gateway, 10)
    gateway.execute("UPDATE webhook_endpoints SET failing_since = now() WHERE id = %s", (DEFAULT_ENDPOINT_ID,))
    ids = {json.loads(m["Body"])["webhook_log_id"] for m in messages}
    # When the fast lane's consumer gets them
    started = time.monotonic()
    assert _deliver(gateway, "WebhooksQueue", messages) == {"batchItemFailures": []}
    elapsed = time.monotonic() - started
    # Then nothing was posted from the fast lane: each went to the slow lane at once, still pending
    assert receiver.wait_for(1, timeout=0.5) == []
    assert elapsed < 2
    assert gateway.rows("SELECT DISTINCT status, attempts FROM webhook_logs") == [{"status": "pending", "attempts": 0}]
    staged = _staged(gateway)
    assert {s["id"] for s in staged} == ids and {(s["queue"], s["delay"]) for s in staged} == {("webhooks_slow", 0)}
    moved = gateway.receive("WebhooksSlowQueue")
    assert {json.loads(m["Body"])["webhook_log_id"] for m in moved} == ids
    # And the slow lane posts them (the endpoint's cap at a time)
    _deliver(gateway, "WebhooksSlowQueue", moved)
    assert len(receiver.wait_for(ENDPOINT_IN_FLIGHT_CAP)) == ENDPOINT_IN_FLIGHT_CAP


def test_an_endpoint_answering_in_2s_moves_to_the_slow_lane_until_it_answers_fast(
    gateway: Gateway, timed: TimedReceiver
) -> None:
    # Given an endpoint that answers 200 after 2 s: inside the 5 s deadline, so never failing
    gateway.set_webhook_url(timed.url)
    assert _lanes_of_a_new_payment(gateway) == {"webhooks"}
    _deliver(gateway, "WebhooksQueue", _pending_logs(gateway, 1))
    assert gateway.rows("SELECT status FROM webhook_logs WHERE event = 'webhook.test'") == [{"status": "success"}]
    assert gateway.rows("SELECT failing_since FROM webhook_endpoints WHERE id = %s", (DEFAULT_ENDPOINT_ID,)) == [
        {"failing_since": None}
    ]
    # Then its next events go through the slow lane
    assert _lanes_of_a_new_payment(gateway) == {"webhooks_slow"}
    # And once it answers fast again, through the fast lane
    timed.delay = 0
    gateway.execute("DELETE FROM outbox")
    _deliver(gateway, "WebhooksSlowQueue", _pending_logs(gateway, 1))
    assert _lanes_of_a_new_payment(gateway) == {"webhooks"}


@pytest.mark.parametrize("queue_id,lane", [("WebhooksQueue", "webhooks"), ("WebhooksSlowQueue", "webhooks_slow")])
def test_an_endpoint_never_has_more_than_its_cap_of_posts_in_flight(gateway: Gateway, queue_id: str, lane: str) -> None:
    # Given thirty deliveries queued for one endpoint that takes a second to answer
    slow = TimedReceiver(delay=1.0)
    try:
        gateway.set_webhook_url(slow.url)
        messages = _pending_logs(gateway, 30)
        # When three consumers take a batch of ten each at the same time
        results: list[dict[str, Any]] = []
        consumers = [
            threading.Thread(target=lambda batch=batch: results.append(_deliver(gateway, queue_id, batch)))
            for batch in (messages[0:10], messages[10:20], messages[20:30])
        ]
        for consumer in consumers:
            consumer.start()
        for consumer in consumers:
            consumer.join(30)
        assert results == [{"batchItemFailures": []}] * 3
        # Then at most the cap was posted at once; the rest wait, unposted, for a later message
        assert slow.max_in_flight <= ENDPOINT_IN_FLIGHT_CAP, slow.max_in_flight
        assert len(slow.posts) == ENDPOINT_IN_FLIGHT_CAP
        statuses = gateway.rows("SELECT status, count(*) AS n FROM webhook_logs GROUP BY status ORDER BY status")
        assert statuses == [
            {"status": "pending", "n": 30 - ENDPOINT_IN_FLIGHT_CAP},
            {"status": "success", "n": ENDPOINT_IN_FLIGHT_CAP},
        ]
        waiting = gateway.rows(
            "SELECT id::text, attempts, next_retry_at > created_at AS later FROM webhook_logs WHERE status = 'pending'"
        )
        assert {(row["attempts"], row["later"]) for row in waiting} == {(0, True)}
        deferred = [s for s in _staged(gateway) if s["id"] in {row["id"] for row in waiting}]
        assert sorted(s["id"] for s in deferred) == sorted(row["id"] for row in waiting)
        assert all(s["queue"] == lane and s["delay"] >= 1 for s in deferred), deferred
    finally:
        slow.stop()


def test_a_redelivery_flood_past_the_budget_is_429_and_stays_off_the_fast_lane(
    gateway: Gateway, receiver: WebhookReceiver
) -> None:
    # Given a merchant with stored events and a healthy endpoint
    gateway.set_webhook_url(receiver.url)
    gateway.create_payment(gateway.create_order()["id"])
    event_id = gateway.rows("SELECT id FROM events ORDER BY created_at LIMIT 1")[0]["id"]
    gateway.drain("WebhooksQueue")
    gateway.execute("DELETE FROM outbox")
    # When it asks for far more redeliveries than its budget, as fast as it can
    started = time.monotonic()
    replies = [gateway.api("POST", f"/api/v1/events/{event_id}/redeliver") for _ in range(REDELIVERY_BUDGET + 40)]
    elapsed = time.monotonic() - started
    # Then the budget is accepted, then about one a second (its refill), and the rest is 429 in the
    # envelope, with Retry-After, creating nothing
    statuses = [r.status for r in replies]
    accepted = statuses.count(202)
    assert statuses[:REDELIVERY_BUDGET] == [202] * REDELIVERY_BUDGET and set(statuses) == {202, 429}
    assert accepted <= REDELIVERY_BUDGET + elapsed * REDELIVERY_BUDGET / 60 + 1, (accepted, elapsed)
    refused = replies[statuses.index(429)]
    assert refused.json["error"]["code"] == "RATE_LIMITED"
    assert int({k.lower(): v for k, v in refused.headers.items()}["retry-after"]) >= 1
    assert gateway.count("webhook_logs") == 2 + accepted  # the payment's two events, and the accepted
    # And the webhook retry route spends the same budget
    log_id = gateway.rows("SELECT id::text FROM webhook_logs LIMIT 1")[0]["id"]
    gateway.execute("UPDATE webhook_logs SET status = 'failed' WHERE id = %s", (log_id,))
    gateway.execute("UPDATE rate_limit_buckets SET tokens = 0, updated_at = now() WHERE kind = 'resend'")
    assert gateway.api("POST", f"/api/v1/webhooks/{log_id}/retry").status == 429
    # And the redeliveries accepted went to the slow lane: the fast lane has none of them
    staged = _staged(gateway)
    assert len(staged) == accepted and {s["queue"] for s in staged} == {"webhooks_slow"}
    assert gateway.receive("WebhooksQueue", wait_seconds=0) == []

    # And another merchant's event is the fast lane's next message, delivered at once
    other = TimedReceiver(delay=0)
    try:
        gateway.add_merchant_with_webhook("22222222-2222-2222-2222-222222222222", "other", other.url, "whsec_b3RoZXI=")
        other_logs = _pending_logs(gateway, 1, merchant_id="22222222-2222-2222-2222-222222222222")
        started = time.monotonic()
        _deliver(gateway, "WebhooksQueue", other_logs)
        assert len(other.posts) == 1 and time.monotonic() - started < 1
    finally:
        other.stop()


@pytest.mark.parametrize("failing", [False, True])
def test_a_busy_endpoint_waits_on_the_slow_lane_as_long_as_its_posts_take(
    gateway: Gateway, receiver: WebhookReceiver, failing: bool
) -> None:
    # Given an endpoint with its cap of posts in flight and a backlog of 300 deliveries, healthy
    # (a retry or a re-enqueued delivery of a healthy endpoint is on the slow lane too) or failing
    gateway.set_webhook_url(receiver.url)
    if failing:
        gateway.execute("UPDATE webhook_endpoints SET failing_since = now() WHERE id = %s", (DEFAULT_ENDPOINT_ID,))
    backlog = _pending_logs(gateway, 300)
    gateway.execute(
        "UPDATE webhook_logs SET delivering_until = now() + interval '30 seconds', delivery_claim = gen_random_uuid()"
        " WHERE id = ANY(%s::uuid[])",
        ([json.loads(m["Body"])["webhook_log_id"] for m in backlog[:ENDPOINT_IN_FLIGHT_CAP]],),
    )
    # When the slow lane's consumer gets ten more of them
    gateway.execute("DELETE FROM outbox")
    _deliver(gateway, "WebhooksSlowQueue", backlog[-10:])
    # Then nothing is posted and each is put off: a healthy endpoint for a second, as on the fast
    # lane (its posts take milliseconds); a failing one spread over the time its backlog needs at
    # the deadline per post (a wait that would outlast a healthy endpoint's whole backlog)
    delays = sorted(s["delay"] for s in _staged(gateway))
    assert len(delays) == 10 and receiver.received == [], delays
    if failing:
        assert delays[-1] > 10, delays
    else:
        assert set(delays) == {1}, delays
