"""Connections that died with the server (restart, failover, proxy idle timeout) are detected and
replaced on their next use, in every thread: the request that finds one dead still succeeds."""

from __future__ import annotations

import deliver_webhook_handler
import pytest

from gateway.adapters.postgres import transaction
from gateway.domain import webhooks
from gateway.models import WebhookJob
from tests.support import Gateway, WebhookReceiver, lambda_context


def backend_pid() -> int:
    with transaction() as tx:
        row = tx.one("SELECT pg_backend_pid() AS pid")
    assert row is not None
    return int(row["pid"])


def test_a_connection_the_server_dropped_is_replaced_by_the_next_request(gateway: Gateway) -> None:
    before = backend_pid()
    # The server drops this process's connection, as a restart would.
    gateway.execute("SELECT pg_terminate_backend(%s)", (before,))
    order = gateway.api("POST", "/api/v1/orders", {"amount": 5000})
    assert order.status == 201, order.body
    assert backend_pid() != before


def test_webhook_sender_threads_replace_their_dead_connections(gateway: Gateway, receiver: WebhookReceiver) -> None:
    gateway.set_webhook_url(receiver.url)
    order = gateway.create_order()
    gateway.create_payment(order["id"])
    gateway.process_payment_jobs()
    messages = gateway.receive("WebhooksQueue")
    assert messages
    # Every connection the sender threads hold dies with the "restart"...
    gateway.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    # ...and the next batch is delivered all the same, each delivery recorded with its attempt.
    reply = deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksQueue", messages), lambda_context())
    assert reply == {"batchItemFailures": []}
    logs = gateway.rows("SELECT status, attempts FROM webhook_logs")
    assert logs and all(log == {"status": "success", "attempts": 1} for log in logs)
    assert (
        webhooks.deliver(WebhookJob(webhook_log_id=str(gateway.rows("SELECT id FROM webhook_logs")[0]["id"]))) is None
    )


def test_a_statement_past_its_time_bound_is_cancelled_and_answered_503(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.adapters import postgres, time_bounds

    monkeypatch.setattr(time_bounds, "DATABASE_STATEMENT_TIMEOUT_MS", 200)
    postgres.close_connection()  # the bound is set when a connection opens
    with pytest.raises(postgres.DatabaseUnavailable), transaction() as tx:
        tx.one("SELECT pg_sleep(2)")
    # The next transaction gets a working connection again.
    with transaction() as tx:
        assert tx.one("SELECT current_setting('statement_timeout') AS t") == {"t": "200ms"}
    postgres.close_connection()
