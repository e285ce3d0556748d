"""Migration 0017 on a database that the previous release used: the merchant's default webhook
endpoint (its columns on merchants) becomes a webhook_endpoints row, and deliveries to it that are
in flight at the deploy still go out once, signed as before; the merchant's API answers as before.
Then the previous release's functions, which run on the new schema during the deploy (and after a
rollback), keep working through the migration's bridge. Real Postgres, the real consumer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import deliver_webhook_handler
import psycopg
import pytest
from standardwebhooks import Webhook

from devstack.emulator import QueueSet
from gateway.adapters import migrations
from tests.support import AUTH, TEST_MERCHANT_ID, Gateway, WebhookReceiver, fake_message, lambda_context

Setting = Callable[[str, str], None]

# The migration this test is about: the ones before it are the previous release's schema.
MIGRATION = "0017_default_webhook_endpoint"
OLD_SECRET, NEW_SECRET = "whsec_b2xkIHNlY3JldA==", "whsec_bmV3IHNlY3JldA=="


@pytest.fixture
def previous_release(gateway: Gateway, queues: QueueSet, setting: Setting) -> Iterator[Gateway]:
    """A new database at the previous release's schema (every migration before MIGRATION), the
    functions pointed at it."""
    name = f"upgrade_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = psycopg.conninfo.make_conninfo(gateway.database_url, dbname=name)
    every = migrations.migration_files()
    before = [(version, script) for version, script in every if version < MIGRATION]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations, "migration_files", lambda: before)
        migrations.migrate(url)
    setting("DATABASE_URL", url)
    yield Gateway(url, queues)
    from gateway.adapters.postgres import close_connection

    close_connection()
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _seed_previous_release(old: Gateway, url: str) -> dict[str, str]:
    """The test merchant as the previous release kept it: its default URL and rotated secret (the
    old one in its grace period) on merchants; an endpoint it created; a default delivery done and
    one in flight (pending, claimed by a consumer that died)."""
    old.execute(
        "INSERT INTO merchants (id, name, email, api_key, api_secret_hash, webhook_url, webhook_secret,"
        " webhook_secret_previous, webhook_secret_previous_until) VALUES (%s, 'Test Merchant', 'test@example.com',"
        " %s, encode(sha256(convert_to(%s, 'UTF8')), 'hex'), %s, %s, %s, now() + interval '1 hour')",
        (TEST_MERCHANT_ID, AUTH["x-api-key"], AUTH["x-api-secret"], url, NEW_SECRET, OLD_SECRET),
    )
    old.execute(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, secret) VALUES ('we_created', %s, %s, 'whsec_ZQ==')",
        (TEST_MERCHANT_ID, url + "/created"),
    )
    [done, in_flight, created] = [
        old.rows(
            "INSERT INTO webhook_logs (merchant_id, event_id, event, payload, endpoint_id, status, delivery_claim,"
            " delivering_until) VALUES (%s, %s, 'payment.success', %s, %s, %s, %s, %s) RETURNING id::text AS id",
            (TEST_MERCHANT_ID, event_id, json.dumps({"id": event_id}), endpoint, status, claim, until),
        )[0]["id"]
        for event_id, endpoint, status, claim, until in [
            ("evt_done", None, "success", None, None),
            ("evt_in_flight", None, "pending", str(uuid.uuid4()), "2000-01-01T00:00:00Z"),
            ("evt_created", "we_created", "pending", None, None),
        ]
    ]
    return {"done": done, "in_flight": in_flight, "created": created}


def _deliver(gateway: Gateway, log_id: str) -> Any:
    message = fake_message(json.dumps({"webhook_log_id": log_id}))
    return deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksQueue", [message]), lambda_context())


def test_a_default_delivery_in_flight_at_the_upgrade_goes_out_once_and_the_api_answers_as_before(
    previous_release: Gateway, receiver: WebhookReceiver
) -> None:
    logs = _seed_previous_release(previous_release, receiver.url)
    # When this release's migrations are applied
    assert MIGRATION in migrations.migrate(previous_release.database_url)
    # Then the in-flight default delivery goes out once, signed by both secrets in the grace period
    assert _deliver(previous_release, logs["in_flight"]) == {"batchItemFailures": []}
    assert _deliver(previous_release, logs["in_flight"]) == {"batchItemFailures": []}
    [hook] = receiver.wait_for(1)
    assert receiver.wait_for(2, timeout=0.5) == [hook]
    for secret in (OLD_SECRET, NEW_SECRET):
        assert Webhook(secret).verify(hook.body, hook.headers) == {"id": "evt_in_flight"}
    # And the merchant's API answers as it did: its default endpoint names no endpoint
    api = previous_release.api
    assert api("GET", "/api/v1/merchant/webhook").json == {"webhook_url": receiver.url, "webhook_secret": NEW_SECRET}
    default = api("GET", "/api/v1/webhooks?endpoint_id=default").json["data"]
    assert {(log["id"], log["endpoint_id"]) for log in default} == {(logs["done"], None), (logs["in_flight"], None)}
    created = api("GET", "/api/v1/webhooks?endpoint_id=we_created").json["data"]
    assert [(log["id"], log["endpoint_id"]) for log in created] == [(logs["created"], "we_created")]
    assert [e["id"] for e in api("GET", "/api/v1/webhook_endpoints").json["data"]] == ["we_created"]
    assert api("GET", "/api/v1/webhook_endpoints/" + _default_id(previous_release)).status == 404
    # And running the migration's script again changes nothing
    before = previous_release.rows("SELECT * FROM webhook_endpoints ORDER BY id")
    [script] = [script for version, script in migrations.migration_files() if version == MIGRATION]
    previous_release.execute(script)
    assert previous_release.rows("SELECT * FROM webhook_endpoints ORDER BY id") == before


def test_the_previous_release_keeps_working_on_the_new_schema(
    previous_release: Gateway, receiver: WebhookReceiver
) -> None:
    _seed_previous_release(previous_release, receiver.url)
    migrations.migrate(previous_release.database_url)
    default = _default_id(previous_release)
    # When the previous release's fan-out inserts an event's deliveries (its default endpoint's with
    # no endpoint, beside one per endpoint row, which now include the default's)
    inserted = previous_release.rows(
        "WITH targets AS (SELECT NULL::varchar AS endpoint_id UNION ALL SELECT id FROM webhook_endpoints"
        "  WHERE merchant_id = %s AND NOT disabled AND deleted_at IS NULL AND enabled_events && '{*}'::text[])"
        " INSERT INTO webhook_logs (merchant_id, event_id, event, payload, endpoint_id)"
        " SELECT %s, 'evt_old_release', 'payment.success', '{}', endpoint_id FROM targets RETURNING endpoint_id",
        (TEST_MERCHANT_ID, TEST_MERCHANT_ID),
    )
    # Then the default endpoint gets one delivery, as every other endpoint
    assert sorted(row["endpoint_id"] for row in inserted) == sorted([default, "we_created"])
    # And its test event (a lone delivery with no endpoint) goes to the default endpoint
    [test_event] = previous_release.rows(
        "INSERT INTO webhook_logs (merchant_id, event_id, event, payload) VALUES (%s, 'evt_t', 'webhook.test', '{}')"
        " RETURNING endpoint_id",
        (TEST_MERCHANT_ID,),
    )
    assert test_event["endpoint_id"] == default
    # And its URL change (on merchants) reaches the default endpoint; this release's rotation
    # reaches merchants, where the previous release reads it after a rollback
    previous_release.execute("UPDATE merchants SET webhook_url = %s", (receiver.url + "/moved",))
    assert previous_release.api("GET", "/api/v1/merchant/webhook").json["webhook_url"] == receiver.url + "/moved"
    rotated = previous_release.api("POST", "/api/v1/merchant/webhook/secret").json["webhook_secret"]
    assert previous_release.rows("SELECT webhook_url, webhook_secret, webhook_secret_previous FROM merchants") == [
        {"webhook_url": receiver.url + "/moved", "webhook_secret": rotated, "webhook_secret_previous": NEW_SECRET}
    ]


def _default_id(gateway: Gateway) -> str:
    [row] = gateway.rows("SELECT id FROM webhook_endpoints WHERE merchant_id = %s AND is_default", (TEST_MERCHANT_ID,))
    return str(row["id"])
