"""Event-source mappings: poll an SQS queue and invoke the consumer with batch events.

Like Lambda's poller: a batch's successful records are deleted; records named in
`batchItemFailures` (or the whole batch, if the function raised or returned an invalid item id)
stay on the queue, reappear after the visibility timeout and go to the DLQ after maxReceiveCount.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devstack.sqs_json import SqsJsonClient
from stack.template import SqsMapping

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
    """One event-source mapping: a receiving thread hands each batch to one of `max_concurrency`
    invoking threads (as Lambda's poller scales to the mapping's MaximumConcurrency) and receives
    again only when one of them is free, so no message waits in flight for a busy function."""

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
        self._free = threading.Semaphore(mapping.max_concurrency)
        self._receiver = threading.Thread(target=self._run, name=f"poll-{mapping.queue_id}", daemon=True)
        self._batches = ThreadPoolExecutor(mapping.max_concurrency, thread_name_prefix=f"invoke-{mapping.queue_id}")
        self._sqs = SqsJsonClient(os.environ["AWS_ENDPOINT_URL"], os.environ["AWS_DEFAULT_REGION"])
        self._region = os.environ["AWS_DEFAULT_REGION"]

    def start(self) -> None:
        self._receiver.start()

    def stop(self) -> None:
        self._stopping.set()

    def join(self, timeout: float) -> None:
        self._receiver.join(timeout)
        self._batches.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._free.acquire(timeout=0.5):
                continue  # every invoking thread is busy
            try:
                messages = self._receive()
            except Exception as exc:  # keep polling through emulator restarts
                self._free.release()
                self._log(f"poller {self.mapping.queue_id}: {type(exc).__name__}: {exc}")
                self._stopping.wait(1)
                continue
            if not messages:
                self._free.release()
                continue
            self._batches.submit(self._handle_and_free, messages)

    def _handle_and_free(self, messages: list[dict[str, Any]]) -> None:
        try:
            self._handle(messages)
        except Exception as exc:  # a failed delete: the messages reappear after the visibility timeout
            self._log(f"poller {self.mapping.queue_id}: {type(exc).__name__}: {exc}")
        finally:
            self._free.release()

    def _receive(self) -> list[dict[str, Any]]:
        return self._sqs.receive(self.queue_url, min(self.mapping.batch_size, 10), self._wait_seconds)

    def poll_once(self) -> int:
        """One receive → invoke → delete cycle in the calling thread; returns how many messages were received."""
        messages = self._receive()
        if messages:
            self._handle(messages)
        return len(messages)

    def _handle(self, messages: list[dict[str, Any]]) -> None:
        event = sqs_event(messages, self.queue_arn, self._region)
        try:
            result = self._invoke(event)
        except Exception as exc:
            self._log(f"{self.mapping.function_id} raised {type(exc).__name__}: {exc}; batch left for retry")
            return
        retry = failed_ids(result, {m["MessageId"] for m in messages}, self.mapping.reports_item_failures)
        done = [m["ReceiptHandle"] for m in messages if m["MessageId"] not in retry]
        if done:
            self._sqs.delete_batch(self.queue_url, done)
        if retry:
            self._log(f"{self.mapping.function_id}: {len(retry)} of {len(messages)} records failed; left for retry")
