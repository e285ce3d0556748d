"""A payments report of BENCH_REPORT_ROWS payments (default 100,000) through the real parts: the API
handler creates it on a real Postgres, the job goes through the outbox to the emulator's SQS, the
consumer's real handler streams the rows to the emulator's S3, and the file is downloaded through
its presigned link from this host and counted.

Printed: rows, seconds, bytes; the consumer's memory, measured in this process (the handler runs
here, as in its Lambda container): tracemalloc's peak of Python allocations during the run, and the
process's peak RSS, each beside its floor (the same process, warmed up by a one-row report, before
the run); the same for a tenth of the rows (memory must not grow with rows); and beside them the
naive way (fetchall, then the whole CSV in memory) on the same rows, the raw cost it avoids.

Run: make bench-report   (BENCH_REPORT_ROWS=20000 for a quicker run)
"""

from __future__ import annotations

import csv
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROWS = int(os.environ.get("BENCH_REPORT_ROWS", "100000"))
WINDOW = {"from": "2000-01-01T00:00:00Z", "to": "2000-12-31T00:00:00Z"}
MIB = 1024 * 1024


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def seed(database_url: str, rows: int, merchant_id: str) -> None:
    """`rows` paid UPI payments (with their orders) created on distinct seconds of 2000, in one statement each."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE payments, orders, reports, outbox, events, webhook_logs, webhook_attempts CASCADE")
        conn.execute(
            "INSERT INTO orders (id, merchant_id, amount, receipt, status, created_at)"
            " SELECT 'order_b' || n, %s, 10000 + n, CASE WHEN n %% 10 = 0 THEN '=SUM(A1)' ELSE 'r' || n END, 'paid',"
            " timestamptz '2000-01-01 00:00:00+00' + make_interval(secs => n) FROM generate_series(1, %s) AS n",
            (merchant_id, rows),
        )
        conn.execute(
            "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, status, vpa, created_at)"
            " SELECT 'pay_b' || n, 'order_b' || n, %s, 10000 + n, 'INR', 'upi', 'success', 'shopper@okhdfc',"
            " timestamptz '2000-01-01 00:00:00+00' + make_interval(secs => n) FROM generate_series(1, %s) AS n",
            (merchant_id, rows),
        )
        conn.execute("ANALYZE orders")
        conn.execute("ANALYZE payments")


def measured(work: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """work()'s result, seconds, tracemalloc peak (MiB) and the process's peak RSS afterwards (MiB)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / MIB, peak_rss_mib()


def main() -> int:
    from benchmarks.harness import machine_line
    from devstack.database import EmbeddedPostgres, prepare
    from devstack.emulator import EmbeddedEmulator, create_buckets, create_queues, set_local_credentials
    from devstack.test_merchant import seed_test_merchant
    from stack.loopback import free_port
    from tests.support import TEST_MERCHANT_ID, TOPOLOGY, Gateway, lambda_context

    print(machine_line("the consumer's handler in this process; Postgres and the S3/SQS emulator in their own"))
    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        postgres = EmbeddedPostgres(Path(folder) / "pg", cleanup="delete")
        database_url = postgres.start()
        set_local_credentials()
        emulator = EmbeddedEmulator(free_port())
        emulator.start()
        try:
            os.environ["AWS_ENDPOINT_URL"] = emulator.url
            prepare(database_url)
            seed_test_merchant(database_url)
            prefix = f"bench-{uuid.uuid4().hex[:6]}"
            queues, buckets = create_queues(TOPOLOGY, prefix), create_buckets(TOPOLOGY, prefix)
            os.environ.update(
                {
                    "DATABASE_URL": database_url,
                    "STAGE": "local",
                    "TEST_MODE": "true",
                    "POWERTOOLS_LOG_LEVEL": "WARNING",
                    "REPORTS_BUCKET": buckets["ReportsBucket"],
                    **{f"{name.upper()}_QUEUE_URL": queues.urls[lid] for name, lid in _queues().items()},
                }
            )
            return run(Gateway(database_url, queues), TEST_MERCHANT_ID, lambda_context, database_url)
        finally:
            emulator.stop()
            postgres.stop()


def _queues() -> dict[str, str]:
    from gateway.catalog import QUEUES

    return QUEUES


