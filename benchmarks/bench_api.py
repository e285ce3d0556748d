"""Throughput and latency of the local gateway, side by side with the raw limits on this machine.

Starts its own local stack (embedded Postgres and emulator in a temp folder, TEST_MODE with no
processing delay) and prints:
  - bare psycopg INSERT loop into `orders` (one transaction each) vs POST /api/v1/orders over HTTP;
  - create payment -> signed webhook received, end to end through SQS and both consumers.

Run: make bench   (or: PYTHONPATH=layers/common:. .venv/bin/python benchmarks/bench_api.py)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from benchmarks.harness import api_url, local_runtime, percentile
from tests.support import AUTH, TEST_MERCHANT_ID, WebhookReceiver

ORDERS = int(os.environ.get("BENCH_ORDERS", "1000"))
PAYMENTS = int(os.environ.get("BENCH_PAYMENTS", "30"))
CLIENTS = 8


def bare_inserts(database_url: str, count: int) -> float:
    with psycopg.connect(database_url, autocommit=True) as conn:
        started = time.perf_counter()
        for n in range(count):
            conn.execute(
                "INSERT INTO orders (id, merchant_id, amount, currency) VALUES (%s, %s, %s, 'INR')",
                (f"order_bench{n:011d}", TEST_MERCHANT_ID, 1000 + n),
            )
        return count / (time.perf_counter() - started)


def api_orders_sequential(url: str, count: int) -> tuple[float, list[float]]:
    latencies = []
    with httpx.Client(base_url=url, headers=AUTH) as client:
        started = time.perf_counter()
        for n in range(count):
            t0 = time.perf_counter()
            response = client.post("/api/v1/orders", json={"amount": 1000 + n})
            latencies.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 201, response.text
        return count / (time.perf_counter() - started), latencies


def api_orders_concurrent(url: str, count: int, clients: int) -> float:
    def worker(share: int) -> None:
        with httpx.Client(base_url=url, headers=AUTH) as client:
            for n in range(share):
                assert client.post("/api/v1/orders", json={"amount": 1000 + n}).status_code == 201

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, [count // clients] * clients))
    return (count // clients * clients) / (time.perf_counter() - started)


def payment_to_webhook(url: str, receiver: WebhookReceiver, count: int) -> list[float]:
    latencies = []
    with httpx.Client(base_url=url, headers=AUTH) as client:
        client.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url})
        for n in range(count):
            order = client.post("/api/v1/orders", json={"amount": 5000}).json()
            t0 = time.perf_counter()
            client.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"})
            # created, pending and success events for each payment
            got = receiver.wait_for(3 * (n + 1), timeout=30)
            assert len(got) == 3 * (n + 1), "webhooks did not arrive"
            latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def main() -> None:
    with local_runtime() as runtime:
        url = api_url(runtime)
        receiver = WebhookReceiver().start()
        try:
            raw = bare_inserts(runtime.database_url, ORDERS)
            sequential, latencies = api_orders_sequential(url, ORDERS)
            concurrent = api_orders_concurrent(url, ORDERS, CLIENTS)
            webhook = payment_to_webhook(url, receiver, PAYMENTS)
        finally:
            receiver.stop()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"bare psycopg INSERT loop (autocommit)    : {raw:8.0f} rows/s")
    print(
        f"POST /api/v1/orders, 1 client keep-alive : {sequential:8.0f} req/s  ({sequential / raw:.1%} of raw)"
        f"  p50 {statistics.median(latencies):.1f} ms  p95 {percentile(latencies, 0.95):.1f} ms"
    )
    print(f"POST /api/v1/orders, {CLIENTS} clients          : {concurrent:8.0f} req/s  ({concurrent / raw:.1%} of raw)")
    print(
        f"create payment -> signed payment.success ({PAYMENTS} runs, processing delay 0): "
        f"p50 {statistics.median(webhook):.0f} ms  p95 {percentile(webhook, 0.95):.0f} ms  max {max(webhook):.0f} ms"
    )


if __name__ == "__main__":
    main()
