"""`make bench`: the gateway's figures on this machine, each beside its limit, in one table.

Starts the local stack as a developer does (`python -m devstack`, its own embedded Postgres and
emulator in a temp folder, TEST_MODE, processing delay 0) in a separate process, so the load
generator (stdlib http.client, keep-alive, one connection per client) never shares its interpreter.

  1. closed-loop pairs (create order + create UPI payment) at 1, 8 and 32 clients; stack CPU per pair
     (every stack process, Postgres included, from psutil) beside the Express + Bull figures;
  2. create → signed payment.success received (webhook receiver on loopback), 100 samples;
  3. 1,000 payments at 32 clients until all 3,000 webhooks (created, pending, success) arrived;
     1,000 deliveries put on the webhooks queue at once, beside bare httpx posting the same bodies;
  4. the create-payment handler in this process vs a bare psycopg loop doing the same statements
     and one queue send, against the same Postgres and endpoint;
  5. a first list page at 10 k and at BENCH_ROWS (default 1,000,000) payments;
  6. processes, memory (RSS added up, and PSS: shared pages divided among their sharers, as the
     forked workers and Postgres backends share theirs) and database connections: fresh, right
     after the load, and a minute later.

Cold starts (each function's import and first event on the `sam build` output, beside the floor)
are benchmarks/bench_cold_starts.py's.

Environment: BENCH_SECONDS (per load level, default 8), BENCH_ROWS (default 1,000,000).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import psutil
import psycopg

from benchmarks import bench_webhooks
from benchmarks.harness import machine_line, median_ms, percentile
from gateway.adapters import postgres
from tests.e2e_support import LocalStack, running_stack
from tests.support import AUTH, ROOT, TEST_MERCHANT_ID, TOPOLOGY, ReceivedWebhook, WebhookReceiver

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
WARM_UP_SECONDS = 3.0
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
HEADERS = {**AUTH, "content-type": "application/json"}
# The local emulator's region and (any) credentials.
LOCAL_AWS = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
# Issue 13's measurement of a plain Express + Bull + Redis + Postgres gateway on this machine.
PEER = {
    "pairs_1": "207-218 /s, p50 4.0-4.2 ms",
    "pairs_8": "442-480 /s, p50 16-17 ms",
    "pairs_32": "353-452 /s, p50 66-84 ms",
    "cpu": "~3 ms",
    "webhook": "p50 12 ms, p99 25-30 ms",
    "burst": "4.3 s",
    "start": "0.35-0.5 s",
}
# This gateway before issue 13's changes (same machine, same load generator).
BEFORE = {
    "pairs_1": "44 /s, p50 21.8 ms",
    "pairs_8": "47 /s, p50 132 ms",
    "pairs_32": "68 /s, p50 466 ms",
    "cpu": "26-41 ms",
    "webhook": "p50 45-50 ms, p99 75-239 ms",
    "burst": "35-39 s",
    "start": "2.9-5.1 s",
    "deliveries": "0.27-0.32x bare",
}


@dataclass
class Stack:
    """The stack as the e2e tests start it (`python -m devstack`), with what the bench reads of it."""

    local: LocalStack

    @property
    def port(self) -> int:
        return int(urlsplit(self.local.url).port or 80)

    @property
    def started_in(self) -> float:
        return self.local.startup_seconds

    @property
    def database_url(self) -> str:
        return self.local.database_url

    @property
    def data_dir(self) -> Path:
        return self.local.log_path.parent / "data"

    @property
    def endpoint_url(self) -> str:
        line = next(line for line in self.local.log().splitlines() if "SQS/Scheduler endpoint " in line)
        return line.split("SQS/Scheduler endpoint ", 1)[1].split(";", 1)[0]

    def processes(self) -> list[psutil.Process]:
        """The runtime, its workers and emulator, and the Postgres server with its backends."""
        runtime = psutil.Process(self.local.process.pid)
        found = [runtime, *runtime.children(recursive=True)]
        for candidate in psutil.process_iter(["cmdline"]):
            if str(self.data_dir) in " ".join(candidate.info["cmdline"] or []) and candidate not in found:
                found += [candidate, *candidate.children(recursive=True)]
        return found


@contextmanager
def local_stack() -> Iterator[Stack]:
    """As `make dev` runs it (4 API workers), with no processing wait."""
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    with running_stack(folder, {"TEST_PROCESSING_DELAY": "0"}, extra_args=("--api-concurrency", "4")) as local:
        # The load runs past the default 100 writes a second; the peer has no limits to lift.
        with psycopg.connect(local.database_url, autocommit=True) as conn:
            conn.execute("UPDATE merchants SET rate_limit_reads = 1000000, rate_limit_writes = 1000000")
        yield Stack(local)


def _post(conn: http.client.HTTPConnection, path: str, body: dict[str, Any]) -> dict[str, Any]:
    conn.request("POST", path, body=json.dumps(body), headers=HEADERS)
    response = conn.getresponse()
    data = response.read()
    if response.status != 201:
        raise SystemExit(f"bench: POST {path} answered {response.status}: {data[:300]!r}")
    return dict(json.loads(data))


def _pair(conn: http.client.HTTPConnection) -> tuple[float, float, float, str]:
    t0 = time.perf_counter()
    order = _post(conn, "/api/v1/orders", {"amount": 5000})
    t1 = time.perf_counter()
    payment = _post(conn, "/api/v1/payments", {"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"})
    t2 = time.perf_counter()
    return (t2 - t0) * 1000, (t1 - t0) * 1000, (t2 - t1) * 1000, str(payment["id"])


def _cpu_by_process(stack: Stack) -> dict[int, float]:
    """CPU seconds so far of each stack process (with its waited-for children: stopped workers)."""
    seconds = {}
    for process in stack.processes():
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system + times.children_user + times.children_system
    return seconds


@dataclass
class LoadResult:
    clients: int
    pairs: int
    seconds: float
    latencies: list[tuple[float, float, float, str]]
    stack_cpu: float

    @property
    def rate(self) -> float:
        return self.pairs / self.seconds

    def p50(self, index: int) -> float:
        return statistics.median(float(sample[index]) for sample in self.latencies)

    @property
    def cpu_per_pair_ms(self) -> float:
        return self.stack_cpu / self.pairs * 1000


def closed_loop(stack: Stack, clients: int, seconds: float, count: int | None = None) -> LoadResult:
    """`clients` threads, each creating pairs back to back for `seconds` (or `count` pairs in all)."""
    stop_at = time.monotonic() + seconds
    results: list[tuple[float, float, float, str]] = []
    lock = threading.Lock()
    remaining = [count if count is not None else -1]

    def more() -> bool:
        if count is None:
            return time.monotonic() < stop_at
        with lock:
            remaining[0] -= 1
            return remaining[0] >= 0

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
        mine = []
        while more():
            mine.append(_pair(conn))
        conn.close()
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    before = _cpu_by_process(stack)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    after = _cpu_by_process(stack)
    # Processes started during the load count from zero.
    cpu = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    return LoadResult(clients, len(results), elapsed, results, cpu)


def set_webhook(stack: Stack, url: str | None) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    conn.request("PUT", "/api/v1/merchant/webhook", body=json.dumps({"webhook_url": url}), headers=HEADERS)
    response = conn.getresponse()
    response.read()
    assert response.status == 200, response.status


def webhook_latency(stack: Stack, receiver: WebhookReceiver, samples: int) -> list[float]:
    """create payment → its signed payment.success received, one at a time."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    latencies = []
    for _ in range(samples):
        order = _post(conn, "/api/v1/orders", {"amount": 5000})
        started = time.perf_counter()
        payment = _post(conn, "/api/v1/payments", {"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"})
        paid = str(payment["id"])

        def its_success(hook: ReceivedWebhook, paid: str = paid) -> bool:
            return bool(hook.json["event"] == "payment.success" and hook.json["data"]["payment"]["id"] == paid)

        hook = receiver.wait_for_match(its_success, timeout=30)
        if hook is None or "webhook-signature" not in hook.headers:
            raise SystemExit(f"bench: no signed payment.success for {payment['id']}")
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def burst(stack: Stack, receiver: WebhookReceiver, payments: int, clients: int) -> tuple[float, float]:
    """Seconds from the first create until every payment's three webhooks arrived; creates alone."""
    already = len(receiver.received)
    started = time.perf_counter()
    load = closed_loop(stack, clients, 0, count=payments)
    creates_done = time.perf_counter() - started
    deadline = time.monotonic() + 300
    while len(got := receiver.wait_for(already + 3 * payments, timeout=5)) < already + 3 * payments:
        print(f"    {time.perf_counter() - started:.0f} s: {len(got) - already} webhooks", flush=True)
        if time.monotonic() > deadline:
            break
    if len(got) < already + 3 * payments or load.pairs != payments:
        raise SystemExit(f"bench: {len(got) - already} of {3 * payments} webhooks arrived")
    return time.perf_counter() - started, creates_done