def run(gateway: Any, merchant_id: str, lambda_context: Callable[[], Any], database_url: str) -> int:
    import generate_report_handler
    import httpx

    def report(rows: int, traced: bool) -> tuple[dict[str, Any], float, float]:
        """Seeds `rows` payments and reports them: the ready report, the consumer's seconds, and its
        tracemalloc peak (MiB; 0 when not traced: tracemalloc's own bookkeeping would inflate RSS)."""
        seed(database_url, rows, merchant_id)
        created = gateway.api("POST", "/api/v1/reports", {"type": "payments", **WINDOW})
        assert created.status == 202, created.body
        event = gateway.sqs_event("ReportsQueue", gateway.receive("ReportsQueue"))

        def consume() -> Any:
            return generate_report_handler.lambda_handler(event, lambda_context())

        if traced:
            reply, seconds, peak, _ = measured(consume)
        else:
            started = time.perf_counter()
            reply, seconds, peak = consume(), 0.0, 0.0
            seconds = time.perf_counter() - started
        assert reply == {"batchItemFailures": []}, reply
        ready = gateway.api("GET", f"/api/v1/reports/{created.json['id']}").json
        assert ready["status"] == "ready", ready
        return ready, seconds, peak

    # The floor: the same process warmed up (imports, clients, connections) by one-row reports.
    report(1, traced=False)
    report(1, traced=False)
    floor_rss = peak_rss_mib()
    _, _, floor_traced = report(1, traced=True)

    # Peak RSS first (it only grows), without tracemalloc; then the Python allocations, traced.
    small_rows = max(ROWS // 10, 1)
    _, small_seconds, _ = report(small_rows, traced=False)
    small_rss = peak_rss_mib()
    big, seconds, _ = report(ROWS, traced=False)
    big_rss = peak_rss_mib()
    _, _, small_traced = report(small_rows, traced=True)
    big, _, traced = report(ROWS, traced=True)

    # Download through the presigned link from this host and count every row.
    with httpx.stream("GET", big["download_url"]) as response:
        assert response.status_code == 200
        counted = sum(1 for _ in csv.reader(response.iter_lines())) - 1  # the header aside
    assert counted == ROWS == big["row_count"], (counted, big["row_count"])

    # The naive way on the same rows: every row fetched, the whole CSV built in memory.
    def naive() -> int:
        import psycopg

        from gateway.adapters import report_store
        from gateway.domain.reports import write_csv

        with psycopg.connect(database_url) as conn:
            rows = conn.execute(
                report_store._SOURCES["payments"][1],
                (merchant_id, "2000-01-01T00:00:00Z", "2000-12-31T00:00:00Z"),
            ).fetchall()
        whole = io.BytesIO()
        write_csv(report_store.header("payments"), [rows], whole.write)
        return len(whole.getvalue())

    naive_bytes, naive_seconds, naive_traced, naive_rss = measured(naive)

    print(
        f"\nreport of {ROWS:,} payments (CSV {big['size_bytes'] / MIB:.1f} MiB;"
        f" downloaded through its link and counted: {counted:,} rows)"
    )
    print(f"  {'':44} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'tracemalloc peak':>17} {'peak RSS':>10}")
    floor = "floor (warmed-up consumer, one-row reports)"
    print(f"  {floor:44} {1:>9,} {'':>8} {'':>9} {floor_traced:>13.1f} MiB {floor_rss:>6.0f} MiB")
    for label, rows, took, peak, rss in (
        ("streamed (cursor + 8 MiB parts), a tenth", small_rows, small_seconds, small_traced, small_rss),
        ("streamed (cursor + 8 MiB parts)", ROWS, seconds, traced, big_rss),
        ("naive: fetchall + whole CSV (after the rest)", ROWS, naive_seconds, naive_traced, naive_rss),
    ):
        print(f"  {label:44} {rows:>9,} {took:>8.2f} {rows / took:>9,.0f} {peak:>13.1f} MiB {rss:>6.0f} MiB")
    print(
        f"  the {ROWS:,}-row report: peak RSS {big_rss - floor_rss:+.0f} MiB over the floor, tracemalloc peak"
        f" {traced:.1f} MiB (bound: one 8 MiB part, its copy in flight, one 2,000-row chunk; a tenth of the rows,"
        f" under one part, {small_traced:.1f} MiB); naive file {naive_bytes / MIB:.1f} MiB, held whole"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
