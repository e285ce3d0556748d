"""HTTP adapter for webhook delivery: one reused connection pool (kept-alive connections per
endpoint), a total deadline per post (Settings.webhook_timeout_seconds, 5 s of wall clock from the
connection to the end of the answer), at most RESPONSE_BODY_LIMIT bytes of an answer read,
redirects never followed; a batch's posts go out in parallel. httpcore is imported with the first
post: the API and the payment consumers import this module (the URL guard) but never post.

Outside local mode the host is resolved once, every address must be public, and the connection
goes to the checked address (Host header and TLS SNI keep the name): a DNS answer that changes
between the check and the connection (rebinding) cannot reach an internal service.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from urllib.parse import urlsplit, urlunsplit

from aws_lambda_powertools import Logger

from gateway.adapters import failures
from gateway.settings import get_settings

if TYPE_CHECKING:
    import ssl

    import httpcore

logger = Logger(child=True)

RESPONSE_BODY_LIMIT = 1024
USER_AGENT = "payment-gateway-webhooks/1"
# A queue batch is at most 10 records: each gets its own sender, so a slow endpoint delays only its own.
PARALLEL_POSTS = 10


class DeliveryResult(NamedTuple):
    status_code: int | None
    response_body: str | None
    error: str | None
    latency_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class BlockedDestination(Exception):
    pass


_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")  # RFC 3056: bits 16-48 are the IPv4
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# The IANA IPv6 Special-Purpose Address Registry's blocks inside 2000::/3 that are not globally
# reachable (https://www.iana.org/assignments/iana-ipv6-special-registry): the IETF protocol
# assignments (Teredo, benchmarking, ORCHID and the rest of 2001::/23) and the documentation ranges.
# 6to4 (2002::/16) is decided by the IPv4 address it carries.
_SPECIAL_IN_GLOBAL_UNICAST = tuple(ipaddress.ip_network(block) for block in ("2001::/23", "2001:db8::/32", "3fff::/20"))
# The registry's entries inside those blocks that are globally reachable.
_GLOBALLY_REACHABLE_EXCEPTIONS = tuple(
    ipaddress.ip_network(block)
    for block in (
        "2001:1::1/128",  # Port Control Protocol anycast
        "2001:1::2/128",  # TURN anycast
        "2001:1::3/128",  # DNS-SD service registration protocol anycast
        "2001:3::/32",  # AMT
        "2001:4:112::/48",  # AS112-v6
        "2001:20::/28",  # ORCHIDv2
        "2001:30::/28",  # drone remote ID (DET)
    )
)


def _public_ipv4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not ip.is_multicast


def _public_ipv6(ip: ipaddress.IPv6Address) -> bool:
    """Global unicast (2000::/3) outside the registry's special-purpose blocks, and a 6to4 or NAT64
    address only when the IPv4 address it leads to is public. Everything else is refused, whatever
    it is (IPv4-mapped, -compatible or -translated, site-local, SRv6, unassigned): what may pass is
    listed, not what may not."""
    if ip in _NAT64_WELL_KNOWN:  # outside 2000::/3; a public IPv4 through a well-known translator
        return _public_ipv4(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip not in _GLOBAL_UNICAST:
        return False
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour is not None and _public_ipv4(ip.sixtofour)
    special = any(ip in block for block in _SPECIAL_IN_GLOBAL_UNICAST)
    return not special or any(ip in block for block in _GLOBALLY_REACHABLE_EXCEPTIONS)


def is_public_address(address: str) -> bool:
    """Whether a webhook may connect to this address: a public IPv4 address, or an IPv6 address in
    global unicast outside the special-purpose blocks (`_public_ipv6`). [::127.0.0.1], NAT64
    [64:ff9b::7f00:1], 6to4 [2002:7f00:1::] and [::ffff:0:7f00:1] all lead to loopback; none passes."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        return _public_ipv6(ip)
    return _public_ipv4(ip)


def resolve_public(host: str, port: int) -> str:
    """One public address of `host`; raises if any address it resolves to is not public."""
    try:
        addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedDestination(f"host does not resolve: {host}") from exc
    if not addresses or not all(is_public_address(address) for address in addresses):
        raise BlockedDestination(f"host resolves to a non-public address: {host}")
    return addresses[0]


