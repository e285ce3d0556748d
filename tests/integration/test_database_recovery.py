"""Connections that died with the server (restart, failover, proxy idle timeout) are detected and
replaced on their next use, in every thread: the request that finds one dead still succeeds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import deliver_webhook_handler
import pytest
from psycopg.conninfo import make_conninfo

from gateway.adapters.postgres import transaction
from tests.support import Gateway, WebhookReceiver, deliver_once, lambda_context, wait_until


@contextmanager
def role_default(gateway: Gateway, monkeypatch: pytest.MonkeyPatch, bound: str, value: int) -> Iterator[None]:
    """A time bound changed where sessions get it: the role's default, which every migration run sets
    from time_bounds (a session gets it when it starts, without sending a SET). Put back afterwards."""
    from gateway.adapters import migrations, postgres, time_bounds

    monkeypatch.setattr(time_bounds, bound, value)
    migrations.migrate(gateway.database_url)
    try:
        postgres.close_connection()
        yield
    finally:
        monkeypatch.undo()
        migrations.migrate(gateway.database_url)
        postgres.close_connection()


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
    first_log = str(gateway.rows("SELECT id FROM webhook_logs")[0]["id"])
    assert deliver_once(first_log) is None


def test_a_statement_past_its_time_bound_is_cancelled_and_answered_503(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.adapters import postgres

    with role_default(gateway, monkeypatch, "DATABASE_STATEMENT_TIMEOUT_MS", 200):
        with pytest.raises(postgres.DatabaseUnavailable), transaction() as tx:
            tx.one("SELECT pg_sleep(2)")
        # The next transaction gets a working connection again.
        with transaction() as tx:
            assert tx.one("SELECT current_setting('statement_timeout') AS t") == {"t": "200ms"}


def test_every_session_starts_with_the_time_bounds_as_the_roles_defaults(gateway: Gateway) -> None:
    from gateway.adapters import postgres, time_bounds

    postgres.close_connection()
    with transaction() as tx:
        row = tx.one(
            "SELECT current_setting('statement_timeout') AS statement,"
            " current_setting('idle_in_transaction_session_timeout') AS idle"
        )
    assert row == {
        "statement": f"{time_bounds.DATABASE_STATEMENT_TIMEOUT_MS // 1000}s",
        "idle": f"{time_bounds.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS // 1000}s",
    }


def test_a_transaction_left_idle_is_ended_by_the_server_and_its_locks_freed(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.adapters import postgres

    with role_default(gateway, monkeypatch, "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS", 300):
        order = gateway.create_order()
        with pytest.raises(postgres.DatabaseUnavailable), transaction() as tx:
            tx.one("SELECT id FROM orders WHERE id = %s FOR UPDATE", (order["id"],))
            holder = tx.one("SELECT pg_backend_pid() AS pid")
            assert holder is not None
            # The holder stalls (a frozen container): the server ends its session, not the test.
            assert wait_until(lambda: not _backend_alive(gateway, holder["pid"]), timeout=10)
            tx.one("SELECT 1")
        # The row lock died with the session: another transaction takes it at once.
        assert gateway.rows("SELECT id FROM orders WHERE id = %s FOR UPDATE NOWAIT", (order["id"],))


def test_a_session_the_server_closed_for_idling_is_replaced_by_the_next_request(
    gateway: Gateway, setting: Callable[[str, str], None]
) -> None:
    """The lean profile may close idle sessions server-side (idle_session_timeout), so that an idle
    Lambda container's connection does not keep Aurora from pausing."""
    setting("DATABASE_URL", make_conninfo(gateway.database_url, options="-c idle_session_timeout=300"))
    assert gateway.api("POST", "/api/v1/orders", {"amount": 5000}).status == 201
    idle = backend_pid()
    assert wait_until(lambda: not _backend_alive(gateway, idle), timeout=10)
    order = gateway.api("POST", "/api/v1/orders", {"amount": 5000})
    assert order.status == 201, order.body
    assert gateway.api("GET", "/api/v1/orders").status == 200


def _backend_alive(gateway: Gateway, pid: int) -> bool:
    return bool(gateway.rows("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)))
