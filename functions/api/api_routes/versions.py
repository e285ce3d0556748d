"""API versions (README, "Versioning"): a dated version per shape of the API, as Stripe does.

A request may pin the version it was written against with `Gateway-Version`; without the header it
gets the current one. Every reply names the version it was answered in. A breaking change adds a
new date here and a translation of the older shape at this boundary; the domain speaks only the
newest one.
"""

from __future__ import annotations

from typing import Any

from gateway.errors import BadRequest

CURRENT = "2026-11-01"
SUPPORTED = (CURRENT,)
HEADER = "Gateway-Version"


def requested(event: dict[str, Any]) -> str:
    """The version this request is answered in; BadRequest for a version we do not have."""
    asked: str | None = (event.get("headers") or {}).get(HEADER.lower())
    if asked is None:
        return CURRENT
    if asked.strip() not in SUPPORTED:
        raise BadRequest(f"Unsupported {HEADER} {asked[:40]!r}; supported: {', '.join(SUPPORTED)}")
    return asked.strip()


def answered_in(event: dict[str, Any]) -> str:
    """The version to name on a reply (the current one when the request asked for one we lack)."""
    try:
        return requested(event)
    except BadRequest:
        return CURRENT
