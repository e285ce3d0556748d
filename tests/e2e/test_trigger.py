"""`scripts/gateway trigger` (issue 23, item 3) against the running stack: every event type in the
catalog has a trigger, and each records exactly one event of its type, found by the id it returns."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from gateway.catalog import EVENT_TYPES
from tests.e2e_support import LocalStack
from tests.support import AUTH, ROOT, wait_until
from toolkit import triggers

pytestmark = pytest.mark.e2e


@pytest.fixture
def gateway(local_stack: LocalStack) -> Iterator[triggers.GatewayClient]:
    client = triggers.GatewayClient(local_stack.url, AUTH["x-api-key"], AUTH["x-api-secret"], wait_seconds=30)
    yield client
    client.close()


def _ids(gateway: triggers.GatewayClient, event_type: str, payment_id: str | None) -> list[str]:
    scope = {"payment_id": payment_id} if payment_id else {}
    return [event["id"] for event in gateway.get("/api/v1/events", type=event_type, limit=100, **scope)["data"]]


def test_every_catalog_type_is_triggered_for_real_once(gateway: triggers.GatewayClient) -> None:
    triggered: list[triggers.Event] = []
    for event_type in EVENT_TYPES:
        before = _ids(gateway, event_type, None)
        event = triggers.run(event_type, gateway)
        assert event.type == event_type and event.id.startswith("evt_")
        assert gateway.get(f"/api/v1/events/{event.id}")["type"] == event_type
        if event.payment_id:
            # Other triggers' payments go on emitting events meanwhile: count this trigger's own.
            assert _ids(gateway, event_type, event.payment_id) == [event.id]
        else:
            assert [i for i in _ids(gateway, event_type, None) if i not in before] == [event.id]
        triggered.append(event)

    # Still one each once everything the triggers started has finished (their payments and refunds final;
    # the stack is shared, so only theirs).
    def in_flight(payment_id: str) -> bool:
        payment = gateway.get(f"/api/v1/payments/{payment_id}")
        refunds = gateway.get(f"/api/v1/payments/{payment_id}/refunds")["data"]
        return payment["status"] in ("pending", "processing") or any(r["status"] == "pending" for r in refunds)

    assert wait_until(lambda: not any(in_flight(e.payment_id) for e in triggered if e.payment_id), timeout=30)
    for event in triggered:
        if event.payment_id:
            assert _ids(gateway, event.type, event.payment_id) == [event.id]


def test_the_script_lists_every_type_and_prints_the_event_id(local_stack: LocalStack) -> None:
    listed = subprocess.run(
        ["scripts/gateway", "trigger", "--list"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(EVENT_TYPES)

    done = subprocess.run(
        ["scripts/gateway", "trigger", "payment.failed", "--local", "--api-url", local_stack.url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    event_id = done.stdout.strip()
    event = httpx.get(f"{local_stack.url}/api/v1/events/{event_id}", headers=AUTH, timeout=10).json()
    assert event["type"] == "payment.failed"
    assert event["data"]["payment"]["error_code"] == "PAYMENT_FAILED"