class WebhookPost(NamedTuple):
    url: str
    body: bytes
    headers: dict[str, str]


# --- a total deadline for each post -------------------------------------------------------------
#
# httpcore bounds each socket operation on its own (a read timeout is per read: a receiver that
# drips a byte a second never trips it). Each post sets its wall-clock deadline for its thread
# (every post runs on its own sender thread), and the network backend below gives each connect,
# TLS handshake, write and read at most the time left before it: the whole exchange ends by the
# deadline, whatever the receiver does.

_post_deadline = threading.local()


def _time_left(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline: float | None = getattr(_post_deadline, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the post's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """An httpcore network stream whose every operation ends by the post's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        import httpcore

        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        import httpcore

        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> _DeadlineStream:
        import httpcore

        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend:
    """httpcore's own socket backend, each connection bounded by the post's deadline."""

    def __init__(self) -> None:
        import httpcore

        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> _DeadlineStream:
        import httpcore

        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, left, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> _DeadlineStream:
        raise NotImplementedError("webhooks go over TCP")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@lru_cache(maxsize=1)
def _client() -> httpcore.ConnectionPool:
    """Kept-alive connections per endpoint. httpcore, not httpx: it follows no redirect and decodes
    nothing, and takes the deadline-bound network backend."""
    import httpcore

    return httpcore.ConnectionPool(
        max_connections=100,
        max_keepalive_connections=20,
        network_backend=cast("httpcore.NetworkBackend", _DeadlineBackend()),
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
    """One post, ended by its total deadline (Settings.webhook_timeout_seconds of wall clock for the
    connection, the request and the answer); at most RESPONSE_BODY_LIMIT bytes of the answer's body
    are read, and the connection is dropped if more was coming. An answer not complete by the
    deadline is a timeout, not a success."""
    import httpcore

    deadline_seconds = get_settings().webhook_timeout_seconds
    started = time.perf_counter()
    _post_deadline.at = time.monotonic() + deadline_seconds
    request_headers: dict[bytes | str, bytes | str] = {"User-Agent": USER_AGENT}
    request_headers.update(headers)
    timeouts = dict.fromkeys(("connect", "read", "write", "pool"), deadline_seconds)
    extensions: dict[str, Any] = {"timeout": timeouts}
    try:
        if not get_settings().allows_private_webhook_urls:
            url, host_header, sni = _pinned(url)
            request_headers.update(host_header)
            extensions.update(sni)
        with _client().stream("POST", url, headers=request_headers, content=body, extensions=extensions) as response:
            status = response.status
            answer = _bounded_body(response.iter_stream())
    except (
        httpcore.TimeoutException,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpcore.UnsupportedProtocol,
    ) as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        error = f"{type(exc).__name__}: {exc or 'no answer'}"
        if isinstance(exc, httpcore.TimeoutException):
            error = f"{type(exc).__name__}: no complete answer within {deadline_seconds:g} s"
        return DeliveryResult(None, None, error[:500], elapsed)
    except BlockedDestination as exc:
        elapsed = int((time.perf_counter() - started) * 1000)
        return DeliveryResult(None, None, f"{type(exc).__name__}: {exc}"[:500], elapsed)
    finally:
        _post_deadline.at = None
    elapsed = int((time.perf_counter() - started) * 1000)
    return DeliveryResult(status, answer.decode("utf-8", errors="replace"), None, elapsed)


def _bounded_body(chunks: Iterator[bytes]) -> bytes:
    """At most RESPONSE_BODY_LIMIT bytes of a body, read as they come: never more than that is
    held, however much the receiver sends."""
    kept = b""
    for chunk in chunks:
        kept += chunk[: RESPONSE_BODY_LIMIT - len(kept)]
        if len(kept) >= RESPONSE_BODY_LIMIT:
            break
    return kept


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
        failures.log_error(logger, "webhook post failed unexpectedly", exc)
        elapsed = int((time.perf_counter() - started) * 1000)
        return DeliveryResult(None, None, f"unexpected {type(exc).__name__}"[:500], elapsed)
