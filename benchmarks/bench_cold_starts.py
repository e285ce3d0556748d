"""`python -m benchmarks.bench_cold_starts`: each function's cold start as Lambda bills it (INIT plus
the first event), on what `sam build` makes, beside the floor measured in the same run.

For each function, in a fresh interpreter that sees only its `sam build` folder, the common layer and
the packages the Python runtime ships (boto3 and what it needs), started with -B because Lambda's
/var/task and /opt are read-only (a module the artifact has no .pyc for is compiled at every cold
start) and with the environment Lambda gives a function with `Tracing: Active`:

  import       the handler module (its module-level construction included: resolver, routes, models);
  + first      the same plus the first invocation, on a realistic event against a real Postgres and
               the SQS emulator (embedded, in a temp folder): the API creates a UPI payment for a new
               order; ProcessPayment takes that payment's job off the payments queue; DeliverWebhook
               posts the webhooks that left on the webhooks queue to a local receiver; ProcessRefund
               processes a pending refund of a settled payment; RelayOutbox runs its minute's sweep;
               Migrate answers a CloudFormation Update (schema current) to a local ResponseURL; Admin
               creates a merchant. Clients, connections and lazily built models count here.
  floor        a fresh interpreter (same paths, same flags) importing only the third-party packages
               that function uses (FLOORS below), and `import boto3, psycopg` (the issue's yardstick).

Median of 5, every probe of a round interleaved with the others (the machine's load drifts; each
round starts with another build). Ratios
are of medians from this run only; a floor's median pools its probes from every build measured (the
same packages whichever build's folder they load from). The layer is built for this machine
(LAMBDA_ARCH=x86_64 for the layer's Makefile; checked, and rebuilt with pip if its compiled wheels
are not this machine's).

Each build is measured as `sam build` makes it and as a copy with our own modules compiled to .pyc
("+pyc": what a `compileall` step in the layer's Makefile and the functions' build would ship).

  --baseline DIR   also build the source tree in DIR (e.g. `git archive HEAD | tar -x -C DIR`) and
                   measure it in the same rounds: before and after, same run.
  --imports-only   no services, no first event (fast, for working on imports).
  --rounds N       samples per figure (default 5).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from benchmarks.harness import machine_line
from deploy.artifacts import RUNTIME_PACKAGES, runtime_packages, sam_build
from devstack.schedules import scheduled_event
from stack.template import ScheduledInvocation

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ORDER = (
    "ApiFunction",
    "ProcessPaymentFunction",
    "DeliverWebhookFunction",
    "ProcessRefundFunction",
    "RelayOutboxFunction",
    "MigrateFunction",
    "AdminFunction",
)
# The third-party packages each function uses (what its code calls, not what it happens to import).
# In AWS every function reads its database secret through boto3 and talks to Postgres with psycopg.
# pydantic.main: BaseModel (`import pydantic` alone loads next to nothing).
COMMON = ("boto3", "psycopg", "pydantic.main", "aws_lambda_powertools.logging")
FLOORS: dict[str, tuple[str, ...]] = {
    "ApiFunction": (
        *COMMON,
        "aws_lambda_powertools.event_handler.api_gateway",
        "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
        "argon2",
        "jwt",
    ),
    "ProcessPaymentFunction": COMMON,
    "DeliverWebhookFunction": (*COMMON, "httpx"),
    "ProcessRefundFunction": COMMON,
    "RelayOutboxFunction": (*COMMON, "aws_lambda_powertools.metrics"),
    "MigrateFunction": (*COMMON, "httpx"),
    "AdminFunction": (*COMMON, "argon2"),
}
YARDSTICK = ("boto3", "psycopg")
TARGETS = {"ApiFunction": 1.5}  # import ÷ fresh `import boto3, psycopg`; every other function 1.35
DEFAULT_TARGET = 1.35
MARK = "@@bench-probe "

PROBE = """
import sys
sys.path[:] = PATHS + [p for p in sys.path if 'site-packages' not in p and not p.startswith(REPO) and p != '']
import json, time
event = json.loads(sys.stdin.read() or 'null')