def webhook_deliveries(stack: Stack, receiver: WebhookReceiver) -> tuple[float, float]:
    """Deliveries per second, 1,000 put on the webhooks queue at once (the workers are warm after the
    burst), and bare httpx posting the same bodies to the same receiver from one thread."""
    import boto3

    os.environ.update(LOCAL_AWS)
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    queue_url = next(url for url in sqs.list_queues()["QueueUrls"] if url.endswith("-WebhooksQueue"))
    delivered = bench_webhooks.through_gateway(stack.database_url, sqs, queue_url, receiver)
    return delivered, bench_webhooks.bare(receiver.url, 1)


def handler_vs_bare(stack: Stack, count: int = 300) -> tuple[float, float, float]:
    """Create-payment per second: the real handler in this process, the same handler with its
    authentication statement not counting the request (rate limiting off), and bare psycopg + one send."""
    import boto3

    env = {
        **LOCAL_AWS,
        "DATABASE_URL": stack.database_url,
        "AWS_ENDPOINT_URL": stack.endpoint_url,
        "STAGE": "local",
        "TEST_MODE": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # Metric lines to a file, as under the local runtime, not into this report.
        "LOCAL_METRICS_FILE": os.devnull,
    }
    os.environ.update(env)
    sqs = boto3.client("sqs", endpoint_url=stack.endpoint_url)
    urls = {url.rsplit("-", 1)[-1]: url for url in sqs.list_queues()["QueueUrls"]}
    queue_url = urls["PaymentsQueue"]
    for function_env_key, value in TOPOLOGY.functions["ApiFunction"].environment.items():
        if isinstance(value, str):
            os.environ.setdefault(function_env_key, value)
    os.environ["PAYMENTS_QUEUE_URL"] = queue_url
    os.environ["WEBHOOKS_QUEUE_URL"] = urls["WebhooksQueue"]
    os.environ["WEBHOOKS_SLOW_QUEUE_URL"] = urls["WebhooksSlowQueue"]
    os.environ["REFUNDS_QUEUE_URL"] = urls["RefundsQueue"]
    sys.path[:0] = [str(ROOT / "functions/api"), str(ROOT / "layers/common")]
    import api_handler

    from devstack.http_api import build_event
    from tests.support import lambda_context

    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO orders (id, merchant_id, amount, currency)"
            " SELECT 'order_hb' || lpad(n::text, 8, '0'), %s, 5000, 'INR' FROM generate_series(1, %s) n",
            (TEST_MERCHANT_ID, 3 * count + 20),
        )
    found = TOPOLOGY.route_for("POST", "/api/v1/payments")
    assert found is not None
    route, params = found

    def handler_call(n: int) -> None:
        body = json.dumps({"order_id": f"order_hb{n:08d}", "method": "upi", "vpa": "a@okhdfc"}).encode()
        event = build_event(route, params, "POST", "/api/v1/payments", HEADERS, body, "127.0.0.1")
        reply = api_handler.lambda_handler(event, cast(Any, lambda_context()))
        assert reply["statusCode"] == 201, reply

    from gateway.adapters import merchant_store

    counted = merchant_store.merchant_by_api_key_counted

    def not_counted(tx: Any, api_key: str, *_: Any) -> Any:
        row = merchant_store.merchant_by_api_key(tx, api_key)
        if row is None:
            return None
        return merchant_store.CountedMerchantRow(
            **asdict(row), rate_limit=100.0, period=1.0, rate_tokens=99.0, rate_allowed=True
        )

    for n in range(1, 11):
        handler_call(n)  # warm: connection, clients, caches
    # With and without the counting statement, interleaved in rounds so drift affects both alike.
    seconds = {"limited": 0.0, "unlimited": 0.0}
    rounds, next_order = 5, 11
    for _ in range(rounds):
        for variant in ("limited", "unlimited"):
            merchant_store.merchant_by_api_key_counted = counted if variant == "limited" else not_counted  # type: ignore[assignment]
            started = time.perf_counter()
            for n in range(next_order, next_order + count // rounds):
                handler_call(n)
            seconds[variant] += time.perf_counter() - started
            next_order += count // rounds
    merchant_store.merchant_by_api_key_counted = counted
    limited_rate, unlimited_rate = count / seconds["limited"], count / seconds["unlimited"]

    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        started = time.perf_counter()
        for n in range(11 + 2 * count, 11 + 3 * count):
            order_id = f"order_hb{n:08d}"
            conn.execute("SELECT api_secret_hash FROM merchants WHERE api_key = %s", (AUTH["x-api-key"],))
            with conn.transaction():
                conn.execute("SELECT amount FROM orders WHERE id = %s FOR UPDATE", (order_id,))
                conn.execute("SELECT id FROM payments WHERE order_id = %s AND status <> 'failed'", (order_id,))
                conn.execute(
                    "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, vpa)"
                    " VALUES (%s, %s, %s, 5000, 'INR', 'upi', 'a@okhdfc')",
                    (f"pay_hb{n:014d}", order_id, TEST_MERCHANT_ID),
                )
                conn.execute("UPDATE orders SET status = 'attempted' WHERE id = %s", (order_id,))
                outbox_id = conn.execute(
                    "INSERT INTO outbox (queue, body) VALUES ('payments', %s) RETURNING id", (order_id,)
                ).fetchone()
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"payment_id": f"pay_hb{n:014d}"}))
            conn.execute("UPDATE outbox SET sent_at = now() WHERE id = %s", (outbox_id[0] if outbox_id else 0,))
        bare_rate = count / (time.perf_counter() - started)
    return limited_rate, unlimited_rate, bare_rate


