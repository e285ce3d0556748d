"""Card-data canaries: card payments with distinctive numbers go through every path (private API,
public checkout API, refused cards, an idempotent replay, processing, webhooks). Afterwards nothing
the gateway keeps or emits may hold the PAN or the CVV: not a database row, not a log line, not a
queue message, not a webhook body; and no stored value may be a hash of a body that held them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e_support import LocalStack, running_stack
from tests.support import AUTH, WebhookReceiver, wait_until

pytestmark = pytest.mark.e2e


def luhn_complete(prefix: str) -> str:
    """`prefix` plus the check digit that makes it a valid card number."""
    total = 0
    for position, char in enumerate(reversed(prefix + "0")):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return prefix + str((10 - total % 10) % 10)


CANARY_PANS = [luhn_complete("491761738291645"), luhn_complete("555503829176452")]
CANARY_CVV = "738"
EXPIRED_PAN = luhn_complete("401288738291640")


@pytest.fixture(scope="module")
def canary_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(Path(tmp_path_factory.mktemp("canary")), {"POWERTOOLS_LOG_LEVEL": "DEBUG"}) as stack:
        yield stack


def card(number: str, **extra: str) -> dict[str, str]:
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return {"number": spaced, "expiry_month": "09", "expiry_year": "2034", "cvv": CANARY_CVV, **extra}


def database_dump(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        rows = [row[0] for table in tables for row in conn.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')]
    return "\n".join(rows)


def test_no_pan_or_cvv_anywhere_after_every_card_path(canary_stack: LocalStack, receiver: WebhookReceiver) -> None:
    api = httpx.Client(base_url=canary_stack.url, headers=AUTH, timeout=10)
    assert api.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url}).status_code == 200
    bodies: list[dict[str, object]] = []

    def pay(path: str, body: dict[str, object], headers: dict[str, str] | None = None) -> httpx.Response:
        bodies.append(body)
        return api.post(path, json=body, headers=headers or {})

    # Private API, with an idempotent replay.
    order = api.post("/api/v1/orders", json={"amount": 73_800}).json()
    body = {"order_id": order["id"], "method": "card", "card": card(CANARY_PANS[0], holder_name="Canary One")}
    first = pay("/api/v1/payments", body, {"Idempotency-Key": "canary-1"})
    replay = pay("/api/v1/payments", body, {"Idempotency-Key": "canary-1"})
    assert first.status_code == replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    # Public checkout API (the key alone).
    order2 = api.post("/api/v1/orders", json={"amount": 12_000}).json()
    public = httpx.post(
        f"{canary_stack.url}/api/v1/payments/public",
        json={"order_id": order2["id"], "method": "card", "card": card(CANARY_PANS[1])},
        headers={"X-Api-Key": AUTH["x-api-key"]},
        timeout=10,
    )
    bodies.append({"order_id": order2["id"], "method": "card", "card": card(CANARY_PANS[1])})
    assert public.status_code == 201, public.text
    # Refused cards: expired, failing the Luhn check, on an unknown order.
    order3 = api.post("/api/v1/orders", json={"amount": 5_000}).json()
    expired = pay(
        "/api/v1/payments",
        {"order_id": order3["id"], "method": "card", "card": {**card(EXPIRED_PAN), "expiry_year": "2020"}},
    )
    bad_luhn = pay(
        "/api/v1/payments", {"order_id": order3["id"], "method": "card", "card": card(CANARY_PANS[0][:-1] + "0")}
    )
    unknown = pay("/api/v1/payments", {"order_id": "order_nope", "method": "card", "card": card(CANARY_PANS[0])})
    assert (expired.status_code, bad_luhn.status_code, unknown.status_code) == (400, 400, 404)
    for refused in (expired, bad_luhn, unknown):
        assert CANARY_CVV not in refused.text and "491761" not in refused.text

    # Both payments are processed and their webhooks delivered.
    done = wait_until(
        lambda: sum(1 for hook in receiver.received if hook.json["event"] == "payment.success") >= 2, timeout=30
    )
    assert done, [hook.json["event"] for hook in receiver.received]

    dump = database_dump(canary_stack.database_url)
    logs = canary_stack.log()
    webhooks = "\n".join(hook.body.decode() for hook in receiver.received)
    assert len(logs) > 1000 and "payment" in webhooks  # there is something to search
    for where, text in (("database", dump), ("logs", logs), ("webhooks", webhooks)):
        for pan in [*CANARY_PANS, EXPIRED_PAN]:
            digits_anywhere = re.sub(r"[\s-]", "", text)
            assert pan not in digits_anywhere, f"PAN in {where}"
            assert pan[:6] + pan[6:12] not in text, f"PAN fragment in {where}"
        assert f'"{CANARY_CVV}"' not in text and '"cvv"' not in text, f"CVV in {where}"
    # Only last four and network are kept.
    stored = {json.loads(row)["card_last4"] for row in dump.splitlines() if '"card_last4"' in row}
    assert {pan[-4:] for pan in CANARY_PANS} <= stored

    # No stored value is a hash of any body (or of its canonical form) that held card data.
    hashes = set()
    for sent in bodies:
        for text in (json.dumps(sent), json.dumps(sent, sort_keys=True, separators=(",", ":"))):
            for prefix in ("", "POST\n/api/v1/payments\n", "POST\n/api/v1/payments/public\n"):
                hashes.add(hashlib.sha256((prefix + text).encode()).hexdigest())
    stored_hex = set(re.findall(r"[0-9a-f]{64}", dump))
    assert not hashes & stored_hex
