"""Webhook retries on the real Postgres, SQS endpoint and Scheduler API, with a real receiver."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import deliver_webhook_handler
import pytest
import relay_outbox_handler
from standardwebhooks import Webhook

from devstack.emulator import scheduler_client
from devstack.scheduler import SchedulerEmulator
from gateway.domain import payments
from gateway.models.jobs import PaymentJob, WebhookJob
from tests.support import WEBHOOK_SECRET, Gateway, WebhookReceiver, deliver_once, lambda_context

SCHEDULER_ENV = {
    "WEBHOOK_SCHEDULE_GROUP": "test-webhook-retries",
    "WEBHOOK_SCHEDULER_ROLE_ARN": "arn:aws:iam::000000000000:role/scheduler-to-webhooks",
}


@pytest.fixture
def scheduler_env(gateway: Gateway, setting: Any) -> None:
    for name, value in SCHEDULER_ENV.items():
        setting(name, value)
    setting("WEBHOOKS_SLOW_QUEUE_ARN", gateway.queues.arns["WebhooksSlowQueue"])
    from devstack.emulator import create_schedule_group

    create_schedule_group(SCHEDULER_ENV["WEBHOOK_SCHEDULE_GROUP"])


def _success_event(gateway: Gateway, url: str) -> str:
    """Given a processed payment whose payment.success event is pending delivery; returns the log id."""
    payment = gateway.create_payment(gateway.create_order()["id"])
    gateway.set_webhook_url(url)
    payments.process_payment(PaymentJob(payment_id=payment["id"]))
    [log] = gateway.rows(
        "SELECT id::text FROM webhook_logs WHERE event = 'payment.success' AND payment_id = %s", (payment["id"],)
    )
    gateway.receive("WebhooksQueue")  # the immediate message; these tests drive delivery themselves
    return str(log["id"])


def _log(gateway: Gateway, log_id: str) -> dict[str, Any]:
    return gateway.rows(
        "SELECT status, attempts, next_retry_at, extract(epoch FROM next_retry_at - last_attempt_at)::int AS wait"
        " FROM webhook_logs WHERE id = %s",
        (log_id,),
    )[0]


def _fail_until(gateway: Gateway, log_id: str, attempts: int) -> None:
    """Makes the log look like `attempts` failed deliveries, the last one due now."""
    gateway.execute("UPDATE webhook_logs SET attempts = %s, next_retry_at = now() WHERE id = %s", (attempts, log_id))


def test_signatures_verify_with_the_standard_webhooks_library(gateway: Gateway, receiver: WebhookReceiver) -> None:
    log_id = _success_event(gateway, receiver.url)
    deliver_once(log_id)
    [hook] = receiver.wait_for(1)
    payload = Webhook(WEBHOOK_SECRET).verify(hook.body, hook.headers)
    assert payload["event"] == "payment.success"
    assert hook.headers["webhook-id"] == payload["id"]
    assert abs(int(hook.headers["webhook-timestamp"]) - time.time()) < 10
    tampered = hook.body.replace(b"success", b"failure")
    with pytest.raises(Exception, match="signature"):
        Webhook(WEBHOOK_SECRET).verify(tampered, hook.headers)


def test_one_and_five_minute_retries_use_sqs_delay(gateway: Gateway) -> None:
    log_id = _success_event(gateway, "http://127.0.0.1:9/closed")
    deliver_once(log_id)
    assert _log(gateway, log_id)["wait"] == 60
    _fail_until(gateway, log_id, 1)
    deliver_once(log_id)
    assert _log(gateway, log_id)["wait"] == 300
    delays = [
        row["delay_seconds"]
        for row in gateway.rows("SELECT delay_seconds FROM outbox WHERE body LIKE %s ORDER BY id", (f"%{log_id}%",))
    ]
    assert delays[-2:] == [60, 300]
    # The delayed messages are on the queue but not yet visible.
    assert gateway.receive("WebhooksSlowQueue", wait_seconds=0) == []
    attributes = gateway.queue_attributes("WebhooksSlowQueue")
    assert int(attributes["ApproximateNumberOfMessagesDelayed"]) == 2


@pytest.mark.parametrize(("failed_before", "wait"), [(2, 1800), (3, 7200)])
def test_thirty_minute_and_two_hour_retries_become_scheduler_schedules(
    gateway: Gateway, scheduler_env: None, failed_before: int, wait: int
) -> None:
    log_id = _success_event(gateway, "http://127.0.0.1:9/closed")
    _fail_until(gateway, log_id, failed_before)
    before = datetime.now(UTC)
    deliver_once(log_id)

    log = _log(gateway, log_id)
    assert (log["status"], log["attempts"], log["wait"]) == ("pending", failed_before + 1, wait)
    schedule = scheduler_client().get_schedule(
        Name=f"webhook-{log_id}-{failed_before + 2}", GroupName=SCHEDULER_ENV["WEBHOOK_SCHEDULE_GROUP"]
    )
    at = datetime.strptime(schedule["ScheduleExpression"], "at(%Y-%m-%dT%H:%M:%S)").replace(tzinfo=UTC)
    assert timedelta(seconds=wait - 5) <= at - before <= timedelta(seconds=wait + 5)
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == gateway.queues.arns["WebhooksSlowQueue"]
    assert schedule["Target"]["RoleArn"] == SCHEDULER_ENV["WEBHOOK_SCHEDULER_ROLE_ARN"]
    assert json.loads(schedule["Target"]["Input"]) == {"webhook_log_id": log_id}
    assert not [row for row in gateway.rows("SELECT delay_seconds FROM outbox WHERE delay_seconds > 900")]


def test_the_local_scheduler_fires_a_due_schedule_and_deletes_it(
    gateway: Gateway, scheduler_env: None, receiver: WebhookReceiver
) -> None:
    log_id = _success_event(gateway, receiver.url)
    receiver.responses.append(503)
    _fail_until(gateway, log_id, 2)
    deliver_once(log_id)  # fails: next try in 30 minutes, by schedule
    group = SCHEDULER_ENV["WEBHOOK_SCHEDULE_GROUP"]
    # Time compressed: the emulator's clock is 31 minutes ahead.
    emulator = SchedulerEmulator(clock=lambda: datetime.now(UTC) + timedelta(minutes=31), log=lambda _: None)
    early = SchedulerEmulator(clock=lambda: datetime.now(UTC) + timedelta(minutes=29), log=lambda _: None)
    assert early.fire_due() == 0
    assert emulator.fire_due() == 1
    assert scheduler_client().list_schedules(GroupName=group)["Schedules"] == []
    messages = gateway.receive("WebhooksSlowQueue")
    assert [json.loads(m["Body"]) for m in messages] == [{"webhook_log_id": log_id}]
    # When the retry is due (moved to now here), the delivery goes through.
    gateway.execute("UPDATE webhook_logs SET next_retry_at = now() WHERE id = %s", (log_id,))
    deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksSlowQueue", messages), lambda_context())
    assert _log(gateway, log_id)["status"] == "success"


def test_a_message_that_arrives_before_its_retry_time_is_dropped(gateway: Gateway, receiver: WebhookReceiver) -> None:
    log_id = _success_event(gateway, receiver.url)
    receiver.responses.append(500)
    deliver_once(log_id)
    assert deliver_once(log_id) is None  # a duplicate, 60 s early
    assert len(receiver.received) == 1


def test_after_five_failed_attempts_the_log_is_failed(gateway: Gateway) -> None:
    log_id = _success_event(gateway, "http://127.0.0.1:9/closed")
    _fail_until(gateway, log_id, 4)
    assert deliver_once(log_id) == "failed"
    log = _log(gateway, log_id)
    assert (log["status"], log["attempts"], log["next_retry_at"]) == ("failed", 5, None)


def test_the_relay_requeues_a_retry_whose_message_was_lost(gateway: Gateway) -> None:
    log_id = _success_event(gateway, "http://127.0.0.1:9/closed")
    gateway.execute(
        "UPDATE webhook_logs SET attempts = 3, next_retry_at = now() - interval '10 minutes' WHERE id = %s", (log_id,)
    )
    report = relay_outbox_handler.lambda_handler({}, lambda_context())
    assert report["requeued_webhooks"] == 1
    assert [json.loads(m["Body"]) for m in gateway.receive("WebhooksSlowQueue")] == [{"webhook_log_id": log_id}]
    assert relay_outbox_handler.lambda_handler({}, lambda_context())["requeued_webhooks"] == 0


def test_a_slow_endpoint_does_not_delay_the_rest_of_the_batch(gateway: Gateway) -> None:
    slow = WebhookReceiver(respond=lambda hook: (time.sleep(3), 200)[1]).start()
    fast = WebhookReceiver().start()
    try:
        gateway.set_webhook_url(slow.url)
        slow_log = _success_event(gateway, slow.url)
        fast_id = "11111111-1111-1111-1111-111111111111"
        gateway.add_merchant_with_webhook(fast_id, "fast", fast.url, "whsec_ZmFzdA==")
        fast_logs = [
            str(
                gateway.rows(
                    "INSERT INTO webhook_logs (merchant_id, endpoint_id, event_id, event, payload)"
                    " SELECT merchant_id, id, %s, 'webhook.test', '{}' FROM webhook_endpoints"
                    " WHERE merchant_id = %s AND is_default RETURNING id::text AS id",
                    (f"evt_fast{n}", fast_id),
                )[0]["id"]
            )
            for n in range(5)
        ]
        from tests.support import fake_message

        batch = [fake_message(WebhookJob(webhook_log_id=log).model_dump_json()) for log in [slow_log, *fast_logs]]
        started = time.time()
        result = deliver_webhook_handler.lambda_handler(gateway.sqs_event("WebhooksQueue", batch), lambda_context())
        elapsed = time.time() - started
        assert result == {"batchItemFailures": []}
        fast_done = max(hook.at for hook in fast.wait_for(5)) - started
        assert len(fast.received) == 5
        assert elapsed < 5  # in parallel: about the slow one's 3 s, not 3 s + the rest
        assert fast_done < 2.5, "fast deliveries waited for the slow endpoint"
    finally:
        slow.stop()
        fast.stop()


def test_outside_local_mode_a_private_destination_is_refused_when_sending(gateway: Gateway, setting: Any) -> None:
    log_id = _success_event(gateway, "http://127.0.0.1:9/closed")  # saved in local mode
    setting("STAGE", "prod")
    setting("TEST_MODE", "false")
    deliver_once(log_id)
    [row] = gateway.rows("SELECT last_error, response_code FROM webhook_logs WHERE id = %s", (log_id,))
    assert row["response_code"] is None and "BlockedDestination" in row["last_error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]:9/x",
        "http://[64:ff9b::7f00:1]/x",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:7f00:1::]/",
    ],
)
def test_the_guard_switched_on_locally_refuses_embedded_loopback_at_save_and_at_send(
    gateway: Gateway, setting: Any, url: str
) -> None:
    log_id = _success_event(gateway, url)  # saved while the guard is off (local mode)
    setting("WEBHOOK_URL_GUARD", "true")
    saved = gateway.api("PUT", "/api/v1/merchant/webhook", {"webhook_url": url})
    assert saved.status == 400 and "public address" in saved.json["error"]["description"]
    deliver_once(log_id)
    [row] = gateway.rows("SELECT last_error, response_code FROM webhook_logs WHERE id = %s", (log_id,))
    assert row["response_code"] is None and "BlockedDestination" in row["last_error"]


def test_a_failing_endpoint_moves_its_merchant_to_the_slow_lane_until_a_delivery_succeeds(
    gateway: Gateway, receiver: WebhookReceiver
) -> None:
    def lane_of_next_event() -> str:
        """The lane a new payment's events (created, pending, success) all went to."""
        gateway.drain("WebhooksQueue")
        gateway.drain("WebhooksSlowQueue")
        payment = gateway.create_payment(gateway.create_order()["id"])
        gateway.process_payment_jobs()  # the consumer sends created/pending with payment.success
        logs = gateway.rows("SELECT id::text FROM webhook_logs WHERE payment_id = %s", (payment["id"],))
        ids = {row["id"] for row in logs}

        def queued(queue_id: str) -> set[str]:
            return {json.loads(m["Body"])["webhook_log_id"] for m in gateway.receive(queue_id)} & ids

        fast, slow = queued("WebhooksQueue"), queued("WebhooksSlowQueue")
        assert len(ids) == 3 and (fast, slow) in ((ids, set()), (set(), ids)), (fast, slow, ids)
        return "fast" if fast else "slow"

    gateway.set_webhook_url(receiver.url)
    assert lane_of_next_event() == "fast"
    # Given the endpoint fails a delivery...
    log_id = _success_event(gateway, receiver.url)
    receiver.responses.append(500)
    deliver_once(log_id)
    gateway.receive("WebhooksSlowQueue")  # its retry, in a minute
    # ...the merchant's next events go through the slow lane, where a success brings it back.
    assert lane_of_next_event() == "slow"
    _fail_until(gateway, log_id, 1)
    assert deliver_once(log_id) == "success"
    assert lane_of_next_event() == "fast"
    # A new URL starts in the fast lane too.
    receiver.responses.append(500)
    deliver_once(
        str(
            gateway.rows("SELECT id::text FROM webhook_logs WHERE status = 'pending' ORDER BY created_at LIMIT 1")[0][
                "id"
            ]
        )
    )
    gateway.set_webhook_url(receiver.url + "?v=2")
    assert lane_of_next_event() == "fast"
