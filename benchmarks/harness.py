"""Shared by the benchmarks: a private local stack, latency percentiles and medians."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.runtime import LocalRuntime, RuntimeOptions
from stack.loopback import free_port


def median_ms(work: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of `repeat` calls, in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def python_speed_ms() -> float:
    """A fixed pure-Python loop (10 M additions), median of 3: this machine's speed today, so that
    figures from different days can be told apart from the machine's own variation."""

    def loop() -> None:
        total = 0
        for n in range(10_000_000):
            total += n

    return median_ms(loop, repeat=3)


def machine_line(detail: str) -> str:
    return (
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
        f" 10 M-addition loop {python_speed_ms():.0f} ms; {detail}"
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


@contextmanager
def local_runtime(
    api_concurrency: int = 4, sites: bool = False, environment: dict[str, str] | None = None
) -> Iterator[LocalRuntime]:
    """Its own embedded Postgres and emulator in a temp folder; TEST_MODE with no processing delay
    unless `environment` says otherwise. `sites` also serves the dashboard and checkout on free ports."""
    # Set here, not at import: spawned function workers re-import the benchmark module.
    os.environ.update({"TEST_MODE": "true", "TEST_PROCESSING_DELAY": "0", "POWERTOOLS_LOG_LEVEL": "WARNING"})
    os.environ.update(environment or {})
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    runtime = LocalRuntime(
        RuntimeOptions(
            api_port=free_port(),
            dashboard_port=free_port() if sites else -1,
            checkout_port=free_port() if sites else -1,
            emulator_port=0,
            data_dir=Path(tempfile.mkdtemp(prefix="bench-")),
            stack_name="bench",
            api_concurrency=api_concurrency,
        ),
        log=lambda _: None,
    )
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


def api_url(runtime: LocalRuntime) -> str:
    return f"http://127.0.0.1:{runtime.options.api_port}"
