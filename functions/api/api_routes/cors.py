"""CORS for the public checkout endpoints only: the checkout's origins, nothing private."""

from __future__ import annotations

import re
from typing import Any

from gateway.settings import get_settings

PUBLIC_PATH = re.compile(r"^/api/v1/(orders/[^/]+/public|payments/public|payments/[^/]+/public)$")
ALLOWED_HEADERS = "Content-Type, X-Api-Key, Idempotency-Key"


def _allowed_origin(event: dict[str, Any]) -> str | None:
    origin = (event.get("headers") or {}).get("origin")
    if not origin or not PUBLIC_PATH.match(event.get("rawPath") or ""):
        return None
    return origin if origin in get_settings().checkout_origin_list else None


def preflight(event: dict[str, Any]) -> dict[str, Any] | None:
    """The answer to an OPTIONS preflight for a public endpoint, or None to route normally."""
    if event.get("requestContext", {}).get("http", {}).get("method") != "OPTIONS":
        return None
    origin = _allowed_origin(event)
    if origin is None:
        return None
    return {"statusCode": 204, "headers": {**cors_headers(origin), "Access-Control-Max-Age": "600"}, "body": ""}


def cors_headers(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Vary": "Origin",
    }


def add_headers(event: dict[str, Any], response: dict[str, Any]) -> None:
    origin = _allowed_origin(event)
    if origin is not None:
        response.setdefault("headers", {}).update(cors_headers(origin))
