"""A receiver that answers its headers and then drips its body a byte a second, beside a healthy
endpoint of the same merchant (issue 25, item 1): the posts run with no database transaction open,
each within a total deadline, and every attempt is recorded exactly once. Real Postgres, real
receivers on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import deliver_webhook_handler
import psycopg
import pytest

from tests.support import (
    DEFAULT_ENDPOINT_ID,
    TEST_MERCHANT_ID,
    Gateway,
    WebhookReceiver,
    fake_message,
    lambda_context,
    wait_until,
)

DEADLINE_SECONDS = 2.0


class DripReceiver:
    """Reads a request, answers `200` with its headers at once, then one body byte a second for
    `drip_seconds` (longer than any deadline here). Counts the requests it got."""

    def __init__(self, drip_seconds: int = 8) -> None:
        self.drip_seconds = drip_seconds
        self.requests = 0
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._stopping = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/drip"

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                received += chunk
            self.requests += 1
            headers = received.split(b"\r\n\r\n", 1)[0].decode().lower()
            length = int(headers.split("content-length:", 1)[1].split("\r\n", 1)[0])
            body = received.split(b"\r\n\r\n", 1)[1]
            while len(body) < length:
                body += connection.recv(4096)
            try:
                connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {self.drip_seconds}\r\n\r\n".encode())
                for _ in range(self.drip_seconds):
                    if self._stopping.wait(1):
                        return
                    connection.sendall(b".")
            except OSError:
                return  # the sender gave up: what a deadline does

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()


@pytest.fixture
def drip() -> Iterator[DripReceiver]:
    server = DripReceiver()
    yield server
    server.stop()


def _logs_for_both(gateway: Gateway, healthy_url: str, drip_url: str) -> tuple[str, str]:
    """One event's delivery to the merchant's default endpoint (healthy) and one to its second
    endpoint (the dripping one): their log ids."""
    gateway.set_webhook_url(healthy_url)
    reply = gateway.api("POST", "/api/v1/webhook_endpoints", {"url": drip_url, "enabled_events": ["*"]})
    assert reply.status == 201, reply.body
    endpoint_id = reply.json["id"]
    rows = gateway.rows(
        "INSERT INTO webhook_logs (merchant_id, event_id, event, payload, endpoint_id)"
        " VALUES (%s, 'evt_drip1', 'webhook.test', '{}', %s), (%s, 'evt_drip1', 'webhook.test', '{}', %s)"
        " RETURNING id::text AS id, endpoint_id",
        (TEST_MERCHANT_ID, DEFAULT_ENDPOINT_ID, TEST_MERCHANT_ID, endpoint_id),
    )
    healthy = next(row["id"] for row in rows if row["endpoint_id"] == DEFAULT_ENDPOINT_ID)
    dripping = next(row["id"] for row in rows if row["endpoint_id"] == endpoint_id)
    return healthy, dripping


def _deliver(gateway: Gateway, log_ids: list[str]) -> dict[str, Any]:
    messages = [fake_message(json.dumps({"webhook_log_id": log_id})) for log_id in log_ids]
    return dict(deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksQueue", messages), lambda_context()))


class TransactionWatch:
    """Samples pg_stat_activity every 20 ms: every other session of this database seen `idle in
    transaction` for longer than a statement's round trip (a transaction held open while the process
    does something else; a short bookkeeping transaction is idle for microseconds between its
    statements, and is not a post held inside a transaction)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.seen: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> TransactionWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.wait(0.02):
                for pid, state, age in conn.execute(
                    "SELECT pid, state, extract(epoch FROM now() - xact_start)::float8 FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND state = 'idle in transaction' AND now() - xact_start > interval '300 milliseconds'"
                ).fetchall():
                    self.seen.append({"pid": pid, "state": state, "open_for_s": age})


