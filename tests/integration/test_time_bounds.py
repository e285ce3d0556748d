"""A hung or refusing queue endpoint must not hold up requests: creates answer within a second (their
messages wait in the outbox for the relay) and /health answers within a second, saying what is down."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
import relay_outbox_handler

from tests.support import FrozenEndpoint, Gateway, lambda_context

Setting = Callable[[str, str], None]


@pytest.fixture
def frozen() -> Iterator[FrozenEndpoint]:
    endpoint = FrozenEndpoint()
    yield endpoint
    endpoint.stop()


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.parametrize("endpoint", ["frozen", "refusing"])
def test_creates_and_health_answer_within_a_second_whatever_the_queue_endpoint_does(
    gateway: Gateway, setting: Setting, aws_endpoint: str, frozen: FrozenEndpoint, endpoint: str
) -> None:
    setting("AWS_ENDPOINT_URL", frozen.url if endpoint == "frozen" else "http://127.0.0.1:9")
    slowest = 0.0
    payments = []
    for _ in range(5):
        started = time.monotonic()
        order = gateway.create_order()
        payments.append(gateway.create_payment(order["id"]))
        slowest = max(slowest, time.monotonic() - started)
    assert slowest < 1.0, f"an order and payment took {slowest:.2f} s"
    health, took = timed(lambda: gateway.api("GET", "/health"))
    assert took < 1.0 and health.status == 503  # type: ignore[attr-defined]
    assert health.json["queue"] == "disconnected" and health.json["database"] == "connected"  # type: ignore[attr-defined]
    # Nothing is lost: every job and event is committed in the outbox, none sent.
    unsent = gateway.rows("SELECT body FROM outbox WHERE sent_at IS NULL AND queue = 'payments'")
    assert sorted(json.loads(row["body"])["payment_id"] for row in unsent) == sorted(p["id"] for p in payments)

    # When the endpoint is back, the relay sends them all and requests send directly again.
    setting("AWS_ENDPOINT_URL", aws_endpoint)
    gateway.execute("UPDATE outbox SET created_at = now() - interval '1 minute'")
    relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context())
    assert gateway.rows("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL") == [{"n": 0}]
    assert gateway.api("GET", "/health").status == 200


def _unsent(gateway: Gateway, payment_id: str) -> int:
    rows = gateway.rows("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND body LIKE %s", (f"%{payment_id}%",))
    return int(rows[0]["n"])


def test_a_failed_send_opens_the_circuit_for_a_few_seconds_then_requests_send_directly_again(
    gateway: Gateway, setting: Setting, aws_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.adapters import sqs, time_bounds

    monkeypatch.setattr(time_bounds, "QUEUE_CIRCUIT_OPEN_SECONDS", 0.5)
    setting("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    failed = gateway.create_payment(gateway.create_order()["id"])  # the send fails: the circuit opens
    assert _unsent(gateway, failed["id"]) == 1
    # The endpoint is back, but while the circuit is open requests leave their messages to the relay.
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    sqs._client.cache_clear()
    skipped = gateway.create_payment(gateway.create_order()["id"])
    assert _unsent(gateway, skipped["id"]) == 1
    time.sleep(0.6)
    sent = gateway.create_payment(gateway.create_order()["id"])
    assert _unsent(gateway, sent["id"]) == 0
