"""The outbox relay drains a backlog at the queue's speed (issue 25, item 14): one scheduled run
sends every unsent row it can within its time budget, ten to a SendMessageBatch, not 100 a minute.
Real Postgres, the real SQS endpoint (moto's server or LocalStack)."""

from __future__ import annotations

import time

import relay_outbox_handler

from tests.support import Gateway, lambda_context


def _backlog(gateway: Gateway, count: int) -> None:
    """`count` webhook jobs whose post-commit send failed a minute ago (the queue was frozen)."""
    gateway.execute(
        "INSERT INTO outbox (queue, body, created_at)"
        " SELECT 'webhooks', json_build_object('webhook_log_id', gen_random_uuid())::text,"
        " now() - interval '1 minute' FROM generate_series(1, %s)",
        (count,),
    )


def test_one_relay_run_sends_a_backlog_of_1500_rows(gateway: Gateway) -> None:
    _backlog(gateway, 1_500)
    started = time.monotonic()
    report = relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context())
    elapsed = time.monotonic() - started
    assert report["relayed"] == 1_500, report
    assert gateway.rows("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL") == [{"n": 0}]
    visible = int(gateway.queue_attributes("WebhooksQueue")["ApproximateNumberOfMessages"])
    assert visible == 1_500
    assert elapsed < 25, elapsed  # inside the test context's 30 s, with the handler's margin


def test_the_relay_stops_at_its_time_budget_and_leaves_the_rest_for_the_next_run(gateway: Gateway) -> None:
    from gateway.domain import outbox

    _backlog(gateway, 300)
    # A budget that one page exhausts: the run stops after it, the next run goes on.
    first = outbox.relay_unsent(budget_seconds=0)
    assert first == outbox.RELAY_PAGE
    assert outbox.relay_unsent(budget_seconds=60) == 300 - first
    assert gateway.rows("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL") == [{"n": 0}]
    assert int(gateway.queue_attributes("WebhooksQueue")["ApproximateNumberOfMessages"]) == 300
