"""Every event fixture under events/ (what `sam local invoke -e` and `start-api` users feed the
functions) goes through its real handler here, so the fixtures cannot rot."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from tests.support import ROOT, Gateway, lambda_context

EVENTS = ROOT / "events"


def _handler(module: str) -> Any:
    return __import__(module).lambda_handler


# fixture file -> (handler module, what the reply must be)
EXPECTED: dict[str, tuple[str, Any]] = {
    "api_health.json": ("api_handler", 200),
    "api_create_order.json": ("api_handler", 201),
    "api_list_payments.json": ("api_handler", 200),
    "api_create_refund_unknown_payment.json": ("api_handler", 404),
    "api_merchant_webhook.json": ("api_handler", 200),
    "api_list_webhooks.json": ("api_handler", 200),
    "sqs_process_payment.json": ("process_payment_handler", {"batchItemFailures": []}),
    # Unknown ids: each consumer drops the record (nothing to do) and reports no failure.
    "sqs_process_refund.json": ("process_refund_handler", {"batchItemFailures": []}),
    "sqs_deliver_webhook.json": ("deliver_webhook_handler", {"batchItemFailures": []}),
    "schedule_relay_outbox.json": ("relay_outbox_handler", None),
    "invoke_admin_create_merchant.json": ("admin_handler", None),
}


def test_every_fixture_is_exercised() -> None:
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_through_its_real_handler(name: str, gateway: Gateway) -> None:
    module, expected = EXPECTED[name]
    event = json.loads((EVENTS / name).read_text())
    reply = _handler(module)(event, cast(Any, lambda_context()))
    if module == "api_handler":
        assert reply["statusCode"] == expected, reply
        body = json.loads(reply["body"])
        if expected >= 400:
            assert set(body["error"]) >= {"code", "description"}
    elif module == "admin_handler":
        assert reply["ok"] is True and reply["merchant"]["email"] == event["email"], reply
    elif module == "relay_outbox_handler":
        assert set(reply) >= {"relayed", "requeued_payments", "requeued_webhooks"}, reply
    else:
        assert reply == expected, reply


def test_fixtures_use_the_routes_and_queues_the_template_declares() -> None:
    from tests.support import TOPOLOGY

    for path in EVENTS.glob("api_*.json"):
        event = json.loads(path.read_text())
        assert TOPOLOGY.route_for(event["requestContext"]["http"]["method"], event["rawPath"]), path.name
    queues = {f"gateway-local-{queue_id}" for queue_id in TOPOLOGY.queues}
    for path in EVENTS.glob("sqs_*.json"):
        arn = json.loads(path.read_text())["Records"][0]["eventSourceARN"]
        assert arn.rsplit(":", 1)[-1] in queues, path.name
