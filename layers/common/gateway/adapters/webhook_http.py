"""HTTP adapter for webhook delivery: one reused client, 5 s timeout, redirects never followed.

Outside local mode the host is resolved once, every address must be public, and the connection
goes to the checked address (Host header and TLS SNI keep the name): a DNS answer that changes
between the check and the connection (rebinding) cannot reach an internal service.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

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


class BlockedDestination(Exception):
    pass


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def resolve_public(host: str, port: int) -> str:
    """One public address of `host`; raises if any address it resolves to is not public."""
    try:
        addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedDestination(f"host does not resolve: {host}") from exc
    if not addresses or not all(is_public_address(address) for address in addresses):
        raise BlockedDestination(f"host resolves to a non-public address: {host}")
    return addresses[0]


@lru_cache(maxsize=1)
def _client() -> httpx.Client:
    return httpx.Client(
        timeout=get_settings().webhook_timeout_seconds,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


def _pinned(url: str) -> tuple[str, dict[str, str], dict[str, str]]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_public(host, port)
    netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": host_header}, {"sni_hostname": host}


def post(url: str, body: bytes, headers: dict[str, str]) -> DeliveryResult:
    started = time.perf_counter()
    request_headers: dict[str, str] = dict(headers)
    extensions: dict[str, str] = {}
    try:
        if not get_settings().allows_private_webhook_urls:
            url, host_header, extensions = _pinned(url)
            request_headers.update(host_header)
        request = _client().build_request("POST", url, content=body, headers=request_headers, extensions=extensions)
        response = _client().send(request)
    except (httpx.HTTPError, BlockedDestination) as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        return DeliveryResult(None, None, f"{type(exc).__name__}: {exc}"[:500], elapsed)
    elapsed = int((time.perf_counter() - started) * 1000)
    return DeliveryResult(response.status_code, response.text[:RESPONSE_BODY_LIMIT], None, elapsed)
