"""The functions a deploy and an operator invoke directly: the migration custom resource (replies
to CloudFormation over HTTP, all-or-nothing schema), the admin function (merchant onboarding) and
the relay's metrics behind the outbox alarms."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import admin_handler
import migrate_handler
import psycopg
import pytest
import relay_outbox_handler

from gateway.adapters import migrations
from tests.support import Gateway, WebhookReceiver, function_logs, lambda_context

Setting = Callable[[str, str], None]


@pytest.fixture
def empty_database(gateway: Gateway, setting: Setting) -> Iterator[str]:
    """A new database on the test server with nothing in it; the functions are pointed at it."""
    name = f"deploy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = psycopg.conninfo.make_conninfo(gateway.database_url, dbname=name)
    setting("DATABASE_URL", url)
    yield url
    from gateway.adapters.postgres import close_connection

    close_connection()
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def custom_resource_event(request_type: str, response_url: str, physical_id: str | None = None) -> dict[str, Any]:
    event = {
        "RequestType": request_type,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/gateway/1",
        "RequestId": str(uuid.uuid4()),
        "ResourceType": "Custom::DatabaseSchema",
        "LogicalResourceId": "DatabaseSchema",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:migrate"},
    }
    if physical_id:
        event["PhysicalResourceId"] = physical_id
    return event


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def test_stack_create_applies_every_migration_and_replies_success(
    empty_database: str, receiver: WebhookReceiver
) -> None:
    # Given an empty database, when CloudFormation creates the DatabaseSchema resource...
    event = custom_resource_event("Create", receiver.url)
    migrate_handler.lambda_handler(event, lambda_context())
    # ...the schema is complete and CloudFormation was told so, on the request's identifiers.
    assert {"merchants", "payments", "outbox", "schema_migrations"} <= tables(empty_database)
    (reply,) = receiver.wait_for(1)
    body = json.loads(reply.body)
    assert body["Status"] == "SUCCESS"
    assert body["RequestId"] == event["RequestId"] and body["LogicalResourceId"] == "DatabaseSchema"
    assert body["Data"]["Applied"] == ",".join(version for version, _ in migrations.migration_files())
    # An update with nothing new applies nothing and keeps the physical id (no replacement).
    migrate_handler.lambda_handler(
        custom_resource_event("Update", receiver.url, body["PhysicalResourceId"]), lambda_context()
    )
    update = json.loads(receiver.wait_for(2)[1].body)
    assert update["Status"] == "SUCCESS" and update["Data"]["Applied"] == "none"
    assert update["PhysicalResourceId"] == body["PhysicalResourceId"]


def test_a_failing_migration_fails_the_deploy_and_applies_nothing(
    empty_database: str, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a release whose last migration is broken...
    real = migrations.migration_files()
    monkeypatch.setattr(migrations, "migration_files", lambda: [*real, ("9999_broken", "ALTER TABLE nope ADD x int")])
    migrate_handler.lambda_handler(custom_resource_event("Create", receiver.url), lambda_context())
    # ...CloudFormation gets FAILED (and rolls back) with the reason, and not one migration stuck.
    body = json.loads(receiver.wait_for(1)[0].body)
    assert body["Status"] == "FAILED"
    assert "9999_broken" in body["Reason"] and "nothing was applied" in body["Reason"]
    # (schema_migrations itself is created in the same transaction: it may be gone too.)
    left = tables(empty_database)
    assert left <= {"schema_migrations"}
    if left:
        with psycopg.connect(empty_database) as conn:
            assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (0,)


def test_stack_delete_keeps_the_data(gateway: Gateway, receiver: WebhookReceiver) -> None:
    order = gateway.create_order()
    migrate_handler.lambda_handler(
        custom_resource_event("Delete", receiver.url, "DatabaseSchema-schema"), lambda_context()
    )
    body = json.loads(receiver.wait_for(1)[0].body)
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == "DatabaseSchema-schema"
    assert gateway.rows("SELECT id FROM orders") == [{"id": order["id"]}]


def create_merchant(**fields: Any) -> dict[str, Any]:
    event = {"action": "create_merchant", "name": "Acme", "email": "ops@acme.test", "password": "a" * 12, **fields}
    return dict(admin_handler.lambda_handler(event, lambda_context()))


def test_an_operator_creates_a_merchant_who_can_use_the_api_and_sign_in(gateway: Gateway) -> None:
    with function_logs("admin") as logs:
        result = create_merchant(password="correct horse battery")
    assert result["ok"] is True
    merchant = result["merchant"]
    assert merchant["api_key"].startswith("key_test_") and merchant["api_secret"].startswith("secret_test_")
    assert merchant["webhook_secret"].startswith("whsec_")
    # The new credentials work on the API, and only the Argon2 hash of the password is stored.
    headers = {"x-api-key": merchant["api_key"], "x-api-secret": merchant["api_secret"]}
    order = gateway.api("POST", "/api/v1/orders", {"amount": 10_000}, headers=headers)
    assert order.status == 201 and order.json["merchant_id"] == merchant["id"]
    login = gateway.api(
        "POST", "/api/v1/auth/login", {"email": "OPS@acme.test", "password": "correct horse battery"}, headers={}
    )
    assert login.status == 200 and login.json["merchant"]["id"] == merchant["id"]
    (stored,) = gateway.rows("SELECT password_hash FROM merchants WHERE id = %s", (merchant["id"],))
    assert stored["password_hash"].startswith("$argon2id$")
    assert "merchant created" in logs.getvalue() and "correct horse battery" not in logs.getvalue()


def test_onboarding_refuses_a_taken_email_and_bad_input_without_echoing_the_password(gateway: Gateway) -> None:
    assert create_merchant()["ok"] is True
    taken = create_merchant(email="OPS@ACME.TEST", name="Other")
    assert taken == {
        "ok": False,
        "error": {"code": "MERCHANT_EXISTS", "description": "A merchant with email OPS@ACME.TEST already exists"},
    }
    short = create_merchant(email="new@acme.test", password="s3cret-short")
    assert short["ok"] is True  # 12 characters is the minimum...
    too_short = create_merchant(email="x@acme.test", password="tiny-secret")
    assert too_short["error"]["code"] == "BAD_REQUEST_ERROR"
    assert "password" in too_short["error"]["description"] and "tiny-secret" not in json.dumps(too_short)
    assert create_merchant(email="not-an-email")["error"]["code"] == "BAD_REQUEST_ERROR"
    assert create_merchant(action="drop_tables")["ok"] is False
    emails = {row["email"] for row in gateway.rows("SELECT email FROM merchants")}
    assert emails == {"test@example.com", "ops@acme.test", "new@acme.test"}


def emf_metrics(output: str) -> dict[str, Any]:
    """The CloudWatch embedded-metric lines a function printed: metric name → value, with dimensions."""
    found: dict[str, Any] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "PaymentGateway"
            for metric in directive["Metrics"]:
                found[metric["Name"]] = (record[metric["Name"]], {d: record[d] for d in directive["Dimensions"][0]})
    return found


def test_the_relay_reports_the_outbox_age_and_stuck_payments_the_alarms_watch(
    gateway: Gateway, setting: Setting, aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a message unsent for ten minutes, and the queue endpoint still down...
    gateway.execute(
        "INSERT INTO outbox (queue, body, created_at) VALUES ('payments', '{}', now() - interval '10 minutes')"
    )
    setting("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    capsys.readouterr()
    relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context())
    metrics = emf_metrics(capsys.readouterr().out)
    # ...the relay reports its age (what OutboxStalledAlarm compares with 300 s), under the alarm's dimension.
    (age,), dimensions = metrics["OutboxOldestUnsentSeconds"]
    assert 590 < age < 700 and dimensions == {"service": "relay_outbox"}
    assert metrics["StuckPaymentsRequeued"][0] == [0]

    # When the endpoint is back, the next run sends it and reports nothing left behind.
    setting("AWS_ENDPOINT_URL", aws_endpoint)
    relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context())
    assert emf_metrics(capsys.readouterr().out)["OutboxOldestUnsentSeconds"][0] == [0]


def test_an_unreachable_database_is_retried_then_fails_the_deploy(
    gateway: Gateway, setting: Setting, receiver: WebhookReceiver
) -> None:
    # Given a database nobody answers on (as RDS Proxy before its target registers)...
    setting("DATABASE_URL", "postgresql://gateway@127.0.0.1:9/gateway")
    context = lambda_context()
    context.deadline_ms = int(time.time() * 1000) + (migrate_handler.REPLY_MARGIN_SECONDS + 4) * 1000
    started = time.monotonic()
    migrate_handler.lambda_handler(custom_resource_event("Create", receiver.url), context)
    # ...the handler kept trying for the time the invocation had left, then failed the deploy.
    waited = time.monotonic() - started
    body = json.loads(receiver.wait_for(1)[0].body)
    assert body["Status"] == "FAILED" and "database not reachable within 4 s" in body["Reason"]
    assert 2.5 < waited < 6
