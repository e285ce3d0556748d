"""Event-source mappings: poll an SQS queue and invoke the consumer with batch events.

Like Lambda's poller: a batch's successful records are deleted; records named in
`batchItemFailures` (or the whole batch, if the function raised or returned an invalid item id)
stay on the queue, reappear after the visibility timeout and go to the DLQ after maxReceiveCount.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from devstack.aws import sqs_client
from devstack.template import SqsMapping

Invoke = Callable[[dict[str, Any]], Any]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value["DataType"],
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def failed_ids(result: Any, message_ids: set[str], reports_item_failures: bool) -> set[str]:
    """Which messages stay on the queue, by Lambda's rules for a function's batch response."""
    if not reports_item_failures or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    ids = {str(item.get("itemIdentifier") or "") for item in failures if isinstance(item, dict)}
    if len(ids) != len(failures) or not ids <= message_ids:
        return set(message_ids)  # an invalid response fails the whole batch
    return ids


class SqsPoller:
    def __init__(
        self,
        mapping: SqsMapping,
        queue_url: str,
        queue_arn: str,
        invoke: Invoke,
        log: Callable[[str], None],
        wait_seconds: int = 1,
    ) -> None:
        self.mapping = mapping
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self._invoke = invoke
        self._log = log
        self._wait_seconds = wait_seconds
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"poll-{mapping.queue_id}-{n}", daemon=True)
            for n in range(mapping.max_concurrency)
        ]
        self._sqs = sqs_client()
        self._region = self._sqs.meta.region_name

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # keep polling through emulator restarts and handler crashes
                self._log(f"poller {self.mapping.queue_id}: {type(exc).__name__}: {exc}")
                self._stopping.wait(1)

    def poll_once(self) -> int:
        """One receive → invoke → delete cycle; returns how many messages were received."""
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.mapping.batch_size, 10),
            WaitTimeSeconds=self._wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = sqs_event(messages, self.queue_arn, self._region)
        try:
            result = self._invoke(event)
        except Exception as exc:
            self._log(f"{self.mapping.function_id} raised {type(exc).__name__}: {exc}; batch left for retry")
            return len(messages)
        retry = failed_ids(result, {m["MessageId"] for m in messages}, self.mapping.reports_item_failures)
        done = [m for m in messages if m["MessageId"] not in retry]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)],
            )
        if retry:
            self._log(f"{self.mapping.function_id}: {len(retry)} of {len(messages)} records failed; left for retry")
        return len(messages)
