"""Every function logs an unexpected error one way: its type and first line, where it was raised, and
never the database's DETAIL line with the failing row's values (issue 25, item 10)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from gateway.errors import FunctionFailed
from tests.support import Gateway, function_logs, lambda_context

CANARY = "canary-row-value-4111"
DATABASE_ERROR = f'null value in column "notes" violates a constraint\nDETAIL:  Failing row contains ({CANARY}).'


def _fail(*_: Any, **__: Any) -> None:
    raise RuntimeError(DATABASE_ERROR)


def test_a_consumer_logs_a_failed_record_without_the_detail_line(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    import process_payment_handler
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from gateway.adapters import payment_store

    # Given a payment whose processing hits a database error carrying the row
    gateway.create_payment(gateway.create_order()["id"])
    messages = gateway.receive("PaymentsQueue")
    monkeypatch.setattr(payment_store, "claim_payment", _fail)
    # When the consumer takes its job
    with function_logs("process_payment") as logs, pytest.raises(BatchProcessingError) as failed:
        process_payment_handler.lambda_handler(
            gateway.sqs_event("PaymentsQueue", messages), cast(Any, lambda_context("ProcessPaymentFunction"))
        )
    # Then the record's failure is logged with its first line and frames, and no value reaches the
    # log or Lambda's report of the batch
    written = logs.getvalue()
    assert "RuntimeError: null value in column" in written and "domain/payments.py" in written
    assert CANARY not in written and "DETAIL" not in written
    assert CANARY not in str(failed.value)


def test_the_relay_reports_an_unexpected_error_as_its_summary_only(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    import relay_outbox_handler

    from gateway.domain import outbox

    monkeypatch.setattr(outbox, "relay_unsent", _fail)
    with function_logs("relay_outbox") as logs, pytest.raises(FunctionFailed) as failed:
        relay_outbox_handler.lambda_handler({}, cast(Any, lambda_context("RelayOutboxFunction")))
    assert str(failed.value).startswith("RuntimeError: null value in column")
    assert CANARY not in str(failed.value) and failed.value.__cause__ is None
    assert CANARY not in logs.getvalue() and "invocation failed" in logs.getvalue()


def test_the_migration_reply_to_cloudformation_carries_no_detail(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, receiver: Any
) -> None:
    import migrate_handler

    from gateway.adapters import migrations

    monkeypatch.setattr(migrations, "migrate", _fail)
    event = {
        "RequestType": "Update",
        "ResponseURL": receiver.url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "r-1",
        "LogicalResourceId": "DatabaseSchema",
        "PhysicalResourceId": "DatabaseSchema-schema",
        "ResourceType": "Custom::DatabaseSchema",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:m"},
    }
    with function_logs("migrate") as logs:
        reply = migrate_handler.lambda_handler(event, cast(Any, lambda_context("MigrateFunction")))
    assert reply == {"status": "FAILED"}
    [sent] = receiver.wait_for(1)
    assert sent.json["Status"] == "FAILED" and CANARY not in sent.body.decode()
    assert CANARY not in logs.getvalue()


def test_the_webhook_consumer_logs_a_failed_batch_without_the_detail_line(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deliver_webhook_handler

    from gateway.domain import webhook_delivery
    from tests.support import fake_message

    monkeypatch.setattr(webhook_delivery, "deliver_batch", _fail)
    event = gateway.sqs_event(
        "WebhooksQueue", [fake_message('{"webhook_log_id": "00000000-0000-0000-0000-000000000001"}')]
    )
    with function_logs("deliver_webhook") as logs:
        reply = deliver_webhook_handler.lambda_handler(event, cast(Any, lambda_context("DeliverWebhookFunction")))
    assert len(reply["batchItemFailures"]) == 1
    assert "RuntimeError: null value in column" in logs.getvalue() and CANARY not in logs.getvalue()
