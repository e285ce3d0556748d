"""CORS, per route as api_routes/access.py says: the checkout's origins on the publishable-key
routes, the dashboard's origins on the private routes and sign-in (the dashboard calls them with a
Bearer session). Nothing else is reachable cross-origin."""

from __future__ import annotations

from typing import Any

from api_routes.access import Access, Route
from gateway.settings import get_settings


def _policy(event: dict[str, Any], matched: list[Route]) -> tuple[str, dict[str, str]] | None:
    """`matched`: the routes the request's path matches (any method: a preflight is an OPTIONS)."""
    origin = (event.get("headers") or {}).get("origin")
    if not origin:
        return None
    accesses = {route.access for route in matched}
    settings = get_settings()
    checkout = bool({Access.PUBLISHABLE_KEY, Access.PAYMENT_LINK} & accesses)
    if checkout and origin in settings.checkout_origin_list:
        return origin, {
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, X-Api-Key, Idempotency-Key",
        }
    dashboard = bool({Access.PRIVATE, Access.LOCAL_PRIVATE, Access.SIGN_IN} & set(accesses))
    if dashboard and not checkout and origin in settings.dashboard_origin_list:
        return origin, {
            "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Authorization, Idempotency-Key, Gateway-Version",
            "Access-Control-Expose-Headers": "X-Request-Id, Gateway-Version, Retry-After, "
            "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset",
        }
    return None


def cors_headers(origin: str, extra: dict[str, str]) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", **extra}


def preflight(event: dict[str, Any], matched: list[Route]) -> dict[str, Any] | None:
    """The answer to an OPTIONS preflight the policy allows, or None to route normally."""
    if event.get("requestContext", {}).get("http", {}).get("method") != "OPTIONS":
        return None
    policy = _policy(event, matched)
    if policy is None:
        return None
    headers = {**cors_headers(*policy), "Access-Control-Max-Age": "600"}
    return {"statusCode": 204, "headers": headers, "body": ""}


def add_headers(event: dict[str, Any], response: dict[str, Any], matched: list[Route]) -> None:
    policy = _policy(event, matched)
    if policy is not None:
        response.setdefault("headers", {}).update(cors_headers(*policy))