class Context:
    function_name = FUNCTION
    function_version = '$LATEST'
    invoked_function_arn = 'arn:aws:lambda:us-east-1:000000000000:function:' + FUNCTION
    memory_limit_in_mb = 512
    aws_request_id = 'bench-0001'
    log_group_name = '/aws/lambda/' + FUNCTION
    log_stream_name = 'bench'
    def get_remaining_time_in_millis(self):
        return 30000

wall, cpu = time.perf_counter(), time.process_time()
for name in IMPORTS:
    __import__(name)
imported = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
result = None
if HANDLER:
    module, function = HANDLER.rsplit('.', 1)
    result = getattr(sys.modules[module], function)(event, Context())
total = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
packages = sorted({name.split('.')[0] for name in sys.modules})
print()
print(MARK + json.dumps({'import': imported, 'total': total, 'result': result, 'packages': packages}, default=str))
"""


@dataclass
class Build:
    label: str
    folder: Path

    def paths(self, function_id: str | None, runtime: Path) -> list[Path]:
        code = [self.folder / function_id] if function_id else []
        return [*code, self.folder / "CommonLayer" / "python", runtime]


@dataclass
class Sample:
    import_ms: float
    total_ms: float
    import_cpu_ms: float
    total_cpu_ms: float
    result: Any
    packages: list[str]


@dataclass
class Figures:
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)  # (build label, key)

    def add(self, label: str, key: str, sample: Sample) -> None:
        self.samples.setdefault((label, key), []).append(sample)

    def median(self, label: str, key: str, what: str = "import_ms") -> float:
        return float(statistics.median(float(getattr(s, what)) for s in self.samples[(label, key)]))

    def pooled(self, key: str, what: str = "import_ms") -> float:
        """A floor's median over every build's probes of it: the same packages (the layer's pins and
        the runtime's boto3) whichever build's folder they load from, so more samples, less noise."""
        return float(
            statistics.median(
                float(getattr(s, what)) for (_, k), found in self.samples.items() if k == key for s in found
            )
        )


# --- the artifact -------------------------------------------------------------------------------


def elf_machine(path: Path) -> int:
    with path.open("rb") as f:
        header = f.read(20)
    return int.from_bytes(header[18:20], "little")


def host_elf_machine() -> int:
    return {"x86_64": 62, "aarch64": 183, "arm64": 183}.get(platform.machine(), -1)


def foreign_objects(layer: Path) -> list[Path]:
    """The layer's shared objects that this machine cannot load (built for another architecture)."""
    return [so for so in layer.rglob("*.so*") if so.is_file() and elf_machine(so) != host_elf_machine()]


def build(source: Path, into: Path, label: str) -> Build:
    layer_arch = {"LAMBDA_ARCH": "x86_64" if host_elf_machine() == 62 else "aarch64"}
    built = sam_build(into, source, into.parent / "sam-cache", layer_arch)
    if built.returncode != 0:
        raise SystemExit(f"sam build of {source} failed:\n{built.stdout[-3000:]}{built.stderr[-3000:]}")
    layer = into / "CommonLayer" / "python"
    if foreign_objects(layer):
        # The layer was built for the other architecture: the same packages, for this machine.
        print(f"  {label}: layer built for another architecture; rebuilt for {platform.machine()} with pip")
        shutil.rmtree(layer)
        arch = platform.machine()
        wheels = [f"--platform=manylinux_2_{glibc}_{arch}" for glibc in (28, 17)] + [f"--platform=manylinux2014_{arch}"]
        wheels += ["--implementation", "cp", "--python-version", "3.12", "--only-binary=:all:"]
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wheels]
        common = source / "layers" / "common"
        subprocess.run([*pip, "-r", str(common / "requirements.txt"), "-t", str(layer)], check=True)
        no_deps = common / "requirements-no-deps.txt"
        if no_deps.exists():
            subprocess.run([*pip, "--no-deps", "-r", str(no_deps), "-t", str(layer)], check=True)
        shutil.copytree(common / "gateway", layer / "gateway", ignore=shutil.ignore_patterns("__pycache__"))
    return Build(label, into)