def test_a_dripping_receiver_is_cut_at_its_deadline_with_no_transaction_open_and_the_healthy_one_gets_one_delivery(
    gateway: Gateway, receiver: WebhookReceiver, drip: DripReceiver, setting: Any
) -> None:
    setting("WEBHOOK_TIMEOUT_SECONDS", str(DEADLINE_SECONDS))
    healthy, dripping = _logs_for_both(gateway, receiver.url, drip.url)

    # When one batch carries both deliveries
    started = time.monotonic()
    with TransactionWatch(gateway.database_url) as watch:
        assert _deliver(gateway, [healthy, dripping]) == {"batchItemFailures": []}
    elapsed = time.monotonic() - started

    # Then no transaction was open while the posts were out
    assert watch.seen == [], f"a transaction stayed open during the posts: {watch.seen[:3]}"
    # and the dripping post was cut at its total deadline, recorded as a timeout (to be retried)
    assert elapsed < DEADLINE_SECONDS + 1.5, elapsed
    [slow] = gateway.rows(
        "SELECT w.status, w.attempts, w.response_code, w.last_error, a.latency_ms FROM webhook_logs w"
        " JOIN webhook_attempts a ON a.webhook_log_id = w.id WHERE w.id = %s",
        (dripping,),
    )
    assert (slow["status"], slow["attempts"], slow["response_code"]) == ("pending", 1, None), slow
    assert "Timeout" in slow["last_error"], slow["last_error"]
    assert DEADLINE_SECONDS * 1000 - 100 <= slow["latency_ms"] <= DEADLINE_SECONDS * 1000 + 500, slow["latency_ms"]
    # and the healthy endpoint had its event once, recorded once
    assert len(receiver.wait_for(1)) == 1
    assert gateway.rows("SELECT status, attempts FROM webhook_logs WHERE id = %s", (healthy,)) == [
        {"status": "success", "attempts": 1}
    ]

    # When SQS delivers the same batch again, nothing is posted twice
    assert _deliver(gateway, [healthy, dripping]) == {"batchItemFailures": []}
    assert len(receiver.wait_for(2, timeout=1)) == 1
    assert drip.requests == 1
    assert gateway.count("webhook_attempts") == 2


def test_two_consumers_with_the_same_batch_post_each_delivery_once(
    gateway: Gateway, receiver: WebhookReceiver, drip: DripReceiver, setting: Any
) -> None:
    # Given a batch whose slow post is still in flight when a duplicate of the batch arrives
    setting("WEBHOOK_TIMEOUT_SECONDS", str(DEADLINE_SECONDS))
    healthy, dripping = _logs_for_both(gateway, receiver.url, drip.url)
    results: list[dict[str, Any]] = []
    consumers = [threading.Thread(target=lambda: results.append(_deliver(gateway, [healthy, dripping])))]
    consumers[0].start()
    # The first consumer's posts are out (both arrived), not a guess at how long that takes.
    assert wait_until(lambda: drip.requests == 1 and len(receiver.received) == 1, timeout=5, interval=0.02)
    consumers.append(threading.Thread(target=lambda: results.append(_deliver(gateway, [healthy, dripping]))))
    consumers[1].start()
    for consumer in consumers:
        consumer.join()
    # Then each endpoint got one post, and each attempt was recorded once
    assert results == [{"batchItemFailures": []}] * 2
    assert len(receiver.wait_for(2, timeout=1)) == 1
    assert drip.requests == 1
    assert gateway.count("webhook_attempts") == 2
    assert gateway.rows("SELECT attempts FROM webhook_logs ORDER BY attempts") == [{"attempts": 1}, {"attempts": 1}]


def test_a_crashed_consumers_claim_expires_and_a_late_record_is_dropped(
    gateway: Gateway, receiver: WebhookReceiver
) -> None:
    from gateway.adapters import webhook_store
    from gateway.adapters.postgres import transaction

    gateway.set_webhook_url(receiver.url)
    [row] = gateway.rows(
        "INSERT INTO webhook_logs (merchant_id, endpoint_id, event_id, event, payload)"
        " VALUES (%s, %s, 'evt_crash', 'webhook.test', '{}') RETURNING id::text AS id",
        (TEST_MERCHANT_ID, DEFAULT_ENDPOINT_ID),
    )
    log_id = row["id"]
    # Given a consumer that claimed the delivery and died before recording it
    with transaction() as tx:
        [claimed] = webhook_store.claim_pending_webhooks(tx, [log_id], "00000000-0000-0000-0000-00000000dead", 90)
    assert claimed.id == log_id
    # Then while its claim lasts, a redelivered message posts nothing
    assert _deliver(gateway, [log_id]) == {"batchItemFailures": []}
    assert receiver.wait_for(1, timeout=0.5) == []
    # And once the claim has expired, the delivery goes out and is recorded
    gateway.execute("UPDATE webhook_logs SET delivering_until = now() - interval '1 second' WHERE id = %s", (log_id,))
    assert _deliver(gateway, [log_id]) == {"batchItemFailures": []}
    assert len(receiver.wait_for(1)) == 1
    # And the dead consumer's record, arriving late, changes nothing
    with transaction() as tx:
        late = webhook_store.record_webhook_attempts(
            tx,
            "00000000-0000-0000-0000-00000000dead",
            [webhook_store.WebhookAttemptRecord(log_id, "failed", None, 500, None, None, 1)],
        )
    assert late == {}
    assert gateway.rows("SELECT status, attempts FROM webhook_logs") == [{"status": "success", "attempts": 1}]
    assert gateway.count("webhook_attempts") == 1
