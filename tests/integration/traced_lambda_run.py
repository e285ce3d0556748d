"""One function's part of a payment's life through its real handler, as Lambda runs it with
`Tracing: Active`: a process of its own whose environment the caller made that function's in Lambda
(LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, POWERTOOLS_SERVICE_NAME, _X_AMZN_TRACE_ID). Besides the
function's result it reports what the process imported (no tracing SDK may load) and the trace
header of every queue send (botocore's, from _X_AMZN_TRACE_ID: how SQS hands a trace on).
Used by test_traces.py: `python -m tests.integration.traced_lambda_run FUNCTION SPEC RESULT`."""

from __future__ import annotations

import json
import sys
from typing import Any, cast

import boto3

from devstack.emulator import QueueSet
from tests.support import Gateway, lambda_context, wait_until

# Every queue send's X-Amzn-Trace-Id header ("" when it had none), in order.
SENT_TRACE_HEADERS: list[str] = []


def record_trace_headers() -> None:
    """Hooks the default session's events, which the gateway's clients (created later) copy."""

    def before_send(request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", "")  # JSON protocol: AmazonSQS.SendMessage(Batch)
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        if "SendMessage" in str(target) or b"Action=SendMessage" in body:
            header = request.headers.get("X-Amzn-Trace-Id", "")
            SENT_TRACE_HEADERS.append(header.decode() if isinstance(header, bytes) else str(header))

    boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("before-send.sqs", before_send)


def run_api(gateway: Gateway, spec: dict[str, Any]) -> dict[str, Any]:
    gateway.set_webhook_url(spec["webhook_url"])
    # A card payment first: its number and CVV must reach no log line.
    card_order = gateway.create_order()
    gateway.create_payment(card_order["id"], method="card")
    gateway.drain("PaymentsQueue")
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
    record_trace_headers()
    result = FUNCTIONS[function](Gateway(spec["database_url"], QueueSet(**spec["queues"])), spec)
    result[f"{function}_imported"] = sorted(sys.modules)
    result[f"{function}_sent_trace_headers"] = SENT_TRACE_HEADERS
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        json.dump(result, out)
