"""Test helpers: API calls through the real handler, a real webhook receiver, SQS events."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg.rows import dict_row

from devstack.emulator import QueueSet, sqs_client
from devstack.http_api import build_event
from devstack.invoker import LocalContext
from devstack.loopback_server import LoopbackHTTPServer
from devstack.pollers import sqs_event
from devstack.test_merchant import TEST_MERCHANT, TEST_MERCHANT_DEFAULT_ENDPOINT_ID
from stack.template import load_template, read_topology

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = read_topology(load_template(ROOT / "template.yaml"))
# The seeded test merchant (devstack/test_merchant.py).
TEST_MERCHANT_ID = TEST_MERCHANT["id"]
AUTH = {"x-api-key": TEST_MERCHANT["api_key"], "x-api-secret": TEST_MERCHANT["api_secret"]}
WEBHOOK_SECRET = TEST_MERCHANT["webhook_secret"]
# Its default webhook endpoint (a webhook_endpoints row the API never names).
DEFAULT_ENDPOINT_ID = TEST_MERCHANT_DEFAULT_ENDPOINT_ID
VALID_CARD = {"number": "4111 1111 1111 1111", "expiry_month": "12", "expiry_year": "2035", "cvv": "123"}


def lambda_context(name: str = "test") -> LocalContext:
    return LocalContext(
        function_name=name,
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:local:000000000000:function:{name}",
        aws_request_id=str(uuid.uuid4()),
        deadline_ms=int(time.time() * 1000) + 30_000,
    )


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Gateway:
    """The gateway's real handlers, in this process, on the test Postgres and SQS endpoint."""

    database_url: str
    queues: QueueSet

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        source_ip: str = "127.0.0.1",
    ) -> ApiResponse:
        import api_handler

        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        all_headers = {"content-type": "application/json", **AUTH, **(headers or {})}
        all_headers = {k: v for k, v in all_headers.items() if v is not None}
        found = TOPOLOGY.route_for(method, path.split("?")[0])
        assert found is not None, f"template has no route for {method} {path}"
        route, params = found
        event = build_event(route, params, method, path, all_headers, payload, source_ip)
        # LocalContext duck-types Powertools' LambdaContext.
        result = api_handler.lambda_handler(event, cast(Any, lambda_context("ApiFunction")))
        return ApiResponse(result["statusCode"], result.get("headers", {}), result.get("body", ""))

    def create_order(self, amount: int = 50_000, **extra: Any) -> dict[str, Any]:
        response = self.api("POST", "/api/v1/orders", {"amount": amount, **extra})
        assert response.status == 201, response.body
        return dict(response.json)

    def create_payment(self, order_id: str, method: str = "upi", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"order_id": order_id, "method": method}
        body.update({"vpa": "shopper@okhdfc"} if method == "upi" else {"card": VALID_CARD})
        body.update(extra)
        response = self.api("POST", "/api/v1/payments", body)
        assert response.status == 201, response.body
        return dict(response.json)

    def set_webhook_url(self, url: str | None) -> None:
        response = self.api("PUT", "/api/v1/merchant/webhook", {"webhook_url": url})
        assert response.status == 200, response.body

    def add_merchant_with_webhook(self, merchant_id: str, name: str, webhook_url: str, webhook_secret: str) -> None:
        """Another merchant (its API secret `secret_<name>`) whose default webhook endpoint is set."""
        self.execute(
            "WITH m AS (INSERT INTO merchants (id, name, email, api_key, api_secret_hash) VALUES"
            " (%s, %s, %s || '@example.com', 'key_' || %s, encode(sha256(convert_to('secret_' || %s, 'UTF8')), 'hex'))"
            " RETURNING id)"
            " INSERT INTO webhook_endpoints (id, merchant_id, url, secret, is_default)"
            " SELECT 'we_' || left(md5(id::text), 16), id, %s, %s, true FROM m",
            (merchant_id, name, name, name, name, webhook_url, webhook_secret),
        )

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with psycopg.connect(self.database_url, autocommit=True, row_factory=dict_row) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(sql, params)

    def count(self, table: str) -> int:
        return int(self.rows(f"SELECT count(*) AS n FROM {table}")[0]["n"])

    def receive(self, queue_id: str, wait_seconds: int = 1, max_messages: int = 10) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = (
            sqs_client()
            .receive_message(
                QueueUrl=self.queues.urls[queue_id],
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=wait_seconds,
                AttributeNames=["All"],
            )
            .get("Messages", [])
        )
        return messages

    def drain(self, queue_id: str) -> None:
        """Deletes everything visible on a queue (messages earlier steps received and left)."""
        while messages := self.receive(queue_id, wait_seconds=0):
            sqs_client().delete_message_batch(
                QueueUrl=self.queues.urls[queue_id],
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
            )

    def process_payment_jobs(self) -> int:
        """What the payments consumer does with the queued jobs, through its real handler: it also
        sends the created/pending events the requests left to it. Returns how many jobs ran."""
        import process_payment_handler

        messages = self.receive("PaymentsQueue")
        if messages:
            reply = process_payment_handler.lambda_handler(
                self.sqs_event("PaymentsQueue", messages), cast(Any, lambda_context())
            )
            assert reply == {"batchItemFailures": []}
        return len(messages)

    def queue_attributes(self, queue_id: str) -> dict[str, str]:
        attributes: dict[str, str] = sqs_client().get_queue_attributes(
            QueueUrl=self.queues.urls[queue_id], AttributeNames=["All"]
        )["Attributes"]
        return attributes

    def sqs_event(self, queue_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return sqs_event(messages, self.queues.arns[queue_id], "us-east-1")


def deliver_once(webhook_log_id: str) -> str | None:
    """One delivery attempt of one log, as the webhook consumer makes it: the log's new status, or
    None when there was nothing to do."""
    from gateway.domain import webhook_delivery
    from gateway.models.jobs import WebhookJob

    return webhook_delivery.deliver_batch([WebhookJob(webhook_log_id=webhook_log_id)])[webhook_log_id]


def fake_message(body: str) -> dict[str, Any]:
    """A message as SQS returns it, for events built without a queue round trip."""
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": uuid.uuid4().hex,
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": "1"},
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
    }


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class ReceivedWebhook:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def read_response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response read off a raw socket: status, headers (lower-case names), body."""
    reader = conn.makefile("rb")
    status_line = reader.readline().decode()
    assert status_line.startswith("HTTP/1.1 "), f"no status line: {status_line!r}"
    headers: dict[str, str] = {}
    while (line := reader.readline().decode().strip()) != "":
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output free of access-log lines."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HandlerServer:
    """A merchant endpoint of a test's own making: `handler` served on 127.0.0.1 from a thread,
    each connection on its own thread; `url` is where to post."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], path: str = "/hooks") -> None:
        self.server = LoopbackHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class WebhookReceiver:
    """A real HTTP server on loopback that records deliveries and answers with scripted codes."""

    responses: list[int] = field(default_factory=list)
    default_status: int = 200
    # When set, decides each answer (after `responses` is used up), e.g. per event or per attempt.
    respond: Callable[[ReceivedWebhook], int] | None = None
    received: list[ReceivedWebhook] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)
    _server: LoopbackHTTPServer | None = None

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender died mid-request (the fault battery kills workers): no delivery
                    # arrived, as a real receiver would see it; nothing to record or answer.
                    self.close_connection = True
                    return
                hook = ReceivedWebhook(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                with receiver._arrived:
                    if receiver.responses:
                        status = receiver.responses.pop(0)
                    elif receiver.respond is not None:
                        status = receiver.respond(hook)
                    else:
                        status = receiver.default_status
                    receiver.received.append(hook)
                    receiver._arrived.notify_all()
                payload = b'{"ok":true}'
                self.send_response(status)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            # CloudFormation's custom resource replies are PUTs to a presigned URL.
            do_PUT = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def wait_for(self, count: int, timeout: float = 15) -> list[ReceivedWebhook]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def wait_for_match(self, matches: Callable[[ReceivedWebhook], bool], timeout: float = 15) -> ReceivedWebhook | None:
        """The first delivery that `matches`, waiting for it up to `timeout` seconds."""

        def found() -> ReceivedWebhook | None:
            return next((hook for hook in self.received if matches(hook)), None)

        with self._arrived:
            self._arrived.wait_for(found, timeout)
            return found()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def wait_until(predicate: Callable[[], Any], timeout: float = 15, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def insert_settled_payments(
    database_url: str, count: int, merchant_id: str = TEST_MERCHANT_ID, minutes_apart: int = 1
) -> str:
    """Bulk history in one statement: `count` finished payments `minutes_apart` apart, newest first,
    a third of them cards and a tenth failed. Returns the id prefix they share."""
    prefix = uuid.uuid4().hex[:6]
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        conn.execute(
            "INSERT INTO orders (id, merchant_id, amount, status, created_at)"
            " SELECT 'order_' || %(p)s || lpad(g::text, 10, '0'), %(m)s, 10000 + (g * 137) %% 90000,"
            "  CASE WHEN g %% 10 = 0 THEN 'attempted' ELSE 'paid' END, now() - make_interval(mins => g * %(apart)s)"
            " FROM generate_series(1, %(n)s) AS g",
            {"p": prefix, "m": merchant_id, "n": count, "apart": minutes_apart},
        )
        conn.execute(
            "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, status, vpa, card_network,"
            " card_last4, error_code, error_description, created_at, updated_at)"
            " SELECT 'pay_' || %(p)s || lpad(g::text, 10, '0'), 'order_' || %(p)s || lpad(g::text, 10, '0'), %(m)s,"
            "  10000 + (g * 137) %% 90000, 'INR',"
            "  CASE WHEN g %% 3 = 0 THEN 'card' ELSE 'upi' END,"
            "  CASE WHEN g %% 10 = 0 THEN 'failed' ELSE 'success' END,"
            "  CASE WHEN g %% 3 = 0 THEN NULL ELSE 'shopper' || g || '@okhdfc' END,"
            "  CASE WHEN g %% 3 = 0 THEN 'visa' END, CASE WHEN g %% 3 = 0 THEN lpad((g %% 10000)::text, 4, '0') END,"
            "  CASE WHEN g %% 10 = 0 THEN 'PAYMENT_FAILED' END, CASE WHEN g %% 10 = 0 THEN 'Declined by the bank' END,"
            "  now() - make_interval(mins => g * %(apart)s), now() - make_interval(mins => g * %(apart)s)"
            " FROM generate_series(1, %(n)s) AS g",
            {"p": prefix, "m": merchant_id, "n": count, "apart": minutes_apart},
        )
    return prefix


def book_captures(database_url: str, prefix: str) -> int:
    """Captures the successful payments insert_settled_payments wrote with `prefix` and books them as
    a capture would have, at their own time: 200 bps fee, 18 % GST, each rounded half-up (as
    0018_ledger.sql books history), available two days later. Returns how many were booked."""
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        conn.execute(
            "UPDATE payments SET captured = true, captured_at = created_at WHERE id LIKE %s AND status = 'success'",
            (f"pay_{prefix}%",),
        )
        booked = conn.execute(
            "INSERT INTO balance_transactions"
            " (id, merchant_id, type, source_id, amount, fee, tax, net, currency, available_on, created_at)"
            " SELECT 'txn_' || left(md5('payment:' || p.id), 16), p.merchant_id, 'payment', p.id, p.amount, f.fee,"
            "  (36 * f.fee + 100) / 200, p.amount - f.fee - (36 * f.fee + 100) / 200, p.currency,"
            "  p.created_at + interval '2 days', p.created_at"
            " FROM payments p CROSS JOIN LATERAL (SELECT (2 * p.amount * 200 + 10000) / 20000 AS fee) AS f"
            " WHERE p.id LIKE %s AND p.status = 'success'",
            (f"pay_{prefix}%",),
        ).rowcount
    return booked


class FrozenEndpoint:
    """A loopback TCP server that accepts connections and never answers: a hung dependency (the
    process stopped, not refusing). Holds what it accepted until stopped."""

    def __init__(self) -> None:
        import socket

        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self._held: list[Any] = []
        self._stopping = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        for connection in self._held:
            connection.close()


@contextmanager
def function_logs(service: str) -> Iterator[io.StringIO]:
    """What a function's Powertools logger writes, as JSON lines (its own handler holds the real
    stdout, which pytest's capture cannot see)."""
    import logging

    logger = logging.getLogger(service)
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    if logger.handlers:
        handler.setFormatter(logger.handlers[0].formatter)
    logger.addHandler(handler)
    try:
        yield sink
    finally:
        logger.removeHandler(handler)