def list_pages(stack: Stack, rows: int) -> list[tuple[int, float, float]]:
    """Median of 5 first pages (limit 20, with total) at 10 k and `rows` payments: API ms, bare SQL ms."""
    results = []
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
    seeded = 0
    with psycopg.connect(stack.database_url, autocommit=True) as db:
        existing = int(db.execute("SELECT count(*) FROM payments").fetchone()[0])  # type: ignore[index]
        for target in (10_000, rows):
            add = max(0, target - existing - seeded)
            _seed(db, seeded, add)
            seeded += add
            db.execute("VACUUM ANALYZE payments")

            def api() -> None:
                conn.request("GET", "/api/v1/payments?limit=20", headers=HEADERS)
                response = conn.getresponse()
                response.read()
                assert response.status == 200

            def bare() -> None:
                db.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM payments WHERE merchant_id = %s LIMIT 10001) m",
                    (TEST_MERCHANT_ID,),
                ).fetchall()
                db.execute(
                    "SELECT * FROM payments WHERE merchant_id = %s ORDER BY created_at DESC, id DESC LIMIT 21",
                    (TEST_MERCHANT_ID,),
                ).fetchall()

            api()  # warm: plans and caches
            bare()
            results.append((target, median_ms(api), median_ms(bare)))
    return results


