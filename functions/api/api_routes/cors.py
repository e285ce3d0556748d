"""CORS, per route family: the checkout's origins on the public checkout endpoints, the dashboard's
origins on the routes the dashboard uses (Bearer sessions). Nothing else is reachable cross-origin."""

from __future__ import annotations

import re
from typing import Any

from gateway.settings import get_settings

PUBLIC_PATH = re.compile(r"^/api/v1/(orders/[^/]+/public|payments/public|payments/[^/]+/public)$")
DASHBOARD_PATH = re.compile(
    r"^/api/v1/(auth/login|merchant(/.*)?|payments(/.*)?|orders(/.*)?|refunds(/.*)?|webhooks(/.*)?|events(/.*)?|webhook_endpoints(/.*)?)$"
)


def _policy(event: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    origin = (event.get("headers") or {}).get("origin")
    path = event.get("rawPath") or ""
    if not origin:
        return None
    settings = get_settings()
    if PUBLIC_PATH.match(path) and origin in settings.checkout_origin_list:
        return origin, {
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, X-Api-Key, Idempotency-Key",
        }
    if DASHBOARD_PATH.match(path) and not PUBLIC_PATH.match(path) and origin in settings.dashboard_origin_list:
        return origin, {
            "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Authorization, Idempotency-Key, Gateway-Version",
            "Access-Control-Expose-Headers": "X-Request-Id, Gateway-Version, Retry-After, "
            "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset",
        }
    return None


def cors_headers(origin: str, extra: dict[str, str]) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", **extra}


def preflight(event: dict[str, Any]) -> dict[str, Any] | None:
    """The answer to an OPTIONS preflight the policy allows, or None to route normally."""
    if event.get("requestContext", {}).get("http", {}).get("method") != "OPTIONS":
        return None
    policy = _policy(event)
    if policy is None:
        return None
    headers = {**cors_headers(*policy), "Access-Control-Max-Age": "600"}
    return {"statusCode": 204, "headers": headers, "body": ""}


def add_headers(event: dict[str, Any], response: dict[str, Any]) -> None:
    policy = _policy(event)
    if policy is not None:
        response.setdefault("headers", {}).update(cors_headers(*policy))
