"""What the e2e tests, the fault battery, the soak and the benchmarks share: the whole local stack
started exactly as `make dev` starts it (`python -m devstack`), on free ports, and headless Chromium's
path and flags. (The pytest fixtures built on them are in tests/e2e/conftest.py.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from stack.loopback import free_port
from tests.support import ROOT

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# The endpoint the user asked for (LocalStack: make e2e-localstack), read before any fixture sets
# the variable for this process's own in-process tests; unset: the stack starts its embedded emulator.
USER_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL", "")


@dataclass
class LocalStack:
    """One running local stack (`python -m devstack` in a subprocess); not the LocalStack emulator."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    startup_seconds: float
    checkout_origin: str
    dashboard_origin: str = ""
    lambda_endpoint: str = ""
    # Set by a test that kills the stack on purpose (the fault battery): no clean Ctrl-C is expected.
    killed_on_purpose: bool = False

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.log_path.parent / 'data' / 'postgres'}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_stack(
    folder: Path, env_overrides: dict[str, str], dashboard: bool = False, extra_args: tuple[str, ...] = ()
) -> Iterator[LocalStack]:
    api_port, checkout_port, lambda_port = free_port(), free_port(), free_port()
    dashboard_port = free_port() if dashboard else -1
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AWS_ENDPOINT_URL")}
    if USER_ENDPOINT_URL:
        env["AWS_ENDPOINT_URL"] = USER_ENDPOINT_URL
    env.update(
        {
            "TEST_MODE": "true",
            "TEST_PROCESSING_DELAY": "500",
            "TEST_PAYMENT_SUCCESS": "true",
            "WEBHOOK_RETRY_INTERVALS_TEST": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "PYTHONPATH": f"{ROOT / 'layers/common'}:{ROOT}",
            **env_overrides,
        }
    )
    log_path = folder / "devstack.log"
    command = [
        sys.executable,
        "-m",
        "devstack",
        "--api-port",
        str(api_port),
        "--dashboard-port",
        str(dashboard_port),
        "--checkout-port",
        str(checkout_port),
        "--lambda-port",
        str(lambda_port),
        "--emulator-port",
        "0",
        "--api-concurrency",
        "8",
        "--data-dir",
        str(folder / "data"),
        *extra_args,
    ]
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{api_port}"
    stack = LocalStack(
        url,
        process,
        log_path,
        0.0,
        f"http://127.0.0.1:{checkout_port}",
        f"http://127.0.0.1:{dashboard_port}" if dashboard else "",
        f"http://127.0.0.1:{lambda_port}",
    )
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            pytest.fail(f"local stack exited with {process.returncode}:\n{stack.log()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"local stack did not become healthy:\n{stack.log()}")
        time.sleep(0.2)
    stack.startup_seconds = time.perf_counter() - started
    endpoint = env.get("AWS_ENDPOINT_URL") or "embedded emulator"
    print(f"\nlocal stack healthy after {stack.startup_seconds:.2f} s (new Postgres cluster; queues on {endpoint})")
    yield stack
    if stack.killed_on_purpose:
        return
    # Ctrl-C must stop everything cleanly.
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"local stack ignored Ctrl-C for 30 s:\n{stack.log()}")
    assert code == 0, stack.log()
    assert "stopped" in stack.log()


@contextmanager
def running_dashboard_stack(folder: Path, env_overrides: dict[str, str]) -> Iterator[LocalStack]:
    """running_stack with the dashboard site, for the browser tests: the built dashboard must exist."""
    if not (ROOT / "dashboard" / "dist" / "index.html").is_file():
        pytest.fail("dashboard/dist is missing: run scripts/build-dashboard.sh (make test does)")
    with running_stack(folder, env_overrides, dashboard=True) as stack:
        yield stack


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def dashboard_page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page as an operator in India sees the dashboard; no uncaught page
    error may happen while it is open."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1360, "height": 900}, timezone_id="Asia/Kolkata")
    page = context.new_page()
    page.set_default_timeout(20_000)
    # expect() has its own 5 s default; a request that lands on a cold worker process can take longer.
    expect.set_options(timeout=20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def create_merchant(stack: LocalStack, email: str, password: str) -> subprocess.CompletedProcess[str]:
    """A new merchant, made as an operator makes one in AWS: scripts/create-merchant through the
    stack's Lambda Invoke API (`--json` prints its id, api_key and api_secret)."""
    command = [
        str(ROOT / "scripts" / "create-merchant"),
        "--local",
        "--lambda-endpoint",
        stack.lambda_endpoint,
        "--name",
        "Onboarded Shop",
        "--email",
        email,
        "--password-stdin",
        "--json",
    ]
    return subprocess.run(command, input=password + "\n", capture_output=True, text=True, timeout=120, check=False)


def merchant_client(stack: LocalStack, email_prefix: str) -> httpx.Client:
    """An API client for a new merchant of its own (create_merchant), whose books and webhook
    endpoint no other test touches."""
    created = create_merchant(stack, f"{email_prefix}-{uuid.uuid4().hex[:6]}@shop.test", "a long dashboard password")
    assert created.returncode == 0, created.stderr
    merchant = json.loads(created.stdout)
    return httpx.Client(
        base_url=stack.url,
        headers={"X-Api-Key": merchant["api_key"], "X-Api-Secret": merchant["api_secret"]},
        timeout=30,
    )