def _seed(db: psycopg.Connection[Any], start: int, count: int) -> None:
    if count <= 0:
        return
    db.execute(
        "INSERT INTO orders (id, merchant_id, amount, currency, status, created_at)"
        " SELECT 'order_seed' || lpad(n::text, 10, '0'), %s, 1000, 'INR', 'paid', now() - make_interval(secs => n)"
        " FROM generate_series(%s::int, %s::int) n",
        (TEST_MERCHANT_ID, start + 1, start + count),
    )
    db.execute(
        "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, status, vpa, created_at,"
        " updated_at) SELECT 'pay_seed' || lpad(n::text, 12, '0'), 'order_seed' || lpad(n::text, 10, '0'), %s,"
        " 1000, 'INR', 'upi', 'success', 'a@okhdfc', now() - make_interval(secs => n), now() - make_interval(secs => n)"
        " FROM generate_series(%s::int, %s::int) n",
        (TEST_MERCHANT_ID, start + 1, start + count),
    )


@dataclass
class Footprint:
    processes: int
    rss_mb: float  # every process's resident set added up: shared pages counted once per process
    pss_mb: float  # each shared page divided among its sharers: what the stack really holds
    connections: int


def footprint(stack: Stack) -> Footprint:
    processes = stack.processes()
    rss = pss = 0
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            memory = process.memory_full_info()
            rss += memory.rss
            pss += memory.pss
    with psycopg.connect(stack.database_url, autocommit=True) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
    return Footprint(len(processes), rss / 2**20, pss / 2**20, int(row[0]) if row else 0)


