"""Issue 25 item 15: HTTP/1.1 message framing in the local API server (RFC 9112 section 6). Raw
sockets to 127.0.0.1 against the real HttpApiServer, whose requests go to the real API handler on the
test Postgres: a request whose framing is ambiguous or incomplete is a 400 in the envelope, reaches
no function, and stores nothing."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any, cast

import pytest

from devstack.http_api import HttpApiServer
from tests.support import AUTH, TOPOLOGY, Gateway, lambda_context, read_response

BODY = json.dumps({"amount": 12_345, "receipt": "framing"}).encode()


class Server:
    def __init__(self, port: int) -> None:
        self.port = port
        self.invocations: list[dict[str, Any]] = []


@pytest.fixture
def server(gateway: Gateway) -> Iterator[Server]:
    import api_handler

    state = Server(0)

    def invoke(function_id: str, event: dict[str, Any]) -> Any:
        state.invocations.append(event)
        return api_handler.lambda_handler(event, cast(Any, lambda_context(function_id)))

    api = HttpApiServer(TOPOLOGY, invoke, 0, lambda _: None)
    api.start()
    state.port = api.port
    yield state
    api.stop()


def head(extra: list[str], method: str = "POST", path: str = "/api/v1/orders") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in AUTH.items()), *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def exchange(server: Server, data: bytes, half_close: bool = False) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(data)
        if half_close:
            conn.shutdown(socket.SHUT_WR)
        return read_response(conn)


def chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


FRAMING_ERRORS = {
    # A body shorter than its Content-Length, then the client's half-close.
    "short-body-half-close": (
        head(["Content-Type: application/json", f"Content-Length: {len(BODY) + 20}"]) + BODY,
        True,
    ),
    # Two different lengths: which one frames the body is ambiguous (request smuggling).
    "two-content-lengths": (
        head(["Content-Type: application/json", f"Content-Length: {len(BODY)}", "Content-Length: 5"]) + BODY,
        False,
    ),
    "content-length-list": (
        head(["Content-Type: application/json", f"Content-Length: {len(BODY)}, 5"]) + BODY,
        False,
    ),
    # Both Transfer-Encoding and Content-Length.
    "chunked-and-content-length": (
        head(["Content-Type: application/json", "Transfer-Encoding: chunked", f"Content-Length: {len(BODY)}"])
        + chunked(BODY),
        False,
    ),
    # A transfer coding the server does not implement.
    "gzip-chunked": (
        head(["Content-Type: application/json", "Transfer-Encoding: gzip, chunked"]) + chunked(BODY),
        False,
    ),
    "chunked-not-last": (
        head(["Content-Type: application/json", "Transfer-Encoding: chunked, identity"]) + chunked(BODY),
        False,
    ),
    "two-transfer-encodings": (
        head(["Content-Type: application/json", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked"])
        + chunked(BODY),
        False,
    ),
    # Chunked bodies cut short, or with malformed framing.
    "chunk-cut-short": (
        head(["Content-Type: application/json", "Transfer-Encoding: chunked"])
        + f"{len(BODY) + 10:x}\r\n".encode()
        + BODY,
        True,
    ),
    "no-last-chunk": (
        head(["Content-Type: application/json", "Transfer-Encoding: chunked"])
        + f"{len(BODY):x}\r\n".encode()
        + BODY
        + b"\r\n",
        True,
    ),
    "no-final-crlf": (
        head(["Content-Type: application/json", "Transfer-Encoding: chunked"]) + chunked(BODY)[:-2],
        True,
    ),
    "chunk-without-crlf": (
        head(["Content-Type: application/json", "Transfer-Encoding: chunked"])
        + f"{len(BODY):x}\r\n".encode()
        + BODY
        + b"XX0\r\n\r\n",
        False,
    ),
    "chunk-size-0x": (
        head(["Content-Type: application/json", "Transfer-Encoding: chunked"])
        + f"0x{len(BODY):x}\r\n".encode()
        + BODY
        + b"\r\n0\r\n\r\n",
        False,
    ),
    # A latin-1 digit that str.isdigit() accepts and int() does not.
    "superscript-length": (
        head(["Content-Type: application/json", "Content-Length: 2"]).replace(b": 2\r", b": \xb2\r"),
        False,
    ),
}


@pytest.mark.parametrize("name", list(FRAMING_ERRORS))
def test_ambiguous_or_incomplete_framing_is_a_400_and_stores_nothing(
    server: Server, gateway: Gateway, name: str
) -> None:
    data, half_close = FRAMING_ERRORS[name]
    status, headers, reply = exchange(server, data, half_close)
    assert status == 400, reply
    assert headers["content-type"] == "application/json" and headers.get("connection") == "close"
    assert json.loads(reply)["error"]["code"] == "BAD_REQUEST_ERROR"
    assert server.invocations == []
    assert gateway.count("orders") == 0 and gateway.count("idempotency_keys") == 0


def test_well_framed_bodies_are_still_read(server: Server, gateway: Gateway) -> None:
    requests = [
        head(["Content-Type: application/json", f"Content-Length: {len(BODY)}"]) + BODY,
        head(["Content-Type: application/json", f"Content-Length: {len(BODY)}", f"Content-Length: {len(BODY)}"]) + BODY,
        head(["Content-Type: application/json", "Transfer-Encoding: chunked"]) + chunked(BODY),
        head(["Content-Type: application/json", "Transfer-Encoding: Chunked"])
        + b"5;ext=1\r\n"
        + BODY[:5]
        + b"\r\n"
        + f"{len(BODY) - 5:X}\r\n".encode()
        + BODY[5:]
        + b"\r\n0\r\nX-Trailer: 1\r\n\r\n",
    ]
    for data in requests:
        status, _, reply = exchange(server, data)
        assert status == 201, reply
        assert json.loads(reply)["amount"] == 12_345
    assert gateway.count("orders") == len(requests)


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/payments/public"])
def test_a_5000_digit_integer_over_http_is_a_400_in_the_envelope(server: Server, gateway: Gateway, path: str) -> None:
    """Issue 25 item 2, over the wire: the reply is the envelope, not a 500 from int()."""
    body = b'{"amount":' + b"9" * 5_000 + b"}"
    status, headers, reply = exchange(
        server, head(["Content-Type: application/json", f"Content-Length: {len(body)}"], path=path) + body
    )
    assert status == 400, reply
    assert headers["content-type"] == "application/json"
    assert json.loads(reply)["error"] == {
        "code": "BAD_REQUEST_ERROR",
        "description": "Request body contains an integer outside the signed 64-bit range",
    }
    assert gateway.count("orders") == 0 and gateway.count("payments") == 0
