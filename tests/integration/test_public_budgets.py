"""Checkout (publishable-key) requests spend budgets of their own, per key and per caller address,
with the RateLimit headers every authenticated reply carries (issue 25, item 5)."""

from __future__ import annotations

from typing import Any

from gateway.domain import rate_limits
from tests.support import TEST_MERCHANT_ID, Gateway

PUBLIC = {"x-api-key": "key_test_abc123", "x-api-secret": None}
AN_HOUR = 3600  # no token comes back during a test


def _limit(gateway: Gateway, per_period: int | None) -> None:
    gateway.execute(
        "UPDATE merchants SET rate_limit_reads = %s, rate_limit_writes = %s, rate_limit_period_seconds = %s"
        " WHERE id = %s",
        (per_period, per_period, AN_HOUR, TEST_MERCHANT_ID),
    )


def _public(gateway: Gateway, method: str, path: str, body: Any = None, address: str = "198.51.100.30") -> Any:
    return gateway.api(method, path, body, headers=PUBLIC, source_ip=address)


def test_a_merchant_budget_of_five_holds_for_checkout_calls_too(gateway: Gateway) -> None:
    # Given a merchant allowed 5 requests of each kind, and one of its orders
    order = gateway.create_order()
    _limit(gateway, 5)
    # When one page's key is used for 40 status polls and 40 payment attempts from as many addresses
    polls = [
        _public(gateway, "GET", f"/api/v1/orders/{order['id']}/public", address=f"198.51.100.{n}") for n in range(40)
    ]
    body = {"order_id": order["id"], "method": "upi", "vpa": "shopper@okhdfc"}
    creates = [_public(gateway, "POST", "/api/v1/payments/public", body, f"203.0.113.{n}") for n in range(40)]
    # Then the key's own budget stops them at 5 each, in the envelope, with the headers
    for replies in (polls, creates):
        statuses = [reply.status for reply in replies]
        assert statuses.count(429) == 35, statuses
        refused = next(reply for reply in replies if reply.status == 429)
        assert refused.json["error"]["code"] == "RATE_LIMITED" and int(refused.headers["Retry-After"]) >= 1
        assert all(reply.headers.get("RateLimit-Limit") for reply in replies if reply.status != 429)
    assert gateway.count("payments") <= 5


def test_one_address_cannot_spend_the_whole_checkout_budget(gateway: Gateway) -> None:
    # Given the default budget (100), so an address's share is 20
    order = gateway.create_order()
    _limit(gateway, None)
    gateway.execute("UPDATE merchants SET rate_limit_period_seconds = %s WHERE id = %s", (AN_HOUR, TEST_MERCHANT_ID))
    share = int(rate_limits.public_address_limit(rate_limits.DEFAULT_LIMIT))
    path = f"/api/v1/orders/{order['id']}/public"
    # When one address polls past its share
    statuses = [_public(gateway, "GET", path, address="198.51.100.77").status for _ in range(share + 3)]
    # Then it is refused after its share, and another address is still served
    assert statuses == [200] * share + [429] * 3
    other = _public(gateway, "GET", path, address="198.51.100.78")
    assert other.status == 200 and other.headers["RateLimit-Limit"] == str(share)


def test_idle_buckets_are_forgotten_by_the_relay(gateway: Gateway) -> None:
    order = gateway.create_order()
    _public(gateway, "GET", f"/api/v1/orders/{order['id']}/public")
    gateway.execute("UPDATE rate_limit_buckets SET updated_at = now() - interval '2 hours'")
    assert rate_limits.purge_idle_buckets() >= 2  # the key's checkout bucket and the address's
    assert gateway.count("rate_limit_buckets") == 0
