"""The local event-source mapping against the real SQS endpoint: deletes, retries, DLQ redrive."""

from __future__ import annotations

import json
import uuid
from typing import Any

from devstack.emulator import sqs_client
from devstack.pollers import SqsPoller
from stack.template import SqsMapping
from tests.support import wait_until


def _queue_with_dlq(max_receive_count: int = 2) -> tuple[str, str, str]:
    sqs = sqs_client()
    name = f"poller-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    queue = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1", "RedrivePolicy": redrive})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return queue, arn, dlq


def _bodies(queue_url: str) -> list[str]:
    messages = sqs_client().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return sorted(m["Body"] for m in messages.get("Messages", []))


def test_failed_items_are_retried_then_dead_lettered_and_the_rest_deleted(aws_endpoint: str) -> None:
    queue, arn, dlq = _queue_with_dlq(max_receive_count=2)
    sqs = sqs_client()
    for body in ("ok-1", "poison", "ok-2"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    seen: list[str] = []

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        records = event["Records"]
        assert all(r["eventSource"] == "aws:sqs" and r["eventSourceARN"] == arn for r in records)
        seen.extend(r["body"] for r in records)
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "poison"]}

    mapping = SqsMapping("F", "Q", batch_size=10, reports_item_failures=True, max_concurrency=1)
    poller = SqsPoller(mapping, queue, arn, handler, log=lambda _: None, wait_seconds=0)
    # Given a poison message that always fails, when the mapping polls for a few seconds...
    wait_until(lambda: poller.poll_once() == 0 and seen.count("poison") >= 2, timeout=10, interval=0.3)
    wait_until(lambda: poller.poll_once() == 0 and _dlq_depth(dlq) == 1, timeout=5, interval=0.3)

    # ...the good ones were handled once and deleted; the poison one was tried maxReceiveCount times, then parked.
    assert seen.count("ok-1") == 1 and seen.count("ok-2") == 1
    assert seen.count("poison") == 2
    assert _bodies(dlq) == ["poison"]
    assert _bodies(queue) == []


def _dlq_depth(url: str) -> int:
    attributes = sqs_client().get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_a_handler_that_raises_leaves_the_whole_batch(aws_endpoint: str) -> None:
    queue, arn, _ = _queue_with_dlq(max_receive_count=5)
    sqs_client().send_message(QueueUrl=queue, MessageBody="a")
    calls = []

    def crash(event: dict[str, Any]) -> None:
        calls.append(event)
        raise RuntimeError("boom")

    poller = SqsPoller(SqsMapping("F", "Q", 10, True, 1), queue, arn, crash, log=lambda _: None, wait_seconds=0)
    assert poller.poll_once() == 1
    assert len(calls) == 1
    # Not deleted: visible again once the 1 s visibility timeout passes.
    assert wait_until(lambda: _bodies(queue), timeout=5) == ["a"]


def test_batches_respect_the_batch_size(aws_endpoint: str) -> None:
    queue, arn, _ = _queue_with_dlq()
    for n in range(7):
        sqs_client().send_message(QueueUrl=queue, MessageBody=str(n))
    sizes: list[int] = []

    def record(event: dict[str, Any]) -> dict[str, Any]:
        sizes.append(len(event["Records"]))
        return {"batchItemFailures": []}

    poller = SqsPoller(SqsMapping("F", "Q", 3, True, 1), queue, arn, record, log=lambda _: None, wait_seconds=0)
    while poller.poll_once():
        pass
    assert sum(sizes) == 7 and max(sizes) <= 3
