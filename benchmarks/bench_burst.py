"""A burst of payments in production mode: how soon each is final, and what Lambda would bill for it.

120 order + payment pairs (BENCH_BURST to change) are created over HTTP by 8 clients against a local
stack with `TEST_MODE=false` (the bank takes 5-10 s, approves 90 % of UPI payments) and a webhook
receiver. It prints:
  1. how long after the last create the last payment became final (the longest bank wait is 10 s);
  2. after a full refund of every tenth successful payment (the cost model's workload), billed
     milliseconds per function, per invocation and per item (an API request or a queue
     record), from the durations the local runtime recorded (devstack/invocations.py), and the
     function time billed per payment, beside a floor measured in the same run: one bare psycopg
     transaction and one bare SQS send per payment record, in this process;
  3. the same figures for 30 pairs created one at a time (a trickle: the cores are not shared with
     eight clients), and writes benchmarks/billed.json from the burst, which `python -m deploy.cost`
     reads.

Run: make bench-burst
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import httpx
import psycopg

from benchmarks.harness import api_url, local_runtime, machine_line, median_ms
from devstack.invocations import FunctionBill, summarize
from devstack.runtime import LocalRuntime
from tests.support import AUTH, WebhookReceiver

PAIRS = int(os.environ.get("BENCH_BURST", "120"))
TRICKLE = 30
CLIENTS = 8
FINAL_WITHIN_SECONDS = 120  # the bench gives up waiting after this
BILLED_FILE = Path(__file__).parent / "billed.json"


def create_pairs(base_url: str, pairs: int, clients: int) -> list[tuple[str, float]]:
    """(payment id, when it was created) for each pair, created by `clients` threads."""

    def client(count: int) -> list[tuple[str, float]]:
        made = []
        with httpx.Client(base_url=base_url, headers=AUTH, timeout=30) as http:
            for _ in range(count):
                order = http.post("/api/v1/orders", json={"amount": 50_000}).json()
                body = {"order_id": order["id"], "method": "upi", "vpa": "shopper@okhdfc"}
                response = http.post("/api/v1/payments", json=body)
                response.raise_for_status()
                made.append((str(response.json()["id"]), time.monotonic()))
        return made

    shares = [pairs // clients + (1 if n < pairs % clients else 0) for n in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return [made for chunk in pool.map(client, shares) for made in chunk]


def wait_until_final(database_url: str, payment_ids: list[str]) -> float:
    """Seconds (monotonic) when the last of them became final; fails after FINAL_WITHIN_SECONDS."""
    deadline = time.monotonic() + FINAL_WITHIN_SECONDS
    with psycopg.connect(database_url, autocommit=True) as db:
        while time.monotonic() < deadline:
            open_count = db.execute(
                "SELECT count(*) FROM payments WHERE id = ANY(%s) AND status NOT IN ('success', 'failed')",
                (payment_ids,),
            ).fetchone()
            if open_count is not None and open_count[0] == 0:
                return time.monotonic()
            time.sleep(0.05)
    sys.exit(f"payments still not final {FINAL_WITHIN_SECONDS} s after the burst")


def refund_one_in_ten(base_url: str, database_url: str, payment_ids: list[str]) -> int:
    """A full refund of every tenth successful payment (the cost model's workload), processed after
    the bank's 3-5 s; returns how many."""
    with psycopg.connect(database_url, autocommit=True) as db:
        paid = [
            row[0]
            for row in db.execute(
                "SELECT id FROM payments WHERE id = ANY(%s) AND status = 'success' ORDER BY id", (payment_ids,)
            )
        ][::10]
        with httpx.Client(base_url=base_url, headers=AUTH, timeout=30) as http:
            for payment_id in paid:
                http.post(f"/api/v1/payments/{payment_id}/refunds", json={"amount": 50_000}).raise_for_status()
        deadline = time.monotonic() + FINAL_WITHIN_SECONDS
        while time.monotonic() < deadline:
            pending = db.execute("SELECT count(*) FROM refunds WHERE status = 'pending'").fetchone()
            if pending is not None and pending[0] == 0:
                return len(paid)
            time.sleep(0.1)
    sys.exit("refunds still pending")


def floor_per_record_ms(runtime: LocalRuntime) -> float:
    """A bare psycopg transaction (one UPDATE) and a bare SQS send: the least a queue record costs."""
    queue_url = runtime.function_environment["ProcessPaymentFunction"]["PAYMENTS_QUEUE_URL"]
    sqs = boto3.client("sqs", endpoint_url=runtime.endpoint_url)
    with psycopg.connect(runtime.database_url, autocommit=True) as db:

        def once() -> None:
            with db.transaction():
                db.execute("UPDATE merchants SET updated_at = updated_at WHERE false")
            sqs.send_message(QueueUrl=queue_url, MessageBody="{}", DelaySeconds=900)

        once()
        return median_ms(once, repeat=50)


def write_billed(bills: dict[str, FunctionBill], payments: int, note: str) -> None:
    data = {
        "measured_at": datetime.date.today().isoformat(),
        "machine_speed_note": note,
        "workload": f"bench_burst: {payments} order + payment pairs in production mode, webhooks delivered,"
        " a refund of every tenth successful payment",
        "functions": {
            name: {
                "billed_ms_per_item": round(bill.billed_ms_per_item, 2),
                "items": bill.items,
                "invocations_per_item": round(bill.invocations / bill.items, 3) if bill.items else 0,
            }
            for name, bill in bills.items()
            if bill.items
        },
    }
    BILLED_FILE.write_text(json.dumps(data, indent=2) + "\n")


def main() -> None:
    machine = machine_line("production mode (TEST_MODE=false): the bank takes 5-10 s")
    print(machine)
    receiver = WebhookReceiver().start()
    try:
        with local_runtime(api_concurrency=4, environment={"TEST_MODE": "false"}) as runtime:
            base_url = api_url(runtime)
            hook = httpx.put(f"{base_url}/api/v1/merchant/webhook", headers=AUTH, json={"webhook_url": receiver.url})
            hook.raise_for_status()
            start_offset = runtime.invocations.offset()
            started = time.monotonic()
            made = create_pairs(base_url, PAIRS, CLIENTS)
            last_create = max(at for _, at in made)
            print(f"{PAIRS} order + payment pairs created by {CLIENTS} clients in {last_create - started:.1f} s")
            finished = wait_until_final(runtime.database_url, [payment_id for payment_id, _ in made])
            refunded = refund_one_in_ten(base_url, runtime.database_url, [payment_id for payment_id, _ in made])
            time.sleep(3)  # the last outcomes' webhooks
            bills = summarize(runtime.invocations_file, start_offset)
            # The same work as a trickle (one client, a pair every 0.2 s): what a record bills when
            # the two cores are not shared with eight clients, the API's workers and the emulator.
            trickle_offset = runtime.invocations.offset()
            trickled = []
            for _ in range(TRICKLE):
                trickled += create_pairs(base_url, 1, 1)
                time.sleep(0.2)
            wait_until_final(runtime.database_url, [payment_id for payment_id, _ in trickled])
            time.sleep(3)
            trickle = summarize(runtime.invocations_file, trickle_offset)
            floor = floor_per_record_ms(runtime)
    finally:
        receiver.stop()

    print(f"last payment final {finished - last_create:.1f} s after the last create (longest bank wait: 10 s)")
    print(f"then {refunded} refunds (every tenth successful payment), processed after the bank's 3-5 s")
    print(f"\n{'function':<16}{'invocations':>12}{'items':>8}{'billed ms':>11}{'ms/invocation':>15}{'ms/item':>9}")
    for name, bill in bills.items():
        print(
            f"{name:<16}{bill.invocations:>12}{bill.items:>8}{bill.billed_ms:>11}"
            f"{bill.billed_ms_per_invocation:>15.1f}{bill.billed_ms_per_item:>9.1f}"
        )
    consumer = bills.get("ProcessPaymentFunction")
    total = sum(bill.billed_ms for bill in bills.values())
    if consumer is not None:
        per_payment = consumer.billed_ms / PAIRS
        records = consumer.items / PAIRS
        print(
            f"\nprocess_payment: {per_payment:.1f} billed ms per payment ({records:.1f} records per payment);"
            f" floor {floor:.1f} ms per record (bare psycopg transaction + SQS send),"
            f" {per_payment / (records * floor):.2f}x the floor"
        )
    print(f"all functions: {total / PAIRS:.1f} billed ms per payment (order + payment requests, consumer, webhooks)")
    print(f"\nas a trickle ({TRICKLE} pairs, one client, 0.2 s apart), billed ms per payment:")
    for name, bill in trickle.items():
        print(f"  {name:<24}{bill.billed_ms / TRICKLE:>8.1f}  ({bill.billed_ms_per_item:.1f} per item)")
    inits = [bill.init_ms / bill.inits for bill in bills.values() if bill.inits]
    if inits:
        started_workers = sum(bill.inits for bill in bills.values())
        print(f"worker starts during the burst: {started_workers}, median init {statistics.median(inits):.0f} ms")
    write_billed(bills, PAIRS, machine)
    print(f"wrote {BILLED_FILE}")


if __name__ == "__main__":
    main()
