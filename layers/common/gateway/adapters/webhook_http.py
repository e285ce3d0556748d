"""HTTP adapter for webhook delivery: one reused client (kept-alive connections per endpoint), 5 s
timeout, redirects never followed; a batch's posts go out in parallel. httpx is imported with the
first post: the API and the payment consumers import this module (the URL guard) but never post.

Outside local mode the host is resolved once, every address must be public, and the connection
goes to the checked address (Host header and TLS SNI keep the name): a DNS answer that changes
between the check and the connection (rebinding) cannot reach an internal service.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from aws_lambda_powertools import Logger

from gateway.settings import get_settings

if TYPE_CHECKING:
    import httpx

logger = Logger(child=True)

RESPONSE_BODY_LIMIT = 1024
# A queue batch is at most 10 records: each gets its own sender, so a slow endpoint delays only its own.
PARALLEL_POSTS = 10


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


_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # ::a.b.c.d (deprecated, still routed by some stacks)
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local translators, never public


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and that a translator or tunnel would reach."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _IPV4_COMPATIBLE or ip in _NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public_address(address: str) -> bool:
    """Public by its own range and by every IPv4 address it embeds: [::127.0.0.1], NAT64
    [64:ff9b::7f00:1] and 6to4 [2002:7f00:1::] all lead to loopback, though `is_global` says yes."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        return all(inner.is_global and not inner.is_multicast for inner in embedded_ipv4(ip))
    return True


def resolve_public(host: str, port: int) -> str:
    """One public address of `host`; raises if any address it resolves to is not public."""
    try:
        addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedDestination(f"host does not resolve: {host}") from exc
    if not addresses or not all(is_public_address(address) for address in addresses):
        raise BlockedDestination(f"host resolves to a non-public address: {host}")
    return addresses[0]


@dataclass(frozen=True)
class WebhookPost:
    url: str
    body: bytes
    headers: dict[str, str]


@lru_cache(maxsize=1)
def _client() -> httpx.Client:
    import httpx

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
    import httpx

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


@lru_cache(maxsize=1)
def _senders() -> ThreadPoolExecutor:
    # Lives with the container; the threads never touch the database.
    return ThreadPoolExecutor(max_workers=PARALLEL_POSTS, thread_name_prefix="webhook-post")


def post_all(posts: Sequence[WebhookPost]) -> list[DeliveryResult]:
    """Each post's result, in order; the posts go out in parallel, none waits for another."""
    if len(posts) == 1:
        return [_post_safely(posts[0])]
    return list(_senders().map(_post_safely, posts))


def _post_safely(webhook: WebhookPost) -> DeliveryResult:
    """A post whose unexpected error (a bug, not the endpoint's doing) is its own failed attempt,
    recorded and retried, so it cannot fail the batch and make SQS resend the others."""
    started = time.perf_counter()
    try:
        return post(webhook.url, webhook.body, webhook.headers)
    except Exception as exc:
        logger.exception("webhook post failed unexpectedly")
        elapsed = int((time.perf_counter() - started) * 1000)
        return DeliveryResult(None, None, f"unexpected {type(exc).__name__}"[:500], elapsed)