def main() -> None:
    rows: list[tuple[str, str, str, str, str]] = []  # figure, ours, limit / peer, before, ratio

    def add(name: str, ours: str, limit: str = "", before: str = "", ratio: str = "") -> None:
        rows.append((name, ours, limit, before, ratio))
        print(f"  {name}: {ours}", flush=True)

    print(machine_line(f"{SECONDS:g} s per load level"))
    with local_stack() as stack:
        add("start to healthy", f"{stack.started_in:.2f} s", f"peer {PEER['start']}", BEFORE["start"])
        fresh = footprint(stack)
        loads = []
        for clients in (1, 8, 32):
            # Unmeasured first: the workers this concurrency needs start (cold starts are reported below).
            closed_loop(stack, clients, WARM_UP_SECONDS)
            loads.append(closed_loop(stack, clients, SECONDS))
        after_load = footprint(stack)
        for load in loads:
            key = f"pairs_{load.clients}"
            add(
                f"order+payment pairs, {load.clients} client(s)",
                f"{load.rate:.0f} /s, p50 {load.p50(0):.1f} ms (order {load.p50(1):.1f}, payment {load.p50(2):.1f})",
                f"peer {PEER[key]}",
                BEFORE[key],
                f"{load.rate / float(PEER[key].split('-')[0]):.2f}x peer",
            )
        for load in loads:
            add(
                f"stack CPU per pair, {load.clients} client(s)",
                f"{load.cpu_per_pair_ms:.1f} ms",
                f"peer {PEER['cpu']}",
                BEFORE["cpu"],
            )
        receiver = WebhookReceiver().start()
        try:
            set_webhook(stack, receiver.url)
            latencies = webhook_latency(stack, receiver, 100)
            add(
                "create -> signed payment.success (100)",
                f"p50 {statistics.median(latencies):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms",
                f"peer {PEER['webhook']}",
                BEFORE["webhook"],
            )
            total, creates = burst(stack, receiver, 1000, 32)
            add(
                "1,000 payments at 32 clients, all 3,000 webhooks in",
                f"{total:.1f} s (creates alone {creates:.1f} s)",
                f"peer {PEER['burst']}",
                BEFORE["burst"],
            )
            delivered, bare_posts = webhook_deliveries(stack, receiver)
            add(
                "webhook deliveries, 1,000 queued",
                f"{delivered:.0f} /s",
                f"bare httpx, 1 thread {bare_posts:.0f} /s",
                BEFORE["deliveries"],
                f"{delivered / bare_posts:.2f}x bare",
            )
        finally:
            receiver.stop()
        set_webhook(stack, None)
        handler_rate, unlimited_rate, bare_rate = handler_vs_bare(stack)
        add(
            "create-payment handler in-process",
            f"{handler_rate:.0f} /s",
            f"bare psycopg + 1 send {bare_rate:.0f} /s",
            "2.8-7.2 % of bare",
            f"{handler_rate / bare_rate:.2f}x bare",
        )
        add(
            "  the same, rate limiting off",
            f"{unlimited_rate:.0f} /s ({1000 / handler_rate - 1000 / unlimited_rate:+.2f} ms per request with it)",
            "",
            "",
            f"{handler_rate / unlimited_rate:.2f}x",
        )
        pages = list_pages(stack, ROWS)
        for count, api_ms, bare_ms in pages:
            add(f"first list page at {count:,} payments", f"{api_ms:.1f} ms", f"bare SQL {bare_ms:.1f} ms")
        add("first page, largest / 10 k", f"{pages[-1][1] / pages[0][1]:.2f}x", "target <= 2x", "25x (exact count)")
        postgres.close_connection()  # this process's own (the in-process handler's)
        time.sleep(60)  # idle workers are stopped after 30 s
        idle = footprint(stack)
        for when, state in (("fresh", fresh), ("after load", after_load), ("idle a minute", idle)):
            add(
                f"processes / RSS (PSS) / DB connections, {when}",
                f"{state.processes} / {state.rss_mb:.0f} MB ({state.pss_mb:.0f} MB) / {state.connections}",
                "peer idle 11 / 440 MB RSS" if when == "idle a minute" else "",
                "idle 82 / 3.6 GB / 53" if when == "idle a minute" else "",
            )

    widths = [
        max(len(row[i]) for row in [*rows, ("figure", "ours", "limit / peer", "before", "ratio")]) for i in range(5)
    ]
    print()
    for row in [("figure", "ours", "limit / peer", "before", "ratio"), *rows]:
        print(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))


if __name__ == "__main__":
    main()
