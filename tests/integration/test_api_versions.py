"""API versioning: a request may pin the dated version it was written for; every reply names its version."""

from __future__ import annotations

from tests.support import Gateway


def test_replies_name_the_current_version_when_none_is_asked_for(gateway: Gateway) -> None:
    reply = gateway.api("GET", "/api/v1/orders")
    assert reply.status == 200 and reply.headers["Gateway-Version"] == "2026-11-01"
    assert gateway.api("GET", "/health").headers["Gateway-Version"] == "2026-11-01"


def test_a_pinned_version_is_answered_in_that_version(gateway: Gateway) -> None:
    reply = gateway.api("POST", "/api/v1/orders", {"amount": 100}, headers={"gateway-version": "2026-11-01"})
    assert reply.status == 201 and reply.headers["Gateway-Version"] == "2026-11-01"


def test_an_unknown_version_is_refused_before_anything_is_written(gateway: Gateway) -> None:
    for asked in ("2020-01-01", "latest", ""):
        reply = gateway.api("POST", "/api/v1/orders", {"amount": 100}, headers={"gateway-version": asked})
        assert reply.status == 400, asked
        assert reply.json["error"]["code"] == "BAD_REQUEST_ERROR"
        assert "supported: 2026-11-01" in reply.json["error"]["description"]
    assert gateway.count("orders") == 0


def test_the_openapi_document_carries_the_version(gateway: Gateway) -> None:
    assert gateway.api("GET", "/api/v1/openapi.json").json["info"]["version"] == "2026-11-01"