def precompiled(source: Build, into: Path) -> Build:
    """A copy of the build with our own modules (layer's gateway/, each function's folder) compiled
    to .pyc (unchecked hashes: valid whatever the zip does to file times), as the layer's pip-installed
    packages already are: what a build step `python -m compileall` would ship."""
    shutil.copytree(source.folder, into, symlinks=True)
    folders = [into / "CommonLayer" / "python" / "gateway", *(into / f for f in ORDER)]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", *map(str, folders)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return Build(f"{source.label}+pyc", into)


# --- the probes ---------------------------------------------------------------------------------


def probe(
    build: Build,
    runtime: Path,
    function_id: str | None,
    imports: tuple[str, ...],
    handler: str,
    env: dict[str, str],
    event: Any = None,
) -> Sample:
    constants = {
        "PATHS": [str(p) for p in build.paths(function_id, runtime)],
        "REPO": str(ROOT),
        "FUNCTION": function_id or "floor",
        "IMPORTS": list(imports),
        "HANDLER": handler,
        "MARK": MARK,
    }
    source = "".join(f"{name} = {value!r}\n" for name, value in constants.items()) + PROBE
    completed = subprocess.run(
        [sys.executable, "-I", "-B", "-c", source],
        cwd=build.folder / function_id if function_id else build.folder,
        env=env,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARK)]
    if completed.returncode != 0 or not lines:
        what = function_id or ", ".join(imports)
        raise SystemExit(f"probe {build.label} {what} failed:\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}")
    found = json.loads(lines[-1][len(MARK) :])
    return Sample(
        found["import"][0], found["total"][0], found["import"][1], found["total"][1], found["result"], found["packages"]
    )


# --- services and events ------------------------------------------------------------------------


