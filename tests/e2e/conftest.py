"""Fixtures: the whole local stack (tests/e2e_support.py: running_stack), a headless Chromium for
the browser tests, and a failed test's report with its stack's notable log lines."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e_support import CHROMIUM_ARGS, LocalStack, chromium_path, running_stack
from tests.support import AUTH

# Access-log lines and INFO records: what is left (warnings, errors, the runtime's own notices) is what
# explains a failure that only CI saw.
_ROUTINE_LOG_LINE = re.compile(r' -> \d{3} \(\d+ ms\)$|^\{"level":"INFO"|^\{"_aws"')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """A failed test against a local stack reports that stack's notable log lines with its failure."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for stack in getattr(item, "funcargs", {}).values():
        if isinstance(stack, LocalStack) and stack.log_path.exists():
            notable = [line for line in stack.log().splitlines() if line and not _ROUTINE_LOG_LINE.search(line)]
            report.sections.append((f"stack log {stack.log_path} (notable lines, last 80)", "\n".join(notable[-80:])))


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # A metrics summary every 3 s instead of every minute, so a test can read it.
    with running_stack(Path(tmp_path_factory.mktemp("stack")), {}, extra_args=("--metrics-seconds", "3")) as stack:
        yield stack


@pytest.fixture
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    """The test merchant's API client on the module's own stack (a module that starts one: `stack`)."""
    with httpx.Client(base_url=stack.url, headers=AUTH, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: sync Playwright runs an event loop on this thread while it is alive, which
    the in-process async batch handler in later tests must not find."""
    executable = chromium_path()
    if executable is None:
        message = "NO CHROMIUM: browser tests SKIPPED (install Debian's chromium, or set CHROMIUM_PATH)"
        print(f"\n{'!' * 80}\n{message}\n{'!' * 80}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
