"""Secret rotation with a grace period (issue 25, item 9): for 24 hours after a rotation every
delivery carries a signature with the old secret beside the new one (`webhook-signature` holds
both, space-separated, as Standard Webhooks allows), so receivers can be rolled without dropping
an event; afterwards only the new secret signs. For the merchant's default secret and for an
endpoint's. Real Postgres, the real consumer, receivers on 127.0.0.1, the reference verifier."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import deliver_webhook_handler
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests.support import (
    DEFAULT_ENDPOINT_ID,
    TEST_MERCHANT_ID,
    WEBHOOK_SECRET,
    Gateway,
    ReceivedWebhook,
    WebhookReceiver,
    fake_message,
    hex_hmac,
    lambda_context,
)


@pytest.fixture
def rotating(gateway: Gateway) -> Iterator[Gateway]:
    yield gateway
    # The seeded merchant must not keep signing with a previous secret in later tests.
    gateway.execute("UPDATE webhook_endpoints SET secret_previous = NULL, secret_previous_until = NULL")


def _deliver_one(
    gateway: Gateway, receiver: WebhookReceiver, endpoint_id: str = DEFAULT_ENDPOINT_ID
) -> ReceivedWebhook:
    """One event delivered by the real consumer to the default endpoint (or `endpoint_id`)."""
    before = len(receiver.received)
    [row] = gateway.rows(
        "INSERT INTO webhook_logs (merchant_id, event_id, event, payload, endpoint_id)"
        " VALUES (%s, 'evt_rot' || floor(random() * 1e9)::text, 'webhook.test', '{\"rotated\":true}', %s)"
        " RETURNING id::text AS id",
        (TEST_MERCHANT_ID, endpoint_id),
    )
    message = fake_message(json.dumps({"webhook_log_id": row["id"]}))
    reply = deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksQueue", [message]), lambda_context())
    assert reply == {"batchItemFailures": []}
    return receiver.wait_for(before + 1)[before]


def _verifies(secret: str, hook: ReceivedWebhook) -> bool:
    try:
        Webhook(secret).verify(hook.body, hook.headers)
    except WebhookVerificationError:
        return False
    return True


def _accepted(hook: ReceivedWebhook, **secrets: str) -> dict[str, bool]:
    """Which receivers (by name) accept the delivery; names, not secrets, in a failure's message."""
    return {name: _verifies(secret, hook) for name, secret in secrets.items()}


def test_during_the_grace_period_receivers_with_the_old_or_the_new_default_secret_both_accept(
    rotating: Gateway, receiver: WebhookReceiver
) -> None:
    gateway = rotating
    gateway.set_webhook_url(receiver.url)
    old = WEBHOOK_SECRET
    new = gateway.api("POST", "/api/v1/merchant/webhook/secret").json["webhook_secret"]
    assert new != old

    hook = _deliver_one(gateway, receiver)
    assert _accepted(hook, old=old, new=new) == {"old": True, "new": True}
    assert len(hook.headers["webhook-signature"].split(" ")) == 2
    assert hook.headers["x-webhook-signature"] == hex_hmac(new, hook.body), "hex signature not the new secret's"
    assert hook.headers["x-webhook-signature-previous"] == hex_hmac(old, hook.body), "not the old secret's"
    [grace] = gateway.rows(
        "SELECT secret_previous_until - now() AS left FROM webhook_endpoints WHERE id = %s", (DEFAULT_ENDPOINT_ID,)
    )
    assert timedelta(hours=23, minutes=59) < grace["left"] <= timedelta(hours=24)

    # After the grace period only the new secret signs
    gateway.execute("UPDATE webhook_endpoints SET secret_previous_until = now() - interval '1 second'")
    hook = _deliver_one(gateway, receiver)
    assert _accepted(hook, old=old, new=new) == {"old": False, "new": True}
    assert len(hook.headers["webhook-signature"].split(" ")) == 1
    assert "x-webhook-signature-previous" not in hook.headers


def test_an_endpoints_rotated_secret_has_the_same_grace_period(rotating: Gateway, receiver: WebhookReceiver) -> None:
    gateway = rotating
    created = gateway.api("POST", "/api/v1/webhook_endpoints", {"url": receiver.url}).json
    old = created["secret"]
    rotated = gateway.api("POST", f"/api/v1/webhook_endpoints/{created['id']}/secret")
    assert rotated.status == 200
    new = rotated.json["secret"]
    assert new != old

    hook = _deliver_one(gateway, receiver, created["id"])
    # (the merchant's default secret signs nothing here)
    assert _accepted(hook, old=old, new=new, default=WEBHOOK_SECRET) == {"old": True, "new": True, "default": False}

    gateway.execute("UPDATE webhook_endpoints SET secret_previous_until = now() - interval '1 second'")
    hook = _deliver_one(gateway, receiver, created["id"])
    assert _accepted(hook, old=old, new=new) == {"old": False, "new": True}


def test_a_second_rotation_within_the_grace_keeps_only_the_secret_it_replaced(
    rotating: Gateway, receiver: WebhookReceiver
) -> None:
    gateway = rotating
    gateway.set_webhook_url(receiver.url)
    first = gateway.api("POST", "/api/v1/merchant/webhook/secret").json["webhook_secret"]
    second = gateway.api("POST", "/api/v1/merchant/webhook/secret").json["webhook_secret"]
    hook = _deliver_one(gateway, receiver)
    assert _accepted(hook, first=first, second=second, original=WEBHOOK_SECRET) == {
        "first": True,
        "second": True,
        "original": False,
    }
    assert (
        datetime.now(UTC)
        < gateway.rows("SELECT secret_previous_until AS t FROM webhook_endpoints WHERE is_default")[0]["t"]
    )
