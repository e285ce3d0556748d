"""The soak (`make soak`, not part of `make test`): the whole local stack under steady mixed load
for SOAK_SECONDS (default 600): orders, UPI and card payments, refunds, webhooks to a local
receiver, list reads. Every ~10 s it samples each process's resident memory (the runtime, its
function workers, the queue emulator, Postgres with its backends) and the database's connections
(pg_stat_activity). After a warm-up (the first third) nothing may grow: the last third's median of
each series stays within a margin of the second third's. At the end, every payment is final and
its payment.success was delivered exactly once. A table is printed: start, after warm-up, end.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from tests.e2e_support import LocalStack, running_stack
from tests.faults import faults
from tests.support import AUTH, VALID_CARD, WebhookReceiver, wait_until

pytestmark = pytest.mark.soak

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
SAMPLE_SECONDS = 10.0
MB = 1024 * 1024


@dataclass
class Margin:
    """How much the last third's median may exceed the second third's: a share and a floor."""

    share: float
    floor: float

    def limit(self, warm: float) -> float:
        return warm * (1 + self.share) + self.floor


# Memory in MB; connections in connections. Generous enough for allocator noise, a worker started or
# stopped, Postgres touching more of its shared buffers; far below what a leak makes of 10 minutes.
MARGINS = {
    "runtime MB": Margin(0.10, 8),
    "workers (count)": Margin(0.0, 2),
    "workers total MB": Margin(0.25, 80),
    "worker max MB": Margin(0.10, 10),
    "emulator MB": Margin(0.10, 10),
    "postgres total MB": Margin(0.15, 30),
    "db connections": Margin(0.0, 3),
}


def rss_mb(processes: list[psutil.Process]) -> list[float]:
    sizes = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            sizes.append(process.memory_info().rss / MB)
    return sizes


@dataclass
class Sampler:
    stack: LocalStack
    samples: list[dict[str, float]] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.stack.log_path.parent / "data" / "postgres"

    def processes(self) -> dict[str, list[psutil.Process]]:
        """The runtime (with its fork server and resource tracker), its function workers, the
        emulator it started, and Postgres (the postmaster, its helpers and backends)."""
        runtime = psutil.Process(self.stack.process.pid)
        workers = faults.function_workers(runtime.pid)
        children = runtime.children()
        emulator = [c for c in children if "devstack.emulator_server" in " ".join(c.cmdline())]
        postmaster = psutil.Process(faults.postmaster_pid(self.data_dir))
        return {
            "runtime": [runtime, *(c for c in children if c not in emulator)],
            "workers": workers,
            "emulator": emulator,
            "postgres": [postmaster, *postmaster.children()],
        }

    def sample(self) -> dict[str, float]:
        processes = self.processes()
        workers = processes["workers"]
        worker_sizes = rss_mb(workers)
        with psycopg.connect(self.stack.database_url, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'").fetchone()
        sample = {
            "runtime MB": sum(rss_mb(processes["runtime"])),
            "workers (count)": float(len(worker_sizes)),
            "workers total MB": sum(worker_sizes),
            "worker max MB": max(worker_sizes, default=0.0),
            "emulator MB": sum(rss_mb(processes["emulator"])),
            "postgres total MB": sum(rss_mb(processes["postgres"])),
            "db connections": float(row[0] if row else 0) - 1,  # not this sampling connection
        }
        self.samples.append(sample)
        return sample


@dataclass
class Mix:
    """The load: each kind of request in its own thread, paced; what was answered, by status."""

    url: str
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    payments: list[str] = field(default_factory=list)
    refundable: list[str] = field(default_factory=list)
    refunded: set[str] = field(default_factory=set)
    errors: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _count(self, kind: str, response: httpx.Response) -> None:
        with self._lock:
            self.statuses[(kind, response.status_code)] += 1

    def _loop(self, pause: float, step: Callable[[httpx.Client, int], None]) -> None:
        with httpx.Client(base_url=self.url, headers=AUTH, timeout=15) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                try:
                    step(client, n)
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.errors[type(exc).__name__] += 1
                self.stop.wait(pause)

    def pay(self, client: httpx.Client, n: int) -> None:
        order = client.post("/api/v1/orders", json={"amount": 10_000 + n, "receipt": f"soak-{n}"})
        self._count("order", order)
        if order.status_code != 201:
            return
        body: dict[str, object] = {"order_id": order.json()["id"]}
        body.update({"method": "card", "card": VALID_CARD} if n % 3 == 0 else {"method": "upi", "vpa": "soak@okaxis"})
        payment = client.post("/api/v1/payments", json=body)
        self._count("payment", payment)
        if payment.status_code == 201:
            with self._lock:
                self.payments.append(payment.json()["id"])

    def refund(self, client: httpx.Client, n: int) -> None:
        with self._lock:
            payment_id = self.refundable.pop(0) if self.refundable else None
            if payment_id in self.refunded:
                return
            if payment_id:
                self.refunded.add(payment_id)
        if payment_id:
            refund = client.post(f"/api/v1/payments/{payment_id}/refunds", json={"amount": 1_000, "reason": "soak"})
            self._count("refund", refund)

    def read(self, client: httpx.Client, n: int) -> None:
        path = ["/api/v1/payments", "/api/v1/orders", "/api/v1/refunds", "/api/v1/webhooks", "/api/v1/events"][n % 5]
        listed = client.get(path, params={"limit": 20})
        self._count("list", listed)
        if path == "/api/v1/payments" and listed.status_code == 200:
            succeeded = [p["id"] for p in listed.json()["data"] if p["status"] == "success"]
            with self._lock:
                self.refundable = (self.refundable + succeeded[:2])[-50:]

    def threads(self) -> list[threading.Thread]:
        plan: list[tuple[float, Callable[[httpx.Client, int], None]]] = [
            (0.4, self.pay),
            (0.4, self.pay),
            (1.0, self.refund),
            (0.2, self.read),
        ]
        return [threading.Thread(target=self._loop, args=plan_step, daemon=True) for plan_step in plan]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # Not under pytest's numbered temp dirs: another pytest session started during the soak's ten
    # minutes rotates them away (it removed this stack's Postgres data directory under it once).
    with tempfile.TemporaryDirectory(prefix="soak-") as folder, running_stack(Path(folder), {}) as stack:
        yield stack


def thirds(values: list[float]) -> tuple[float, float]:
    third = max(1, len(values) // 3)
    return statistics.median(values[third : 2 * third]), statistics.median(values[-third:])


def test_soak_no_growth_after_warm_up(stack: LocalStack) -> None:
    receiver = WebhookReceiver().start()
    try:
        with httpx.Client(base_url=stack.url, headers=AUTH, timeout=10) as client:
            assert client.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url}).status_code == 200
        sampler, mix = Sampler(stack), Mix(stack.url)
        sampler.sample()
        threads = mix.threads()
        for thread in threads:
            thread.start()
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < SOAK_SECONDS:
            time.sleep(min(SAMPLE_SECONDS, max(0.0, SOAK_SECONDS - elapsed)))
            sampler.sample()
        mix.stop.set()
        for thread in threads:
            thread.join(timeout=30)

        def delivered() -> Counter[str]:
            return Counter(
                hook.json["data"]["payment"]["id"]
                for hook in list(receiver.received)
                if hook.json["event"] == "payment.success"
            )

        assert wait_until(lambda: set(mix.payments) <= set(delivered()), 90), "payment.success missing at the end"
        successes = delivered()
    finally:
        receiver.stop()

    series = {name: [sample[name] for sample in sampler.samples] for name in MARGINS}
    print(f"\nsoak: {SOAK_SECONDS:g} s, {len(sampler.samples)} samples every {SAMPLE_SECONDS:g} s")
    print(f"  requests: {dict(sorted(Counter({f'{k} {s}': n for (k, s), n in mix.statuses.items()}).items()))}")
    print(f"  client errors: {dict(mix.errors)}; payments {len(mix.payments)}, webhooks {len(receiver.received)}")
    print(f"  {'series':<20}{'start':>10}{'after warm-up':>15}{'end':>10}{'last':>10}{'limit':>10}")
    grown = []
    for name, values in series.items():
        warm, end = thirds(values)
        limit = MARGINS[name].limit(warm)
        print(f"  {name:<20}{values[0]:>10.1f}{warm:>15.1f}{end:>10.1f}{values[-1]:>10.1f}{limit:>10.1f}")
        if end > limit:
            grown.append(f"{name}: {warm:.1f} -> {end:.1f} (limit {limit:.1f})")
    assert len(sampler.samples) >= 6, "too short to tell warm-up from growth"
    assert not grown, f"grew after warm-up: {grown}"
    server_errors = {key: n for key, n in mix.statuses.items() if key[1] >= 500}
    assert not server_errors and not mix.errors, (server_errors, dict(mix.errors))
    assert all(successes[payment_id] == 1 for payment_id in mix.payments), "a payment.success arrived twice"
