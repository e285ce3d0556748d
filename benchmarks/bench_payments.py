"""Payment creation and payment lists through the local HTTP API, beside bare psycopg on the same database.

1. POST /api/v1/payments (with Idempotency-Key) at several client concurrency levels: throughput and
   p50/p99 latency, beside a bare psycopg loop doing the same writes per payment (lock the order,
   insert the payment, insert its outbox row, one transaction) over as many connections.
2. GET /api/v1/payments on BENCH_ROWS payments (default 1,000,000): first page with total, a deep
   offset page, a deep cursor page and a filtered page, beside the same SQL run bare.

Run: make bench-payments   (BENCH_ROWS=100000 for a quicker run)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from benchmarks.harness import api_url, local_runtime, median_ms, percentile
from tests.support import AUTH, TEST_MERCHANT_ID

LEVELS = (1, 4, 8, 16)
PER_LEVEL = int(os.environ.get("BENCH_PAYMENTS", "400"))
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))


def make_orders(database_url: str, prefix: str, count: int) -> list[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO orders (id, merchant_id, amount, currency)"
            " SELECT %s || lpad(n::text, 10, '0'), %s, 10000, 'INR' FROM generate_series(1, %s) n",
            (prefix, TEST_MERCHANT_ID, count),
        )
    return [f"{prefix}{n:010d}" for n in range(1, count + 1)]


def bare_payments(database_url: str, orders: list[str], clients: int) -> tuple[float, list[float]]:
    def worker(chunk: list[str]) -> list[float]:
        latencies = []
        with psycopg.connect(database_url, autocommit=True) as conn:
            for order_id in chunk:
                t0 = time.perf_counter()
                with conn.transaction():
                    conn.execute("SELECT amount FROM orders WHERE id = %s FOR UPDATE", (order_id,))
                    conn.execute(
                        "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, vpa)"
                        " VALUES (%s, %s, %s, 10000, 'INR', 'upi', 'a@okhdfc')",
                        ("pay_" + order_id[-16:], order_id, TEST_MERCHANT_ID),
                    )
                    conn.execute("INSERT INTO outbox (queue, body) VALUES ('payments', %s)", (order_id,))
                latencies.append((time.perf_counter() - t0) * 1000)
        return latencies

    return _run(worker, orders, clients)


def api_payments(url: str, orders: list[str], clients: int) -> tuple[float, list[float]]:
    def worker(chunk: list[str]) -> list[float]:
        latencies = []
        with httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
            for order_id in chunk:
                t0 = time.perf_counter()
                response = client.post(
                    "/api/v1/payments",
                    json={"order_id": order_id, "method": "upi", "vpa": "a@okhdfc"},
                    headers={"Idempotency-Key": f"bench-{order_id}"},
                )
                latencies.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 201, response.text
        return latencies

    return _run(worker, orders, clients)


def _run(worker, items: list[str], clients: int) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    chunks = [items[n::clients] for n in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [value for part in pool.map(worker, chunks) for value in part]
    return len(items) / (time.perf_counter() - started), latencies


def seed_payments(database_url: str, rows: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO orders (id, merchant_id, amount, currency, status, created_at)"
            " SELECT 'order_seed' || lpad(n::text, 10, '0'), %s, 1000 + n %% 5000, 'INR', 'paid',"
            " now() - make_interval(secs => n) FROM generate_series(1, %s) n",
            (TEST_MERCHANT_ID, rows),
        )
        conn.execute(
            "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, status, vpa,"
            " card_network, card_last4, created_at, updated_at)"
            " SELECT 'pay_seed' || lpad(n::text, 12, '0'), 'order_seed' || lpad(n::text, 10, '0'), %s,"
            " 1000 + n %% 5000, 'INR', CASE WHEN n %% 3 = 0 THEN 'card' ELSE 'upi' END,"
            " CASE WHEN n %% 10 = 0 THEN 'failed' ELSE 'success' END,"
            " CASE WHEN n %% 3 = 0 THEN NULL ELSE 'shopper@okhdfc' END,"
            " CASE WHEN n %% 3 = 0 THEN 'visa' END, CASE WHEN n %% 3 = 0 THEN '1111' END,"
            " now() - make_interval(secs => n), now() - make_interval(secs => n) FROM generate_series(1, %s) n",
            (TEST_MERCHANT_ID, rows),
        )
        conn.execute("VACUUM ANALYZE payments")
        conn.execute("VACUUM ANALYZE orders")


def list_benchmarks(url: str, database_url: str) -> list[tuple[str, float, float]]:
    deep_cursor = f"pay_seed{ROWS // 2:012d}"
    cases = [
        (
            "first page (limit 20) + total",
            "limit=20",
            "SELECT count(*) FROM payments WHERE merchant_id = %(m)s;"
            "SELECT * FROM payments WHERE merchant_id = %(m)s ORDER BY created_at DESC, id DESC LIMIT 21",
        ),
        (
            "offset 10,000",
            "limit=20&offset=10000",
            "SELECT count(*) FROM payments WHERE merchant_id = %(m)s;"
            "SELECT * FROM payments WHERE merchant_id = %(m)s ORDER BY created_at DESC, id DESC LIMIT 21 OFFSET 10000",
        ),
        (
            f"cursor at row {ROWS // 2:,}",
            f"limit=20&starting_after={deep_cursor}",
            "SELECT count(*) FROM payments WHERE merchant_id = %(m)s;"
            "SELECT * FROM payments WHERE merchant_id = %(m)s AND (created_at, id) <"
            " (SELECT created_at, id FROM payments WHERE id = %(c)s) ORDER BY created_at DESC, id DESC LIMIT 21",
        ),
        (
            "status=failed",
            "limit=20&status=failed",
            "SELECT count(*) FROM payments WHERE merchant_id = %(m)s AND status = 'failed';"
            "SELECT * FROM payments WHERE merchant_id = %(m)s AND status = 'failed'"
            " ORDER BY created_at DESC, id DESC LIMIT 21",
        ),
    ]
    results = []
    with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client, psycopg.connect(database_url) as conn:
        for name, query, sql in cases:
            statements = sql.split(";")

            def bare(statements: list[str] = statements) -> None:
                for statement in statements:
                    conn.execute(statement, {"m": TEST_MERCHANT_ID, "c": deep_cursor}).fetchall()

            def api(query: str = query) -> None:
                assert client.get(f"/api/v1/payments?{query}").status_code == 200

            results.append((name, median_ms(bare), median_ms(api)))
    return results


def main() -> None:
    with local_runtime(api_concurrency=8) as runtime:
        url, database_url = api_url(runtime), runtime.database_url
        rows = []
        for clients in LEVELS:
            bare = bare_payments(
                database_url, make_orders(database_url, f"order_bare{clients:02d}_", PER_LEVEL), clients
            )
            api = api_payments(url, make_orders(database_url, f"order_api{clients:02d}_", PER_LEVEL), clients)
            rows.append((clients, bare, api))
        seed_started = time.perf_counter()
        seed_payments(database_url, ROWS)
        seeded = time.perf_counter() - seed_started
        lists = list_benchmarks(url, database_url)

    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; API workers: 8;"
        f" {PER_LEVEL} payments a level"
    )
    print("clients | bare psycopg: pay/s   p50 ms  p99 ms | API POST /payments: pay/s   p50 ms  p99 ms | API/bare")
    for clients, (bare_rate, bare_lat), (api_rate, api_lat) in rows:
        print(
            f"{clients:7d} | {bare_rate:17.0f} {statistics.median(bare_lat):8.1f} {percentile(bare_lat, 0.99):7.1f} |"
            f" {api_rate:23.0f} {statistics.median(api_lat):8.1f} {percentile(api_lat, 0.99):7.1f} |"
            f" {api_rate / bare_rate:7.1%}"
        )
    print(f"\nlists on {ROWS:,} payments (seeded in {seeded:.0f} s), median of 5:")
    print("query                              | bare SQL ms | API ms")
    for name, bare_ms, api_ms in lists:
        print(f"{name:<34} | {bare_ms:11.1f} | {api_ms:6.1f}")


if __name__ == "__main__":
    main()
