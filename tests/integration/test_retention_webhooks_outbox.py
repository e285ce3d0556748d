"""Tables that only grew (issue 25, item 8): the relay purges sent outbox rows after 7 days, and
final webhook deliveries with their attempts 30 days after their last activity, in bounded
batches. Unsent rows and pending deliveries are never purged. Real Postgres, the real relay."""

from __future__ import annotations

from typing import Any

import relay_outbox_handler

from tests.support import DEFAULT_ENDPOINT_ID, TEST_MERCHANT_ID, Gateway, lambda_context


def _log(gateway: Gateway, name: str, status: str, created_days: int, last_attempt_days: int | None) -> str:
    """A delivery `created_days` old, last attempted `last_attempt_days` ago, with two attempts."""
    [row] = gateway.rows(
        "INSERT INTO webhook_logs"
        " (merchant_id, endpoint_id, event_id, event, payload, status, attempts, created_at, last_attempt_at)"
        " VALUES (%s, %s, %s, 'payment.success', '{}', %s, 2, now() - make_interval(days => %s),"
        " now() - make_interval(days => %s)) RETURNING id::text AS id",
        (TEST_MERCHANT_ID, DEFAULT_ENDPOINT_ID, f"evt_{name}", status, created_days, last_attempt_days),
    )
    gateway.execute(
        "INSERT INTO webhook_attempts (webhook_log_id, attempted_at, response_code, latency_ms)"
        " SELECT %s, now() - make_interval(days => %s), 200, 5 FROM generate_series(1, 2)",
        (row["id"], last_attempt_days if last_attempt_days is not None else created_days),
    )
    return str(row["id"])


def _outbox(gateway: Gateway, body: str, created_days: int, sent_days: int | None) -> None:
    gateway.execute(
        "INSERT INTO outbox (queue, body, created_at, sent_at)"
        " VALUES ('webhooks', %s, now() - make_interval(days => %s), now() - make_interval(days => %s))",
        (body, created_days, sent_days),
    )


def _relay() -> dict[str, Any]:
    return dict(relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context()))


def test_the_relay_purges_old_sent_outbox_rows_and_old_final_deliveries_only(gateway: Gateway) -> None:
    _outbox(gateway, "sent-8-days-ago", 8, 8)
    _outbox(gateway, "sent-6-days-ago", 6, 6)
    _outbox(gateway, "unsent-8-days-old", 8, None)
    gone = [_log(gateway, "success31", "success", 31, 31), _log(gateway, "failed31", "failed", 32, 31)]
    gone.append(_log(gateway, "skipped31", "skipped", 31, None))
    kept = [
        _log(gateway, "pending31", "pending", 31, 31),  # still to be delivered (a lost retry)
        _log(gateway, "success29", "success", 29, 29),
        _log(gateway, "retried10", "success", 40, 10),  # retried by hand 10 days ago
    ]

    report = _relay()

    assert (report["purged_outbox"], report["purged_webhook_logs"], report["purged_webhook_attempts"]) == (1, 3, 6)
    # (The run also re-enqueued the pending delivery: a new outbox row, left out here.)
    assert sorted(row["body"] for row in gateway.rows("SELECT body FROM outbox WHERE body NOT LIKE '{%%'")) == [
        "sent-6-days-ago",
        "unsent-8-days-old",
    ]
    assert sorted(row["id"] for row in gateway.rows("SELECT id::text AS id FROM webhook_logs")) == sorted(kept)
    assert gateway.rows(
        "SELECT count(*) AS n FROM webhook_attempts WHERE webhook_log_id = ANY(%s::uuid[])", (gone,)
    ) == [{"n": 0}]
    assert gateway.count("webhook_attempts") == 6
    # A second run finds nothing more
    again = _relay()
    assert (again["purged_outbox"], again["purged_webhook_logs"], again["purged_webhook_attempts"]) == (0, 0, 0)


def test_each_run_purges_a_bounded_batch_per_table(gateway: Gateway) -> None:
    from gateway.domain import outbox, webhook_delivery

    for n in range(5):
        _outbox(gateway, f"old{n}", 9, 9)
        _log(gateway, f"old{n}", "success", 31, 31)
    # With a batch of 3 rows per table, a run takes 3 outbox rows, 3 attempts and the deliveries
    # whose attempts are all gone; the next runs take the rest.
    assert outbox.purge_sent(limit=3) == 3
    assert webhook_delivery.purge_expired(limit=3) == (1, 3)
    assert (
        gateway.count("outbox") == 2 and gateway.count("webhook_logs") == 4 and gateway.count("webhook_attempts") == 7
    )
    while outbox.purge_sent(limit=3) + sum(webhook_delivery.purge_expired(limit=3)):
        pass
    assert (gateway.count("outbox"), gateway.count("webhook_logs"), gateway.count("webhook_attempts")) == (0, 0, 0)
