"""The HTTP API on loopback: requests become API Gateway HTTP API (payload 2.0) events."""

from __future__ import annotations

import base64
import json
import re
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devstack.loopback_server import LoopbackServer
from stack.template import HttpRoute, Topology

MAX_BODY_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
_DIGITS = re.compile(r"[0-9]{1,19}")
_HEX = re.compile(rb"[0-9A-Fa-f]+")

Invoke = Callable[[str, dict[str, Any]], Any]


def build_event(
    route: HttpRoute,
    path_params: dict[str, str],
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str,
) -> dict[str, Any]:
    parts = urlsplit(target)
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers["cookie"].split(";")]
    if body:
        event["body"] = text
    return event


def _make_handler(topology: Topology, invoke: Invoke, log: Callable[[str], None]) -> type[BaseHTTPRequestHandler]:
    class ApiRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "devstack-httpapi"
        # A request line that cannot be parsed still gets a status line in the reply.
        default_request_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes; without this, Nagle + delayed ACK add 40 ms.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _refuse(self, code: int, message: str) -> None:
            """An error reply to a request whose framing is unusable: the connection closes after it,
            as the next request's start on it is unknown."""
            self.close_connection = True
            self.send_error(code, message)

        def _read_body(self) -> bytes | None:
            """The request body (Content-Length or chunked, as API Gateway takes both), framed as
            RFC 9112 section 6 says; None when an error reply was sent instead. Anything ambiguous
            (two lengths, a length beside a transfer coding, a coding other than chunked) or
            incomplete (the peer closed before the body it announced was complete) is a 400 that
            reaches no function: two readers of such a request may disagree on where it ends."""
            codings = self.headers.get_all("transfer-encoding") or []
            lengths = self.headers.get_all("content-length") or []
            if codings:
                if lengths:
                    self._refuse(400, "A request may not carry both Transfer-Encoding and Content-Length")
                    return None
                named = [c.strip().lower() for value in codings for c in value.split(",") if c.strip()]
                if named != ["chunked"]:
                    self._refuse(400, "Transfer-Encoding must be chunked (no other coding is supported)")
                    return None
                return self._read_chunked()
            if not lengths:
                return b""
            values = {v.strip() for value in lengths for v in value.split(",")}
            if len(values) != 1 or not _DIGITS.fullmatch(next(iter(values))):
                self._refuse(400, "Content-Length must be one non-negative integer")
                return None
            length = int(values.pop())
            if length > MAX_BODY_BYTES:
                self._refuse(413, f"Request body larger than {MAX_BODY_BYTES} bytes")
                return None
            body = self.rfile.read(length) if length else b""
            if len(body) != length:
                self._refuse(400, "Request body ended before its Content-Length")
                return None
            return body

        def _read_chunked(self) -> bytes | None:
            body = bytearray()
            while True:
                size_line = self.rfile.readline(1024)
                size_text = size_line.split(b";", 1)[0].strip()
                if not size_line.endswith(b"\n") or not _HEX.fullmatch(size_text):
                    self._refuse(400, "Malformed chunked body")
                    return None
                size = int(size_text, 16)
                if len(body) + size > MAX_BODY_BYTES:
                    self._refuse(413, f"Request body larger than {MAX_BODY_BYTES} bytes")
                    return None
                if size == 0:
                    while (line := self.rfile.readline(1024)) not in (b"\r\n", b"\n"):  # trailers
                        if not line.endswith(b"\n"):  # the peer closed before the blank line
                            self._refuse(400, "Malformed chunked body")
                            return None
                    return bytes(body)
                chunk = self.rfile.read(size)
                if len(chunk) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    self._refuse(400, "Malformed chunked body")
                    return None
                body += chunk

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """Protocol errors (bad framing, 413, 431, 501) in the API's error envelope, not HTML."""
            codes = {413: "REQUEST_TOO_LARGE", 431: "HEADERS_TOO_LARGE", 501: "METHOD_NOT_SUPPORTED"}
            description = message or self.responses.get(code, ("Error",))[0]
            error = {"error": {"code": codes.get(code, "BAD_REQUEST_ERROR"), "description": description}}
            payload = json.dumps(error).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            if self.close_connection:
                self.send_header("connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _handle(self) -> None:
            started = time.perf_counter()
            body = self._read_body()
            if body is None:
                return
            path = urlsplit(self.path).path
            found = topology.route_for(self.command, path)
            if found is None:
                self._reply(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
                return
            route, params = found
            headers: dict[str, str] = {}
            for key, value in self.headers.items():
                key = key.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            event = build_event(route, params, self.command, self.path, headers, body, self.client_address[0])
            try:
                result = invoke(route.function_id, event)
            except Exception as exc:  # the function crashed: API Gateway answers 500
                log(f"{route.function_id} failed: {type(exc).__name__}: {exc}")
                self._reply(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
                return
            status, response_headers, payload = _response_parts(result)
            self._reply(status, response_headers, payload)
            elapsed = (time.perf_counter() - started) * 1000
            log(f"{self.command} {self.path} -> {status} ({elapsed:.0f} ms)")

        def _reply(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ApiRequestHandler


def _response_parts(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Payload 2.0 responses: a dict with statusCode/headers/body, or any JSON value as a 200 body."""
    if isinstance(result, dict) and "statusCode" in result:
        headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[key] = ",".join(str(v) for v in values)
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return int(result["statusCode"]), headers, payload
    return 200, {"content-type": "application/json"}, json.dumps(result).encode()


class HttpApiServer(LoopbackServer):
    def __init__(self, topology: Topology, invoke: Invoke, port: int, log: Callable[[str], None]) -> None:
        super().__init__(port, _make_handler(topology, invoke, log), "http-api")
