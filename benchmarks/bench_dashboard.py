"""The dashboard's weight and its time to first render with 10,000 payments, plus the screenshots.

Starts its own local stack with the built dashboard, writes 10,000 settled payments straight into
Postgres, and prints:
  - the built JS, gzipped;
  - time from navigation to the first rendered page of transactions (a `performance.mark` the app
    sets when real rows are on screen), in a fresh browser context (cold cache) and on reload (warm);
  - the list request the page makes, through the API vs the same two queries in bare SQL.
`--screenshots DIR` also drives real flows (payments, a refund, a failing webhook endpoint) and saves
a screenshot of each page.

Run: make bench-dashboard   (or: PYTHONPATH=layers/common:. .venv/bin/python benchmarks/bench_dashboard.py)
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks.harness import api_url, local_runtime, percentile
from devstack.runtime import LocalRuntime
from tests.e2e_support import CHROMIUM_ARGS, chromium_path
from tests.support import (
    AUTH,
    ROOT,
    TEST_MERCHANT_ID,
    WebhookReceiver,
    book_captures,
    insert_settled_payments,
    wait_until,
)

PAYMENTS = 10_000
RUNS = 7


def js_gzipped() -> list[tuple[str, int, int]]:
    assets = sorted((ROOT / "dashboard" / "dist" / "assets").glob("*.js"))
    if not assets:
        raise SystemExit("dashboard/dist is missing: run scripts/build-dashboard.sh")
    return [(a.name, a.stat().st_size, len(gzip.compress(a.read_bytes(), 9))) for a in assets]


def session_for(api: str) -> dict[str, Any]:
    response = httpx.post(f"{api}/api/v1/auth/login", json={"email": "test@example.com", "password": "password123"})
    response.raise_for_status()
    return dict(response.json())


def signed_in_context(browser: Any, session: dict[str, Any]) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    # Signed in before the first byte: the measurement starts at navigation, not at a login form.
    context.add_init_script(f"sessionStorage.setItem('gateway.session', {json.dumps(json.dumps(session))})")
    return context


# Milestones from the page's own clocks (ms since navigation start): the app's first-render mark,
# DOMContentLoaded (HTML and the JS bundle loaded and run) and the list request (preflight included).
MILESTONES = """() => {
  const mark = performance.getEntriesByName('transactions-first-render')[0];
  if (!mark) return null;
  const nav = performance.getEntriesByType('navigation')[0];
  const list = performance.getEntriesByType('resource').find(e => e.name.includes('/api/v1/payments'));
  return {render: mark.startTime, loaded: nav.domContentLoadedEventEnd,
          list_start: list ? list.startTime : NaN, list_end: list ? list.responseEnd : NaN};
}"""


def first_render(page: Any, url: str, reload: bool = False) -> dict[str, float]:
    if reload:
        page.reload()
    else:
        page.goto(url)
    # Polled with evaluate (the page's CSP forbids the eval behind wait_for_function); the marks
    # carry their own times, so the polling interval does not matter.
    found = wait_until(lambda: page.evaluate(MILESTONES), timeout=30, interval=0.05)
    return {key: float(value) for key, value in found.items()}


def bare_list_ms(database_url: str) -> float:
    """The two statements behind GET /payments?limit=25: the filtered count and the first page."""
    times = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for _ in range(RUNS * 3):
            started = time.perf_counter()
            conn.execute("SELECT count(*) FROM payments WHERE merchant_id = %s", (TEST_MERCHANT_ID,)).fetchone()
            conn.execute(
                "SELECT * FROM payments WHERE merchant_id = %s ORDER BY created_at DESC, id DESC LIMIT 26",
                (TEST_MERCHANT_ID,),
            ).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def api_list_ms(api: str, token: str) -> float:
    times = []
    with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(RUNS * 3):
            started = time.perf_counter()
            client.get("/api/v1/payments", params={"limit": 25}).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(runtime: LocalRuntime, dashboard: str, browser: Any) -> None:
    api = api_url(runtime)
    session = session_for(api)
    url = f"{dashboard}/dashboard/transactions"
    cold, warm = [], []
    for _ in range(RUNS):
        context = signed_in_context(browser, session)
        page = context.new_page()
        cold.append(first_render(page, url))
        warm.append(first_render(page, url, reload=True))
        context.close()
    bare, through_api = bare_list_ms(runtime.database_url), api_list_ms(api, session["token"])
    print(f"\ntransactions page, {PAYMENTS:,} payments in the database, median of {RUNS} (ms from navigation start):")
    for label, runs in (("new context (cold cache)", cold), ("reload (warm cache)", warm)):

        def median(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(run[key] for run in runs)

        print(
            f"  {label:25} first render {median('render'):4.0f} (max {max(r['render'] for r in runs):.0f})"
            f" | JS loaded and run {median('loaded'):4.0f} | list request {median('list_start'):4.0f}"
            f" -> {median('list_end'):4.0f}"
        )
    print(f"  the list request alone: API {through_api:.1f} ms (Bearer, HTTP, count + page), bare SQL {bare:.1f} ms")
    print(f"  p95 first render, cold: {percentile([r['render'] for r in cold], 0.95):.0f} ms")


def screenshots(runtime: LocalRuntime, dashboard: str, browser: Any, folder: Path) -> None:
    """Real flows first, so every page has something true to show."""
    api = httpx.Client(base_url=api_url(runtime), headers=AUTH, timeout=30)
    # The endpoint answers the first two deliveries with errors (then retried) and always fails tests.
    flaky = WebhookReceiver(
        responses=[503, 500], respond=lambda hook: 500 if hook.json["event"] == "webhook.test" else 200
    )
    flaky.start()
    api.put("/api/v1/merchant/webhook", json={"webhook_url": flaky.url}).raise_for_status()
    # Two more endpoints: payments to a healthy receiver, refunds to one that is down.
    healthy = WebhookReceiver().start()
    for url, events in ((healthy.url, ["payment.*"]), ("http://127.0.0.1:9/refunds", ["refund.*"])):
        api.post("/api/v1/webhook_endpoints", json={"url": url, "enabled_events": events}).raise_for_status()
    payments_endpoint = api.get("/api/v1/webhook_endpoints").json()["data"][0]["id"]
    payments = []
    for amount, body in (
        (249_900, {"method": "upi", "vpa": "asha@okaxis"}),
        (
            1_250_050,
            {
                "method": "card",
                "card": {"number": "5555 5555 5555 4444", "expiry_month": "08", "expiry_year": "2031", "cvv": "123"},
            },
        ),
        (89_900, {"method": "upi", "vpa": "ravi@oksbi"}),
    ):
        order = api.post("/api/v1/orders", json={"amount": amount, "receipt": f"rcpt-{amount}"}).json()
        payments.append(api.post("/api/v1/payments", json={"order_id": order["id"], **body}).json())
    assert wait_until(
        lambda: all(api.get(f"/api/v1/payments/{p['id']}").json()["status"] == "success" for p in payments), timeout=30
    )
    # A month of captured history for Home's charts (payments 7 hours apart, booked at their time),
    # today's captures, and a settlement of what is available for the Balance page.
    book_captures(runtime.database_url, insert_settled_payments(runtime.database_url, 100, minutes_apart=7 * 60))
    for payment in payments:
        api.post(f"/api/v1/payments/{payment['id']}/capture", json={"amount": payment["amount"]}).raise_for_status()
    api.post(f"/api/v1/payments/{payments[0]['id']}/refunds", json={"amount": 49_900, "reason": "One item returned"})
    api.post(f"/api/v1/payments/{payments[1]['id']}/refunds", json={"amount": 250_050}).raise_for_status()
    assert wait_until(lambda: api.get("/api/v1/refunds", params={"status": "processed"}).json()["total"] == 2)
    failing = api.post("/api/v1/merchant/webhook/test").json()["id"]
    assert wait_until(lambda: api.get(f"/api/v1/webhooks/{failing}").json()["status"] == "failed", timeout=60)
    session = session_for(api_url(runtime))
    context = signed_in_context(browser, session)
    page = context.new_page()
    folder.mkdir(parents=True, exist_ok=True)

    login = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
    login.goto(f"{dashboard}/login")
    login.fill('[data-test-id="email-input"]', "test@example.com")
    login.screenshot(path=str(folder / "dashboard-login.png"))

    page.goto(f"{dashboard}/dashboard")
    page.locator('[data-test-id="stats-container"]').wait_for()
    page.locator('[data-test-id="gross-bar"]').first.wait_for()
    page.locator('[data-test-id="roll-secret-button"]').wait_for()
    page.screenshot(path=str(folder / "dashboard-home.png"))

    settlement = api.post("/api/v1/test/settlements/run").json()
    # Two fresh captures after the payout: a pending balance beside the available one.
    book_captures(runtime.database_url, insert_settled_payments(runtime.database_url, 2, minutes_apart=30))
    page.goto(f"{dashboard}/dashboard/balance?settlement={settlement['id']}")
    page.locator('[data-test-id="settlement-entries-table"] [data-test-id="entry-row"]').first.wait_for()
    page.locator('[data-test-id="entries-table"]').wait_for()
    page.screenshot(path=str(folder / "dashboard-balance.png"))

    page.goto(f"{dashboard}/dashboard/transactions?payment={payments[0]['id']}")
    page.locator('[data-test-id="payment-refunds"]').wait_for()
    page.click('[data-test-id="refund-button"]')
    page.fill('[data-test-id="refund-amount-input"]', "100.00")
    page.screenshot(path=str(folder / "dashboard-transactions.png"))

    page.goto(f"{dashboard}/dashboard/refunds")
    page.locator('[data-test-id="refund-row"]').first.wait_for()
    page.fill('[data-test-id="refund-payment-id-input"]', payments[2]["id"])
    page.click('[data-test-id="find-payment-button"]')
    page.fill('[data-test-id="refund-amount-input"]', "1000")
    page.click('[data-test-id="refund-submit-button"]')  # more than the payment: refused in the browser
    page.locator('[data-test-id="form-error"]').wait_for()
    page.screenshot(path=str(folder / "dashboard-refunds.png"))

    page.goto(f"{dashboard}/dashboard/webhooks")
    item = page.locator(f'[data-webhook-id="{failing}"]')
    item.wait_for()
    item.click()
    page.locator('[data-test-id="webhook-attempt"]').first.wait_for()
    page.screenshot(path=str(folder / "dashboard-webhooks.png"), full_page=True)

    page.goto(f"{dashboard}/dashboard/webhooks")
    page.locator('[data-test-id="endpoints-table"]').wait_for()
    page.locator('[data-test-id="webhook-endpoints"]').screenshot(path=str(folder / "dashboard-webhook-endpoints.png"))
    page.locator(f'[data-endpoint-id="{payments_endpoint}"] [data-test-id="endpoint-log-button"]').click()
    page.locator("#deliveries-title").filter(has_text=healthy.url).wait_for()
    page.locator('[data-test-id="webhook-log-item"]').first.wait_for()
    page.screenshot(path=str(folder / "dashboard-endpoint-log.png"), full_page=True)

    page.goto(f"{dashboard}/dashboard/docs")
    page.locator('[data-test-id="api-docs"]').wait_for()
    page.screenshot(path=str(folder / "dashboard-docs.png"), full_page=True)
    context.close()
    healthy.stop()
    print(f"screenshots written to {folder}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshots", type=Path, help="also save a screenshot of each page here")
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        raise SystemExit("Chromium is missing: scripts/bootstrap-browser.sh installs it")
    print("dashboard JS (file, bytes, gzipped -9):")
    for name, size, gz in js_gzipped():
        print(f"  {name}: {size:,} B, {gz:,} B gzipped")
    from playwright.sync_api import sync_playwright

    if args.screenshots:
        os.environ["WEBHOOK_RETRY_DELAYS_TEST"] = "1,1,1,1"  # a failed delivery to show, in seconds
    with local_runtime(api_concurrency=4, sites=True) as runtime, sync_playwright() as playwright:
        dashboard = f"http://127.0.0.1:{runtime.options.dashboard_port}"
        started = time.perf_counter()
        insert_settled_payments(runtime.database_url, PAYMENTS)
        print(f"seeded {PAYMENTS:,} payments in {time.perf_counter() - started:.1f} s")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        measure(runtime, dashboard, browser)
        if args.screenshots:
            screenshots(runtime, dashboard, browser, args.screenshots)
        browser.close()


if __name__ == "__main__":
    main()
