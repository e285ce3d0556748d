"""Webhook deliveries per second through the local stack, beside bare httpx posting the same bodies.

The gateway path: SQS message → deliver_webhook (batches of 10, records sent in parallel) → lock
the log, sign, POST, record the attempt. The bare path: an httpx loop POSTing the same bodies to
the same receiver, sequentially and from 10 threads.

Run: make bench-webhooks
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import httpx
import psycopg

from benchmarks.harness import local_runtime, machine_line
from tests.support import TEST_MERCHANT_ID, WebhookReceiver

COUNT = int(os.environ.get("BENCH_WEBHOOKS", "1000"))
BODY = '{"id":"evt_%d","event":"payment.success","timestamp":1795424623,"data":{"payment":{"id":"pay_%d"}}}'


def bare(url: str, threads: int) -> float:
    def post(chunk: range) -> None:
        with httpx.Client() as client:
            for n in chunk:
                client.post(url, content=BODY % (n, n), headers={"Content-Type": "application/json"})

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, [range(n, COUNT, threads) for n in range(threads)]))
    return COUNT / (time.perf_counter() - started)


def through_gateway(database_url: str, sqs: Any, queue_url: str, receiver: WebhookReceiver) -> float:
    """Deliveries per second for COUNT webhooks put on the queue at once, until the last arrives."""
    receiver.received.clear()
    with psycopg.connect(database_url, autocommit=True) as conn:
        # The merchant's default webhook endpoint (a webhook_endpoints row) gets the receiver's URL.
        conn.execute(
            "UPDATE webhook_endpoints SET url = %s, disabled = false, failing_since = NULL"
            " WHERE merchant_id = %s AND is_default",
            (receiver.url, TEST_MERCHANT_ID),
        )
        ids = [
            str(row[0])
            for row in conn.execute(
                "INSERT INTO webhook_logs (merchant_id, endpoint_id, event_id, event, payload)"
                " SELECT merchant_id, id, 'evt_bench' || n, 'payment.success', format(%s, n, n)"
                " FROM webhook_endpoints, generate_series(1, %s) n WHERE merchant_id = %s AND is_default"
                " RETURNING id",
                (BODY.replace("%d", "%s"), COUNT, TEST_MERCHANT_ID),
            )
        ]
    started = time.perf_counter()
    for first in range(0, COUNT, 10):
        entries = [
            {"Id": str(n), "MessageBody": f'{{"webhook_log_id":"{log_id}"}}'}
            for n, log_id in enumerate(ids[first : first + 10])
        ]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    received = receiver.wait_for(COUNT, timeout=600)
    assert len(received) == COUNT, f"only {len(received)} of {COUNT} delivered"
    return COUNT / (time.perf_counter() - started)


def main() -> None:
    receiver = WebhookReceiver().start()
    try:
        sequential = bare(receiver.url, 1)
        parallel = bare(receiver.url, 10)
        with local_runtime() as runtime:
            queue_url = runtime.function_environment["DeliverWebhookFunction"]["WEBHOOKS_QUEUE_URL"]
            sqs = boto3.client("sqs")
            cold = through_gateway(runtime.database_url, sqs, queue_url, receiver)  # the function's workers start
            gateway = through_gateway(runtime.database_url, sqs, queue_url, receiver)
    finally:
        receiver.stop()
    print(machine_line(f"{COUNT} webhooks; receiver in-process"))
    print(f"bare httpx loop, 1 thread      : {sequential:7.0f} posts/s")
    print(f"bare httpx loop, 10 threads    : {parallel:7.0f} posts/s")
    print(f"gateway, first burst (workers start): {cold:7.0f} deliveries/s")
    print(
        f"gateway (SQS → deliver_webhook): {gateway:7.0f} deliveries/s"
        f"  ({gateway / sequential:.0%} of 1-thread bare, {gateway / parallel:.0%} of 10-thread bare)"
    )


if __name__ == "__main__":
    main()