class Receiver:
    """Answers every POST (webhooks) and PUT (CloudFormation replies) with 200 on loopback."""

    def __init__(self) -> None:
        from devstack.loopback_server import LoopbackHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Services:
    database_url: str
    endpoint: str
    queues: Any  # devstack.emulator.QueueSet
    receiver: Receiver

    def environment(self, function_id: str) -> dict[str, str]:
        from tests.support import TOPOLOGY

        spec = TOPOLOGY.functions[function_id]
        return {
            "PATH": os.environ["PATH"],
            "LANG": "C.UTF-8",
            # What Lambda sets (tracing active: a trace header per invocation).
            "LAMBDA_TASK_ROOT": "/var/task",
            "AWS_LAMBDA_FUNCTION_NAME": function_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "_X_AMZN_TRACE_ID": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent=1;Sampled=1",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ENDPOINT_URL": self.endpoint,
            "POWERTOOLS_SERVICE_NAME": str(spec.environment.get("POWERTOOLS_SERVICE_NAME", function_id)),
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "POWERTOOLS_METRICS_NAMESPACE": "PaymentGateway",
            # The local stand-ins for the template's values.
            "STAGE": "local",
            "TEST_MODE": "true",
            "TEST_PROCESSING_DELAY": "0",
            "DATABASE_URL": self.database_url,
            "PAYMENTS_QUEUE_URL": self.queues.urls["PaymentsQueue"],
            "REFUNDS_QUEUE_URL": self.queues.urls["RefundsQueue"],
            "WEBHOOKS_QUEUE_URL": self.queues.urls["WebhooksQueue"],
            "WEBHOOKS_SLOW_QUEUE_URL": self.queues.urls["WebhooksSlowQueue"],
            "PAYMENTS_DLQ_URL": self.queues.urls["PaymentsDeadLetterQueue"],
            "REFUNDS_DLQ_URL": self.queues.urls["RefundsDeadLetterQueue"],
            "WEBHOOKS_DLQ_URL": self.queues.urls["WebhooksDeadLetterQueue"],
            "WEBHOOKS_SLOW_QUEUE_ARN": self.queues.arns["WebhooksSlowQueue"],
        }

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def receive(self, queue_id: str, wait_seconds: int) -> list[dict[str, Any]]:
        from devstack.emulator import sqs_client

        messages: list[dict[str, Any]] = (
            sqs_client()
            .receive_message(
                QueueUrl=self.queues.urls[queue_id],
                MaxNumberOfMessages=10,
                WaitTimeSeconds=wait_seconds,
                AttributeNames=["All"],
            )
            .get("Messages", [])
        )
        return messages

    def sqs_event(self, queue_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
        from devstack.pollers import sqs_event

        return sqs_event(messages, self.queues.arns[queue_id], "us-east-1")


@contextmanager
def services() -> Iterator[Services]:
    from devstack.database import EmbeddedPostgres, prepare
    from devstack.emulator import EmbeddedEmulator, create_queues, set_local_credentials
    from stack.loopback import free_port
    from tests.support import TEST_MERCHANT_ID, TOPOLOGY

    folder = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    server = EmbeddedPostgres(folder / "pg", cleanup="delete")
    database_url = server.start()
    set_local_credentials()
    emulator = EmbeddedEmulator(free_port())
    emulator.start()
    os.environ["AWS_ENDPOINT_URL"] = emulator.url
    receiver = Receiver()
    try:
        prepare(database_url)
        queues = create_queues(TOPOLOGY, f"cold-{uuid.uuid4().hex[:6]}")
        found = Services(database_url, emulator.url, queues, receiver)
        found.sql(
            "UPDATE merchants SET webhook_url = %s, rate_limit_reads = 1000000, rate_limit_writes = 1000000"
            " WHERE id = %s",
            (receiver.url, TEST_MERCHANT_ID),
        )
        yield found
    finally:
        receiver.stop()
        emulator.stop()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


class Events:
    """Each function's first event, made fresh before each probe (a round's API payment feeds the
    payments consumer, whose webhooks feed the webhook consumer)."""

    def __init__(self, found: Services) -> None:
        self.services = found
        self.last_payment_id = ""

    def event(self, function_id: str, previous: Sample | None) -> Any:
        make: dict[str, Callable[[Sample | None], Any]] = {
            "ApiFunction": self.api,
            "ProcessPaymentFunction": self.process_payment,
            "DeliverWebhookFunction": self.deliver_webhook,
            "ProcessRefundFunction": self.process_refund,
            "RelayOutboxFunction": self.relay_outbox,
            "MigrateFunction": self.migrate,
            "AdminFunction": self.admin,
        }
        return make[function_id](previous)

    def api(self, _: Sample | None) -> Any:
        from devstack.http_api import build_event
        from tests.support import AUTH, TEST_MERCHANT_ID, TOPOLOGY

        order_id = f"order_cold{uuid.uuid4().hex[:12]}"
        self.services.sql(
            "INSERT INTO orders (id, merchant_id, amount, currency, status) VALUES (%s, %s, 50000, 'INR', 'created')",
            (order_id, TEST_MERCHANT_ID),
        )
        found = TOPOLOGY.route_for("POST", "/api/v1/payments")
        assert found is not None
        route, params = found
        body = json.dumps({"order_id": order_id, "method": "upi", "vpa": "shopper@okhdfc"}).encode()
        headers = {"content-type": "application/json", **AUTH}
        return build_event(route, params, "POST", "/api/v1/payments", headers, body, "127.0.0.1")

    def process_payment(self, previous: Sample | None) -> Any:
        messages = self.services.receive("PaymentsQueue", wait_seconds=2)
        if not messages and previous and isinstance(previous.result, dict):
            payment_id = json.loads(previous.result.get("body") or "{}").get("id", "")
            messages = [fake_message(json.dumps({"payment_id": payment_id}))]
        return self.services.sqs_event("PaymentsQueue", messages[:1])

    def deliver_webhook(self, _: Sample | None) -> Any:
        messages = self.services.receive("WebhooksQueue", wait_seconds=2)
        if not messages:  # a log that does not exist: the lookup and the batch's bookkeeping only
            messages = [fake_message(json.dumps({"webhook_log_id": str(uuid.uuid4())}))]
        return self.services.sqs_event("WebhooksQueue", messages)

    def process_refund(self, _: Sample | None) -> Any:
        from tests.support import TEST_MERCHANT_ID

        suffix = uuid.uuid4().hex[:12]
        order_id, payment_id, refund_id = f"order_cr{suffix}", f"pay_cr{suffix}", f"rfnd_cr{suffix}"
        self.services.sql(
            "INSERT INTO orders (id, merchant_id, amount, currency, status) VALUES (%s, %s, 50000, 'INR', 'paid')",
            (order_id, TEST_MERCHANT_ID),
        )
        self.services.sql(
            "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, status, vpa)"
            " VALUES (%s, %s, %s, 50000, 'INR', 'upi', 'success', 'a@okhdfc')",
            (payment_id, order_id, TEST_MERCHANT_ID),
        )
        self.services.sql(
            "INSERT INTO refunds (id, payment_id, merchant_id, amount) VALUES (%s, %s, %s, 10000)",
            (refund_id, payment_id, TEST_MERCHANT_ID),
        )
        return self.services.sqs_event("RefundsQueue", [fake_message(json.dumps({"refund_id": refund_id}))])

    def relay_outbox(self, _: Sample | None) -> Any:
        return scheduled_event(ScheduledInvocation("RelayOutboxFunction", "EveryMinute", 60), "us-east-1")

    def migrate(self, _: Sample | None) -> Any:
        return {
            "RequestType": "Update",
            "ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:migrate",
            "ResponseURL": f"{self.services.receiver.url}/cloudformation-reply",
            "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/gateway/1",
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": "DatabaseSchema",
            "PhysicalResourceId": "DatabaseSchema-schema",
            "ResourceType": "Custom::DatabaseSchema",
            "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:migrate"},
        }

    def admin(self, _: Sample | None) -> Any:
        suffix = uuid.uuid4().hex[:10]
        return {
            "action": "create_merchant",
            "name": f"Cold start {suffix}",
            "email": f"cold-{suffix}@example.com",
            "password": "correct horse battery staple",
        }


