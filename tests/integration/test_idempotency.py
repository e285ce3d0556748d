"""Idempotency keys on the real Postgres: replay, reuse, in-flight, crash, concurrency."""

from __future__ import annotations

import psycopg
import pytest

from tests.support import TEST_MERCHANT_ID, Gateway, wait_until


def test_same_key_same_request_replays_the_first_reply(gateway: Gateway) -> None:
    order = gateway.create_order()
    body = {"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"}
    first = gateway.api("POST", "/api/v1/payments", body, headers={"idempotency-key": "pay-1"})
    again = gateway.api("POST", "/api/v1/payments", body, headers={"idempotency-key": "pay-1"})
    assert first.status == again.status == 201
    assert again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert gateway.count("payments") == 1
    assert len(gateway.receive("PaymentsQueue")) == 1


def test_key_order_and_spacing_of_the_body_do_not_matter(gateway: Gateway) -> None:
    first = gateway.api(
        "POST", "/api/v1/orders", raw=b'{"amount": 5000, "receipt": "r"}', headers={"idempotency-key": "k"}
    )
    again = gateway.api(
        "POST", "/api/v1/orders", raw=b'{"receipt":"r","amount":5000}', headers={"idempotency-key": "k"}
    )
    assert again.body == first.body and gateway.count("orders") == 1


def test_same_key_different_body_or_path_is_422(gateway: Gateway) -> None:
    gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "k"})
    other_body = gateway.api("POST", "/api/v1/orders", {"amount": 6000}, headers={"idempotency-key": "k"})
    assert other_body.status == 422
    assert other_body.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    order = gateway.create_order()
    other_path = gateway.api(
        "POST",
        "/api/v1/payments",
        {"order_id": order["id"], "method": "upi", "vpa": "a@b"},
        headers={"idempotency-key": "k"},
    )
    assert other_path.status == 422
    assert gateway.count("orders") == 2 and gateway.count("payments") == 0


def test_keys_are_scoped_per_merchant(gateway: Gateway) -> None:
    gateway.execute(
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, webhook_secret)"
        " VALUES ('Other', 'o@example.com', 'key_o', encode(sha256('secret_o'), 'hex'), 'whsec_o')"
    )
    mine = gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "shared"})
    theirs = gateway.api(
        "POST",
        "/api/v1/orders",
        {"amount": 5000},
        headers={"idempotency-key": "shared", "x-api-key": "key_o", "x-api-secret": "secret_o"},
    )
    assert theirs.status == 201 and theirs.json["id"] != mine.json["id"]


def test_errors_are_not_stored_so_the_client_can_fix_and_retry(gateway: Gateway) -> None:
    order = gateway.create_order()
    bad = gateway.api(
        "POST",
        "/api/v1/payments",
        {"order_id": order["id"], "method": "upi", "vpa": "bad"},
        headers={"idempotency-key": "fix-me"},
    )
    assert bad.status == 400
    good = gateway.api(
        "POST",
        "/api/v1/payments",
        {"order_id": order["id"], "method": "upi", "vpa": "a@okicici"},
        headers={"idempotency-key": "fix-me"},
    )
    assert good.status == 201
    assert gateway.count("idempotency_keys") == 1


def test_a_request_in_flight_gets_409(gateway: Gateway) -> None:
    # Given another request holding the key (its transaction is open)...
    with psycopg.connect(gateway.database_url, autocommit=True) as other, other.transaction():
        other.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"idempotency:{TEST_MERCHANT_ID}:busy",)
        )
        response = gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "busy"})
        assert response.status == 409
        assert response.json["error"]["code"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
    # ...once it ends without storing anything (it crashed), the key is free again.
    assert gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "busy"}).status == 201


def test_a_crashed_request_does_not_block_its_key(gateway: Gateway) -> None:
    conn = psycopg.connect(gateway.database_url)
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"idempotency:{TEST_MERCHANT_ID}:crash",))
    assert gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "crash"}).status == 409
    # The process dies: its session ends and Postgres releases the lock with the transaction.
    conn.pgconn.finish()
    assert wait_until(
        lambda: (
            gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "crash"}).status == 201
        ),
        timeout=5,
    )


def test_expired_keys_are_free_again(gateway: Gateway) -> None:
    first = gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "old"})
    gateway.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    again = gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": "old"})
    assert again.status == 201 and again.json["id"] != first.json["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\tkey"])
def test_malformed_keys_are_400(gateway: Gateway, key: str) -> None:
    response = gateway.api("POST", "/api/v1/orders", {"amount": 5000}, headers={"idempotency-key": key})
    assert response.status == 400 and gateway.count("orders") == 0


def test_nothing_stored_for_a_card_payment_key_is_derivable_from_the_card(gateway: Gateway) -> None:
    """PCI: the stored fingerprint must not be a hash over the PAN, expiry or CVV (brute-forcible)."""
    import hashlib
    import json

    from gateway.domain.idempotency import Request

    order = gateway.create_order()
    card = {"number": "4000 0000 0000 0002", "expiry_month": "07", "expiry_year": "2031", "cvv": "947"}
    body = {"order_id": order["id"], "method": "card", "card": card}
    first = gateway.api("POST", "/api/v1/payments", body, headers={"idempotency-key": "card-1"})
    assert first.status == 201, first.body
    (stored,) = gateway.rows("SELECT request_fingerprint, response_body FROM idempotency_keys WHERE key = 'card-1'")

    # The hash the gateway used to store, over the whole body, is not what is stored now...
    whole = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert stored["request_fingerprint"] != hashlib.sha256(f"POST\n/api/v1/payments\n{whole}".encode()).hexdigest()
    # ...and what is stored is the same whatever the expiry and CVV were: it holds nothing of them.
    other_secrets = {**card, "expiry_month": "01", "expiry_year": "2040", "cvv": "000"}
    other = Request("POST", "/api/v1/payments", {**body, "card": other_secrets})
    assert stored["request_fingerprint"] == other.fingerprint
    for secret in ("4000000000000002", "4000 0000 0000 0002", "947"):
        assert secret not in stored["response_body"]
    # A retry under the key replays the first reply; a different card (other last four) is refused.
    retry = gateway.api(
        "POST", "/api/v1/payments", {**body, "card": other_secrets}, headers={"idempotency-key": "card-1"}
    )
    assert retry.status == 201 and retry.headers.get("Idempotent-Replayed") == "true"
    different = {**card, "number": "4111 1111 1111 1111"}
    refused = gateway.api(
        "POST", "/api/v1/payments", {**body, "card": different}, headers={"idempotency-key": "card-1"}
    )
    assert refused.status == 422
