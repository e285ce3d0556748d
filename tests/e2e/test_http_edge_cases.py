"""The local HTTP API against what real clients send: chunked bodies (Node's http.request without a
length), broken lengths, oversize bodies and headers, unknown methods. Raw sockets on loopback, so
the framing is exactly what is written here; every error comes back in the error envelope."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.e2e_support import LocalStack
from tests.support import AUTH, read_response

pytestmark = pytest.mark.e2e


def connect(stack: LocalStack) -> socket.socket:
    parts = urlsplit(stack.url)
    conn = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return conn


def request_head(method: str, path: str, extra: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in {**AUTH, **extra}.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_chunked_body_is_read_and_the_connection_stays_usable(local_stack: LocalStack) -> None:
    body = json.dumps({"amount": 12_345, "receipt": "chunked"}).encode()
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    with connect(local_stack) as conn:
        head = request_head(
            "POST", "/api/v1/orders", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        )
        conn.sendall(head + chunks)
        status, _, reply = read_response(conn)
        assert status == 201, reply
        assert json.loads(reply)["amount"] == 12_345
        # The same keep-alive connection answers the next request properly.
        conn.sendall(request_head("GET", "/health", {}))
        assert read_response(conn)[0] == 200


@pytest.mark.parametrize("length", ["-1", "abc", "1e3"])
def test_a_broken_content_length_is_a_400_in_the_envelope(local_stack: LocalStack, length: str) -> None:
    with connect(local_stack) as conn:
        conn.sendall(
            request_head("POST", "/api/v1/orders", {"Content-Type": "application/json", "Content-Length": length})
        )
        status, headers, reply = read_response(conn)
    assert status == 400 and headers["content-type"] == "application/json"
    assert json.loads(reply)["error"]["code"] == "BAD_REQUEST_ERROR"


@pytest.mark.parametrize(
    ("head", "status", "code"),
    [
        (request_head("POST", "/api/v1/orders", {"Content-Length": str(7 * 1024 * 1024)}), 413, "REQUEST_TOO_LARGE"),
        (request_head("GET", "/health", {"X-Huge": "x" * 70_000}), 431, "HEADERS_TOO_LARGE"),
        (request_head("BREW", "/api/v1/orders", {}), 501, "METHOD_NOT_SUPPORTED"),
        (b"NOT A REQUEST LINE AT ALL\r\n\r\n", 400, "BAD_REQUEST_ERROR"),
    ],
    ids=["413", "431", "501", "garbage"],
)
def test_protocol_errors_come_back_in_the_envelope(
    local_stack: LocalStack, head: bytes, status: int, code: str
) -> None:
    with connect(local_stack) as conn:
        conn.sendall(head)
        got, headers, reply = read_response(conn)
    assert got == status and headers["content-type"] == "application/json"
    assert json.loads(reply)["error"]["code"] == code