def fake_message(body: str) -> dict[str, Any]:
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": uuid.uuid4().hex,
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
    }


def check_result(function_id: str, result: Any) -> None:
    """A first event that failed would time the failure path: stop instead."""
    checks: dict[str, Callable[[Any], bool]] = {
        "ApiFunction": lambda r: isinstance(r, dict) and r.get("statusCode") == 201,
        "ProcessPaymentFunction": lambda r: r == {"batchItemFailures": []},
        "DeliverWebhookFunction": lambda r: r == {"batchItemFailures": []},
        "ProcessRefundFunction": lambda r: r == {"batchItemFailures": []},
        "RelayOutboxFunction": lambda r: isinstance(r, dict),
        "MigrateFunction": lambda r: isinstance(r, dict) and r.get("status") == "SUCCESS",
        "AdminFunction": lambda r: isinstance(r, dict) and r.get("ok") is True,
    }
    if not checks[function_id](result):
        raise SystemExit(f"{function_id}: the first event failed: {str(result)[:1000]}")


# --- the run ------------------------------------------------------------------------------------


def measure(builds: list[Build], rounds: int, imports_only: bool) -> Figures:
    from tests.support import TOPOLOGY

    figures = Figures()
    with tempfile.TemporaryDirectory() as scratch:
        runtime = runtime_packages(Path(scratch))
        with services() if not imports_only else _nothing() as found:
            events = Events(found) if found else None
            for n in range(rounds):
                print(f"  round {n + 1}/{rounds}", flush=True)
                # Each round starts with another build, so that no build always runs first or last.
                for b in builds[n % len(builds) :] + builds[: n % len(builds)]:
                    plain = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "AWS_DEFAULT_REGION": "us-east-1"}
                    figures.add(b.label, "yardstick", probe(b, runtime, None, YARDSTICK, "", plain))
                    previous: Sample | None = None
                    for function_id in ORDER:
                        spec = TOPOLOGY.functions[function_id]
                        figures.add(
                            b.label, f"floor {function_id}", probe(b, runtime, None, FLOORS[function_id], "", plain)
                        )
                        if found and events:
                            event = events.event(function_id, previous)
                            sample = probe(
                                b,
                                runtime,
                                function_id,
                                (spec.module,),
                                spec.handler,
                                found.environment(function_id),
                                event,
                            )
                            check_result(function_id, sample.result)
                        else:
                            env = {**plain, "STAGE": "local", "LAMBDA_TASK_ROOT": "/var/task"}
                            sample = probe(b, runtime, function_id, (spec.module,), "", env)
                        figures.add(b.label, function_id, sample)
                        previous = sample
    return figures


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def report(figures: Figures, builds: list[Build], imports_only: bool) -> None:
    header = ("function", "build", "import", "+ first event", "own floor", "boto3+psycopg", "import ratio", "target")
    rows = []
    for function_id in ORDER:
        for b in builds:
            yardstick = figures.pooled("yardstick")
            own = figures.pooled(f"floor {function_id}")
            imported = figures.median(b.label, function_id)
            total = "-" if imports_only else f"{figures.median(b.label, function_id, 'total_ms'):.0f} ms"
            target = TARGETS.get(function_id, DEFAULT_TARGET)
            ratio = imported / yardstick
            rows.append(
                (
                    function_id.removesuffix("Function"),
                    b.label,
                    f"{imported:.0f} ms",
                    total,
                    f"{own:.0f} ms ({imported / own:.2f}x)",
                    f"{yardstick:.0f} ms",
                    f"{ratio:.2f}x",
                    f"<= {target}x {'ok' if ratio <= target else 'OVER'}",
                )
            )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, *rows]:
        print(" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
    print("\nCPU time of the same probes (medians; less sensitive to the machine's other load):")
    for function_id in ORDER:
        for b in builds:
            cells = [f"import {figures.median(b.label, function_id, 'import_cpu_ms'):.0f} ms"]
            if not imports_only:
                cells.append(f"+ first event {figures.median(b.label, function_id, 'total_cpu_ms'):.0f} ms")
            cells.append(f"boto3+psycopg {figures.pooled('yardstick', 'import_cpu_ms'):.0f} ms")
            print(f"  {function_id.removesuffix('Function'):15s} {b.label:9s} " + ", ".join(cells))
    print("\nThird-party packages loaded after the first event (beyond the runtime's boto3 and the stdlib):")
    stdlib = set(sys.stdlib_module_names) | {"_distutils_hack", "cython_runtime", "gateway", "api_routes"}
    for function_id in ORDER:
        for b in builds:
            loaded = figures.samples[(b.label, function_id)][-1].packages
            extra = sorted(
                p
                for p in loaded
                if p not in stdlib
                and p not in RUNTIME_PACKAGES
                and not p.startswith("_")
                and not p.endswith("_handler")
            )
            print(f"  {function_id.removesuffix('Function'):15s} {b.label:9s} {' '.join(extra)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, help="another source tree to build and measure in the same run")
    parser.add_argument("--imports-only", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine_line(f"median of {args.rounds}; python -I -B on the sam build output, runtime's boto3 only"))
    with tempfile.TemporaryDirectory(prefix="cold-build-") as scratch:
        now = build(ROOT, Path(scratch) / "now", "now")
        builds = [now, precompiled(now, Path(scratch) / "now-pyc")]
        if args.baseline:
            builds.insert(0, build(args.baseline.resolve(), Path(scratch) / "baseline", "baseline"))
        figures = measure(builds, args.rounds, args.imports_only)
    report(figures, builds, args.imports_only)


if __name__ == "__main__":
    main()
