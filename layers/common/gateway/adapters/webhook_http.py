"""HTTP adapter for webhook delivery: one reused client, 5 s timeout, redirects never followed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import httpx

from gateway.settings import get_settings

RESPONSE_BODY_LIMIT = 1024


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int | None
    response_body: str | None
    error: str | None
    latency_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@lru_cache(maxsize=1)
def _client() -> httpx.Client:
    return httpx.Client(timeout=get_settings().webhook_timeout_seconds, follow_redirects=False)


def post(url: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
    started = time.perf_counter()
    try:
        response = _client().post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        return DeliveryResult(None, None, f"{type(exc).__name__}: {exc}"[:500], elapsed)
    elapsed = int((time.perf_counter() - started) * 1000)
    return DeliveryResult(response.status_code, response.text[:RESPONSE_BODY_LIMIT], None, elapsed)
