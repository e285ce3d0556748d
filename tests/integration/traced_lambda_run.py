"""One function's part of a payment's life through its real handler with tracing on, as Lambda runs
it: a process of its own (the X-Ray SDK patches botocore process-wide) whose environment the caller
made that function's in Lambda (LAMBDA_TASK_ROOT, AWS_XRAY_DAEMON_ADDRESS, POWERTOOLS_SERVICE_NAME,
_X_AMZN_TRACE_ID). Used by test_traces.py:
`python -m tests.integration.traced_lambda_run FUNCTION SPEC RESULT`."""

from __future__ import annotations

import json
import sys
from typing import Any, cast

from devstack.aws import QueueSet
from tests.support import Gateway, lambda_context, wait_until


def run_api(gateway: Gateway, spec: dict[str, Any]) -> dict[str, Any]:
    gateway.set_webhook_url(spec["webhook_url"])
    order = gateway.create_order()
    payment = gateway.create_payment(order["id"])
    return {"order_id": order["id"], "payment_id": payment["id"]}


def run_process_payment(gateway: Gateway, spec: dict[str, Any]) -> dict[str, Any]:
    return {"jobs": gateway.process_payment_jobs()}


def run_deliver_webhook(gateway: Gateway, spec: dict[str, Any]) -> dict[str, Any]:
    import deliver_webhook_handler

    deliveries: list[dict[str, Any]] = []
    wait_until(lambda: deliveries.extend(gateway.receive("WebhooksQueue")) or len(deliveries) >= 3)
    reply = deliver_webhook_handler.lambda_handler(
        gateway.sqs_event("WebhooksQueue", deliveries), cast(Any, lambda_context("DeliverWebhookFunction"))
    )
    assert reply == {"batchItemFailures": []}, reply
    return {"webhook_log_ids": [json.loads(message["Body"])["webhook_log_id"] for message in deliveries]}


FUNCTIONS = {"api": run_api, "process_payment": run_process_payment, "deliver_webhook": run_deliver_webhook}


if __name__ == "__main__":
    function, spec = sys.argv[1], json.loads(sys.argv[2])
    result = FUNCTIONS[function](Gateway(spec["database_url"], QueueSet(**spec["queues"])), spec)
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        json.dump(result, out)
