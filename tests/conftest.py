"""Shared fixtures: a real Postgres server, a real SQS endpoint, the gateway's env, a webhook receiver."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from devstack.database import EmbeddedPostgres, prepare
from devstack.emulator import EmbeddedEmulator, QueueSet, create_buckets, create_queues, set_local_credentials
from devstack.test_merchant import seed_test_merchant
from stack.loopback import free_port
from tests.support import TEST_MERCHANT_ID, TOPOLOGY, Gateway, WebhookReceiver


def reset_gateway_caches() -> None:
    """Settings, the database URL and clients are cached per container; tests change them."""
    from gateway.adapters import object_store, postgres, sqs, webhook_http
    from gateway.domain import outbox
    from gateway.settings import get_settings

    get_settings.cache_clear()
    postgres.database_url.cache_clear()
    postgres.close_connection()
    sqs._client.cache_clear()
    object_store._client.cache_clear()
    webhook_http._client.cache_clear()
    outbox._circuit["open_until"] = 0.0  # a queue failure of an earlier test must not skip sends


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server: TEST_DATABASE_URL if set, else an embedded one in a temp folder."""
    url = os.environ.get("TEST_DATABASE_URL")
    server = None
    if not url:
        server = EmbeddedPostgres(Path(tmp_path_factory.mktemp("pg")) / "data", cleanup="delete")
        url = server.start()
        # A throwaway cluster: no test needs its commits on disk before it goes on (none survives an
        # OS crash here), and each test's TRUNCATE and commits are cheaper without waiting for fsync.
        with psycopg.connect(url, autocommit=True) as conn:
            for name in ("fsync", "synchronous_commit", "full_page_writes"):
                conn.execute(f"ALTER SYSTEM SET {name} = off")
            conn.execute("SELECT pg_reload_conf()")
    prepare(url)
    yield url
    if server:
        server.stop()


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """A real SQS/Scheduler API over HTTP: AWS_ENDPOINT_URL (e.g. LocalStack) if set, else moto's server."""
    set_local_credentials()
    url = os.environ.get("AWS_ENDPOINT_URL")
    emulator = None
    if not url:
        emulator = EmbeddedEmulator(free_port())
        emulator.start()
        url = emulator.url
        os.environ["AWS_ENDPOINT_URL"] = url
    yield url
    if emulator:
        emulator.stop()


@pytest.fixture
def queues(aws_endpoint: str) -> QueueSet:
    """Fresh queues per test (SQS allows one purge a minute, so emptying old ones is no option)."""
    return create_queues(TOPOLOGY, f"test-{uuid.uuid4().hex[:8]}", fresh=True)


@pytest.fixture(scope="session")
def buckets(aws_endpoint: str) -> dict[str, str]:
    """The buckets the functions use (logical id -> name), once per session: each report's key is its own."""
    return create_buckets(TOPOLOGY, f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def gateway_env(database_url: str, queues: QueueSet, buckets: dict[str, str]) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "STAGE": "local",
        "TEST_MODE": "true",
        "TEST_PROCESSING_DELAY": "0",
        "TEST_PAYMENT_SUCCESS": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "PAYMENTS_QUEUE_URL": queues.urls["PaymentsQueue"],
        "REFUNDS_QUEUE_URL": queues.urls["RefundsQueue"],
        "WEBHOOKS_QUEUE_URL": queues.urls["WebhooksQueue"],
        "WEBHOOKS_SLOW_QUEUE_URL": queues.urls["WebhooksSlowQueue"],
        "PAYMENTS_DLQ_URL": queues.urls["PaymentsDeadLetterQueue"],
        "REFUNDS_DLQ_URL": queues.urls["RefundsDeadLetterQueue"],
        "WEBHOOKS_DLQ_URL": queues.urls["WebhooksDeadLetterQueue"],
        "REPORTS_QUEUE_URL": queues.urls["ReportsQueue"],
        "REPORTS_BUCKET": buckets["ReportsBucket"],
    }
    os.environ.update(env)
    reset_gateway_caches()
    return env


@pytest.fixture
def gateway(gateway_env: dict[str, str], database_url: str, queues: QueueSet) -> Iterator[Gateway]:
    """A clean gateway per test: empty tables (but the seeded merchant), new queues, default settings."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE outbox, webhook_attempts, webhook_logs, events, refunds, payments, orders, idempotency_keys,"
            " rate_limit_buckets, sign_in_failures, webhook_endpoints, balance_transactions, settlements,"
            " reports, payment_links, dispute_documents, disputes"
        )
        conn.execute("DELETE FROM merchants WHERE id <> %s", (TEST_MERCHANT_ID,))
        conn.execute(
            "UPDATE merchants SET rate_limit_reads = NULL, rate_limit_writes = NULL, rate_limit_period_seconds = NULL,"
            " fee_bps_card = NULL, fee_bps_upi = NULL"
        )
    # Its default webhook endpoint went with the truncation (a test may have set its URL, rotated its
    # secret or marked it failing): seeded again as new.
    seed_test_merchant(database_url)
    yield Gateway(database_url, queues)
    os.environ.update(gateway_env)
    reset_gateway_caches()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def setting(gateway: Gateway, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Changes one environment setting for this test (settings are re-read afterwards)."""

    def change(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        reset_gateway_caches()

    return change
