"""While the database is away, the API answers 503 DATABASE_UNAVAILABLE with Retry-After and writes
nothing; consumers leave their records on the queue; when it is back, the same requests succeed and
nothing was lost.

Aurora Serverless v2 paused at 0 ACU (the lean profile) resumes on the first connection attempt,
typically in about 15 s, refusing or not answering meanwhile. Here a Postgres server of the test's
own is stopped and started again (the session's shared server keeps running), and a listener that
accepts and never answers stands in for a resume that outlasts the connect bound.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import process_payment_handler
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from devstack.database import EmbeddedPostgres, prepare
from devstack.emulator import QueueSet
from tests.faults.faults import start_postgres, stop_postgres
from tests.support import ApiResponse, FrozenEndpoint, Gateway, lambda_context

Setting = Callable[[str, str], None]


@dataclass
class OwnServer:
    data_dir: Path
    url: str


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServer]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("resume") / "data", cleanup="delete")
    url = server.start()
    prepare(url)
    yield OwnServer(server.data_dir, url)
    if (server.data_dir / "postmaster.pid").exists():  # a failed test may have left it restarted
        stop_postgres(server.data_dir)
    server.stop()


@pytest.fixture
def resumed(gateway: Gateway, own_server: OwnServer, queues: QueueSet, setting: Setting) -> Gateway:
    """The gateway on the test's own server (the shared one stays up for every other test)."""
    setting("DATABASE_URL", own_server.url)
    return Gateway(own_server.url, queues)


def assert_unavailable(response: ApiResponse) -> None:
    from gateway.adapters import time_bounds

    assert response.status == 503, response.body
    assert response.headers["Retry-After"] == str(time_bounds.DATABASE_RETRY_AFTER_SECONDS)
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Content-Type"] == "application/json"
    envelope = response.json
    assert list(envelope) == ["error"] and envelope["error"]["code"] == "DATABASE_UNAVAILABLE", envelope
    assert set(envelope["error"]) == {"code", "description"}
    assert envelope["error"]["description"] == f"Database is unavailable; retry in {response.headers['Retry-After']} s"


def test_while_the_database_is_stopped_requests_get_503_with_retry_after_and_nothing_is_lost(
    resumed: Gateway, own_server: OwnServer
) -> None:
    order = resumed.create_order()
    payment = resumed.create_payment(order["id"])
    jobs = resumed.receive("PaymentsQueue")
    assert [json.loads(m["Body"])["payment_id"] for m in jobs] == [payment["id"]]
    counts = {table: resumed.count(table) for table in ("orders", "payments", "outbox", "events")}

    options = stop_postgres(own_server.data_dir)
    try:
        created = resumed.api("POST", "/api/v1/orders", {"amount": 7_000}, headers={"idempotency-key": "resume-1"})
        assert_unavailable(created)
        assert_unavailable(
            resumed.api("POST", "/api/v1/payments", {"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"})
        )
        assert_unavailable(resumed.api("GET", f"/api/v1/payments/{payment['id']}"))
        assert_unavailable(resumed.api("GET", "/api/v1/orders"))
        # The consumer fails the record (a whole batch failing fails the invocation): the event
        # source mapping deletes nothing, and the message comes back after its visibility timeout.
        with pytest.raises(BatchProcessingError):
            process_payment_handler.lambda_handler(resumed.sqs_event("PaymentsQueue", jobs), lambda_context())
        assert resumed.queue_attributes("PaymentsQueue")["ApproximateNumberOfMessagesNotVisible"] == "1"
        health = resumed.api("GET", "/health")
        assert health.status == 503 and health.json["database"] == "disconnected"
    finally:
        start_postgres(own_server.data_dir, options)

    # Nothing partial was written while it was away.
    assert {table: resumed.count(table) for table in counts} == counts
    # The client's retry with the same key creates the order once; the queued job is redelivered.
    again = resumed.api("POST", "/api/v1/orders", {"amount": 7_000}, headers={"idempotency-key": "resume-1"})
    assert again.status == 201, again.body
    replay = resumed.api("POST", "/api/v1/orders", {"amount": 7_000}, headers={"idempotency-key": "resume-1"})
    assert (replay.status, replay.json["id"]) == (201, again.json["id"])
    assert resumed.count("orders") == counts["orders"] + 1
    assert process_payment_handler.lambda_handler(resumed.sqs_event("PaymentsQueue", jobs), lambda_context()) == {
        "batchItemFailures": []
    }
    shown = resumed.api("GET", f"/api/v1/payments/{payment['id']}")
    assert shown.status == 200 and shown.json["status"] == "success", shown.body


def test_a_database_that_does_not_answer_within_the_connect_bound_is_a_503_with_retry_after(
    resumed: Gateway, setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.adapters import time_bounds

    # The shortest bound libpq honours; the real one (20 s) stays below API Gateway's 29 s.
    monkeypatch.setattr(time_bounds, "DATABASE_CONNECT_SECONDS", 2)
    resuming = FrozenEndpoint()
    try:
        port = resuming.url.rsplit(":", 1)[1]
        setting("DATABASE_URL", f"postgresql://gateway@127.0.0.1:{port}/gateway?sslmode=disable")
        assert_unavailable(resumed.api("POST", "/api/v1/orders", {"amount": 7_000}))
    finally:
        resuming.stop()


def test_the_connect_bound_rides_out_a_usual_resume_inside_api_gateways_limit() -> None:
    from gateway.adapters import time_bounds

    usual_resume_seconds, api_gateway_limit_seconds = 15, 29
    assert usual_resume_seconds < time_bounds.DATABASE_CONNECT_SECONDS < api_gateway_limit_seconds - 5
