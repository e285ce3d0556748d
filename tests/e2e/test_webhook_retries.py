"""Webhook retries end to end with test intervals (0, 5, 10, 15, 20 s) against a real receiver."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict

import httpx
import pytest

from tests.e2e_support import LocalStack, merchant_client
from tests.support import ReceivedWebhook, WebhookReceiver, wait_until

pytestmark = pytest.mark.e2e


def test_fail_fail_succeed_and_always_failing_then_manual_retry(local_stack: LocalStack) -> None:
    # A merchant of its own: its endpoint carries only this test's deliveries, not the shared test
    # merchant's (other tests' events on the same failing endpoint would fill its cap and backlog).
    client = merchant_client(local_stack, "retries")
    flaky_payment: dict[str, str] = {}
    dead_payment: dict[str, str] = {}
    attempts: dict[str, list[ReceivedWebhook]] = defaultdict(list)
    lock = threading.Lock()
    dead_endpoint_recovered = threading.Event()

    def respond(hook: ReceivedWebhook) -> int:
        payment_id = hook.json["data"].get("payment", {}).get("id")
        with lock:
            attempts[hook.headers["webhook-id"]].append(hook)
            seen = len(attempts[hook.headers["webhook-id"]])
        if payment_id == flaky_payment.get("id"):
            return 500 if seen <= 2 else 200
        if payment_id == dead_payment.get("id") and not dead_endpoint_recovered.is_set():
            return 503
        return 200

    receiver = WebhookReceiver(respond=respond).start()
    started = time.time()
    try:
        assert client.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url}).status_code == 200
        for target in (flaky_payment, dead_payment):
            order = client.post("/api/v1/orders", json={"amount": 20_000}).json()
            target.update(
                client.post(
                    "/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"}
                ).json()
            )

        def success_hooks(payment_id: str) -> list[ReceivedWebhook]:
            with lock:
                return [
                    h
                    for hooks in attempts.values()
                    for h in hooks
                    if h.json["event"] == "payment.success" and h.json["data"]["payment"]["id"] == payment_id
                ]

        # The first attempt: usually within a second; up to the relay's next run (about 70 s) when the
        # request's queue send timed out and left the job in the outbox (a loaded endpoint).
        assert wait_until(lambda: success_hooks(flaky_payment["id"]), timeout=90), _timeline(attempts, started)
        # fail, fail, succeed: three attempts 5 s and then 10 s apart, one webhook-id. Never sooner
        # than the backoff; later by what a failing endpoint's lane adds: a retry that finds the
        # endpoint's cap of posts in flight (the deliveries of both payments retry together) is put
        # off by 2 s + its backlog x 5 s / 5 on the slow lane (webhook_store.claim_pending_webhooks),
        # possibly more than once, plus a poll; against LocalStack on the shared stack CI has seen 18 s
        # for the first. The bound is the backoff + 25 s: a retry left to the relay's backstop (about a
        # minute) would still fail it.
        assert wait_until(lambda: len(success_hooks(flaky_payment["id"])) >= 3, timeout=90), _timeline(
            attempts, started
        )
        flaky = success_hooks(flaky_payment["id"])
        assert len({h.headers["webhook-id"] for h in flaky}) == 1
        gaps = [round(later.at - earlier.at, 1) for earlier, later in itertools.pairwise(flaky)]
        assert 4 <= gaps[0] <= 5 + 25 and 9 <= gaps[1] <= 10 + 25, f"{gaps}\n{_timeline(attempts, started)}"
        print(f"\nfail, fail, succeed: attempts {gaps[0]} s and {gaps[1]} s apart\n{_timeline(attempts, started)}")

        # Always failing: failed after exactly 5 attempts (0 + 5 + 10 + 15 + 20 s, each possibly put
        # off as above).
        dead_id = wait_until(lambda: _log_of(client, dead_payment["id"], "failed"), timeout=180)
        assert dead_id, f"the always-failing delivery did not end failed\n{_timeline(attempts, started)}"
        detail = client.get(f"/api/v1/webhooks/{dead_id}").json()
        assert (detail["status"], detail["attempts"]) == ("failed", 5)
        assert [a["response_code"] for a in detail["attempt_history"]] == [503] * 5
        assert len(success_hooks(dead_payment["id"])) == 5

        # Manual retry, once the endpoint works again, delivers.
        dead_endpoint_recovered.set()
        retried = client.post(f"/api/v1/webhooks/{dead_id}/retry")
        assert retried.json() == {"id": dead_id, "status": "pending", "message": "Webhook retry scheduled"}
        assert wait_until(lambda: client.get(f"/api/v1/webhooks/{dead_id}").json()["status"] == "success", timeout=20)
        assert len(success_hooks(dead_payment["id"])) == 6
    finally:
        receiver.stop()


def _log_of(client: httpx.Client, payment_id: str, status: str) -> str | None:
    page = client.get("/api/v1/webhooks", params={"event": "payment.success", "status": status, "limit": 100}).json()
    for row in page["data"]:
        detail = client.get(f"/api/v1/webhooks/{row['id']}").json()
        if detail["payload"]["data"]["payment"]["id"] == payment_id:
            return str(row["id"])
    return None


def _timeline(attempts: dict[str, list[ReceivedWebhook]], started: float) -> str:
    """What the receiver saw, for a failure message: each event's attempts in seconds from the start."""
    lines = [
        f"{hooks[0].json['event']} {hooks[0].json['data'].get('payment', {}).get('id')}: "
        + ", ".join(f"{hook.at - started:.1f}" for hook in hooks)
        for hooks in list(attempts.values())
    ]
    return "receiver saw (s after start):\n" + "\n".join(lines)
