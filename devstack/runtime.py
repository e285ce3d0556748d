"""Starts the whole gateway locally from template.yaml: Postgres, the SQS/Scheduler endpoint,
the HTTP API, the consumers' event-source mappings and the static sites."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from devstack import emulator
from devstack.checkout_site import CheckoutSite
from devstack.dashboard_site import DashboardSite
from devstack.database import EmbeddedPostgres, prepare
from devstack.http_api import HttpApiServer
from devstack.invocations import InvocationLog
from devstack.invoker import FunctionPool
from devstack.lambda_api import LambdaInvokeServer
from devstack.metrics_summary import MetricsSummary
from devstack.pollers import SqsPoller
from devstack.scheduler import SchedulerEmulator
from devstack.schedules import ScheduleRunner
from devstack.test_merchant import TEST_MERCHANT, TEST_MERCHANT_PASSWORD
from stack.localstack import running_localstack
from stack.loopback import free_port
from stack.template import (
    SqsMapping,
    Topology,
    evaluate_conditions,
    load_template,
    make_resolver,
    read_topology,
    s3_cors_configuration,
)

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = emulator.ACCOUNT_ID
# Settings a developer may set for a local run; they win over the template's values.
DEVELOPER_SETTINGS = ("POWERTOOLS_LOG_LEVEL",)
# Resource types the runtime stands up locally; references to any other resource (a secret, RDS
# Proxy) resolve to "" and the runtime sets what they stand for itself (DATABASE_URL).
EMULATED_TYPES = frozenset(
    {"AWS::SQS::Queue", "AWS::CloudFront::Distribution", "AWS::IAM::Role", "AWS::Scheduler::ScheduleGroup"}
)


@dataclass
class RuntimeOptions:
    root: Path = ROOT
    api_port: int = 8000
    dashboard_port: int = 3000
    checkout_port: int = 3001
    # Lambda's Invoke API for directly invoked functions (scripts/create-merchant); -1: not served.
    lambda_port: int = -1
    emulator_port: int = 4566
    data_dir: Path = field(default_factory=lambda: ROOT / ".data")
    # Prefix of the queues, schedule group and role names on the endpoint; default: one per data
    # directory, so two local stacks sharing one endpoint (LocalStack) never share a queue.
    stack_name: str = ""
    max_local_concurrency: int = 4
    api_concurrency: int = 4
    # Runs `Schedule` events this often instead of their rate (None: the template's rate).
    schedule_seconds: float | None = None
    # Start LocalStack (from .localstack/venv, on emulator_port) as the SQS/Scheduler endpoint.
    localstack: bool = False
    # How often the one-line metrics summary is printed.
    metrics_summary_seconds: float = 60


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} devstack | {message}", flush=True)


def loopback_origins(origin: str) -> list[str]:
    """A CloudFront origin of the template (https://{DomainName}) as the local sites serve it: plain
    http on loopback, as 127.0.0.1 and as localhost (DASHBOARD_ORIGINS); any other origin as it is."""
    scheme, _, host = origin.partition("://")
    if scheme != "https" or not host.startswith("127.0.0.1:"):
        return [origin]
    port = host.split(":", 1)[1]
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


def stack_name_for(data_dir: Path) -> str:
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]
    return f"gateway-local-{digest}"


class LocalRuntime:
    def __init__(self, options: RuntimeOptions, log: Callable[[str], None] = _log) -> None:
        if not options.stack_name:
            options = dataclasses.replace(options, stack_name=stack_name_for(options.data_dir))
        self.options = options
        self.log = log
        self.template = load_template(options.root / "template.yaml")
        self.topology: Topology = read_topology(self.template)
        self._postgres: EmbeddedPostgres | None = None
        self._emulator: emulator.EmbeddedEmulator | None = None
        self._pools: dict[str, FunctionPool] = {}
        self._pollers: list[SqsPoller] = []
        self._schedules: list[ScheduleRunner] = []
        self._scheduler_emulator: SchedulerEmulator | None = None
        self.schedule_groups: list[str] = []  # this stack's, resolved from the template
        self._metrics_summary: MetricsSummary | None = None
        self._servers: list[Any] = []
        self._resources = ExitStack()  # what stops last (LocalStack)
        self.database_url = ""
        self.endpoint_url = ""
        self.function_environment: dict[str, dict[str, str]] = {}
        self.invocations = InvocationLog(self.invocations_file)

    # --- dependencies ---------------------------------------------------------------------

    def _start_postgres(self) -> None:
        url = os.environ.get("DATABASE_URL")
        if not url:
            self._postgres = EmbeddedPostgres(self.options.data_dir / "postgres")
            url = self._postgres.start()
        applied = prepare(url)
        self.database_url = url
        where = "embedded" if self._postgres else "DATABASE_URL"
        self.log(f"postgres ready ({where}); migrations applied now: {applied or 'none'}")

    def _start_aws_endpoint(self) -> None:
        emulator.set_local_credentials()
        url = os.environ.get("AWS_ENDPOINT_URL")
        if self.options.localstack and not url:
            self.log("starting LocalStack (host mode, 127.0.0.1 only)")
            url = self._resources.enter_context(running_localstack(port=self.options.emulator_port))
            os.environ["AWS_ENDPOINT_URL"] = url
        if not url:
            port = self.options.emulator_port or free_port()
            self._emulator = emulator.EmbeddedEmulator(port)
            self._emulator.start()
            url = self._emulator.url
            os.environ["AWS_ENDPOINT_URL"] = url
        self.endpoint_url = url

    # --- topology -------------------------------------------------------------------------

    def resolve_environment(self, queues: emulator.QueueSet, buckets: dict[str, str] | None = None) -> None:
        region = os.environ["AWS_DEFAULT_REGION"]
        stack = self.options.stack_name
        values: dict[str, str] = {
            "AWS::StackName": stack,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack}/{uuid.uuid4()}",
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        for name, parameter in self.topology.parameters.items():
            values[name] = str(parameter.get("Default", ""))
        values["Stage"] = "local"
        values.update(queues.urls)
        values.update(buckets or {})  # the buckets the functions use, created on the endpoint
        attributes: dict[tuple[str, str], str] = {}
        for logical_id, name in (buckets or {}).items():
            attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"
        for logical_id in queues.urls:
            attributes[(logical_id, "Arn")] = queues.arns[logical_id]
            attributes[(logical_id, "QueueName")] = queues.names[logical_id]
        for logical_id, resource in self.template.get("Resources", {}).items():
            if resource.get("Type") == "AWS::CloudFront::Distribution":
                # Locally the dashboard and checkout sites stand in for the CDN (origins are set below).
                port = self.options.dashboard_port if "Dashboard" in logical_id else self.options.checkout_port
                attributes[(logical_id, "DomainName")] = f"127.0.0.1:{port}"
            if resource.get("Type") == "AWS::IAM::Role":
                attributes[(logical_id, "Arn")] = (
                    f"arn:aws:iam::{ACCOUNT_ID}:role/{self.options.stack_name}-{logical_id}"
                )
        conditions = evaluate_conditions(self.template, values)
        not_emulated = frozenset(
            logical_id
            for logical_id, resource in self.template.get("Resources", {}).items()
            if resource.get("Type") not in EMULATED_TYPES and logical_id not in values
        )
        resolve = make_resolver(values, attributes, conditions, not_emulated)
        for logical_id, name in self.topology.schedule_groups.items():
            values[logical_id] = str(resolve(name))
            emulator.create_schedule_group(values[logical_id])
            self.schedule_groups.append(values[logical_id])
        # The buckets answer CORS as the template configures them (the browser uploads dispute evidence).
        for logical_id, cors in self.topology.bucket_cors.items():
            if logical_id in (buckets or {}):
                configuration = s3_cors_configuration(cors, resolve)
                for rule in configuration["CORSRules"]:
                    rule["AllowedOrigins"] = [o for origin in rule["AllowedOrigins"] for o in loopback_origins(origin)]
                emulator.put_bucket_cors((buckets or {})[logical_id], configuration)

        for logical_id, spec in self.topology.functions.items():
            environment = {key: str(resolve(value)) for key, value in spec.environment.items()}
            # What Lambda's environment would carry, pointed at the local endpoints.
            environment.update(
                {
                    "CHECKOUT_ORIGINS": f"http://127.0.0.1:{self.options.checkout_port},"
                    f"http://localhost:{self.options.checkout_port}",
                    "DASHBOARD_ORIGINS": f"http://127.0.0.1:{self.options.dashboard_port},"
                    f"http://localhost:{self.options.dashboard_port}",
                    "DATABASE_URL": self.database_url,
                    "STAGE": "local",
                    "AWS_ENDPOINT_URL": self.endpoint_url,
                    "AWS_REGION": region,
                    "AWS_DEFAULT_REGION": region,
                    "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
                    "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
                    "LOCAL_METRICS_FILE": str(self.metrics_file),
                }
            )
            for key in DEVELOPER_SETTINGS:
                if key in os.environ:
                    environment[key] = os.environ[key]
            self.function_environment[logical_id] = environment

    def _workers_for(self, logical_id: str) -> int:
        """Worker processes per function: a consumer's MaximumConcurrency (capped locally), one per
        schedule, the API's configured concurrency."""
        mappings = [m for m in self.topology.sqs_mappings if m.function_id == logical_id]
        if mappings:
            # Each event source gets its own share, as each Lambda event-source mapping does.
            return sum(self._mapping_workers(mapping) for mapping in mappings)
        if any(schedule.function_id == logical_id for schedule in self.topology.schedules):
            return 1
        return self.options.api_concurrency

    def _mapping_workers(self, mapping: SqsMapping) -> int:
        return min(mapping.max_concurrency, self.options.max_local_concurrency)

    def _start_functions(self) -> None:
        for logical_id, spec in self.topology.functions.items():
            self._pools[logical_id] = FunctionPool(
                spec,
                self.options.root,
                self.function_environment[logical_id],
                self._workers_for(logical_id),
                record=self.invocations.record,
            )
        # One warm worker per triggered function, in parallel, so the first request is not a cold
        # start; directly invoked ones (admin, migrate) start on their first invocation.
        triggered = {route.function_id for route in self.topology.routes}
        triggered |= {mapping.function_id for mapping in self.topology.sqs_mappings}
        triggered |= {schedule.function_id for schedule in self.topology.schedules}
        wait([pool.warm() for logical_id, pool in self._pools.items() if logical_id in triggered])

    def _start_pollers(self, queues: emulator.QueueSet) -> None:
        for mapping in self.topology.sqs_mappings:
            pool = self._pools[mapping.function_id]
            local_mapping = dataclasses.replace(mapping, max_concurrency=self._mapping_workers(mapping))
            poller = SqsPoller(
                local_mapping, queues.urls[mapping.queue_id], queues.arns[mapping.queue_id], pool.invoke, self.log
            )
            poller.start()
            self._pollers.append(poller)

    @property
    def invocations_file(self) -> Path:
        """Every invocation's billed duration (devstack/invocations.py)."""
        return self.options.data_dir / "invocations.jsonl"

    @property
    def metrics_file(self) -> Path:
        return self.options.data_dir / "metrics.jsonl"

    def _start_schedules(self) -> None:
        region = os.environ["AWS_DEFAULT_REGION"]
        for schedule in self.topology.schedules:
            pool = self._pools[schedule.function_id]
            runner = ScheduleRunner(schedule, pool.invoke, region, self.log, self.options.schedule_seconds)
            runner.start()
            self._schedules.append(runner)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.options.api_port}"

    def _create_demo_order(self) -> str:
        """What a merchant's server does before opening the checkout (it holds the API secret)."""
        response = httpx.post(
            f"{self.api_base}/api/v1/orders",
            json={"amount": 49_900, "receipt": "demo"},
            headers={"X-Api-Key": TEST_MERCHANT["api_key"], "X-Api-Secret": TEST_MERCHANT["api_secret"]},
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["id"])

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        return self._pools[function_id].invoke(event)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> float:
        started = time.perf_counter()
        ports = {
            "API": self.options.api_port,
            "dashboard": self.options.dashboard_port,
            "checkout": self.options.checkout_port,
            "Lambda invoke API": self.options.lambda_port,
        }
        for what, port in ports.items():
            if port > 0:
                emulator.ensure_port_free(port, what)
        self._start_postgres()
        self._start_aws_endpoint()
        queues = emulator.create_queues(self.topology, self.options.stack_name)
        buckets = emulator.create_buckets(self.topology, self.options.stack_name)
        self.resolve_environment(queues, buckets)
        self.invocations_file.parent.mkdir(parents=True, exist_ok=True)
        self.invocations_file.write_text("")  # this run's invocations only
        self._start_functions()
        self._start_pollers(queues)
        self._start_schedules()
        site_urls: list[str] = []
        # Only this stack's groups: stacks sharing one endpoint (LocalStack) each fire their own.
        self._scheduler_emulator = SchedulerEmulator(log=self.log, groups=self.schedule_groups)
        self._scheduler_emulator.start()
        self._metrics_summary = MetricsSummary(self.metrics_file, self.log, self.options.metrics_summary_seconds)
        self._metrics_summary.start()
        api = HttpApiServer(self.topology, self.invoke, self.options.api_port, self.log)
        api.start()
        self._servers.append(api)
        if self.options.lambda_port >= 0:
            lambda_api = LambdaInvokeServer(self._pools.keys(), self.invoke, self.options.lambda_port, self.log)
            lambda_api.start()
            self._servers.append(lambda_api)
            site_urls.append(
                f"lambda     http://127.0.0.1:{lambda_api.port}  (Invoke API: scripts/create-merchant --local)"
            )
        root = self.options.root
        checkout_origin = ""
        if self.options.checkout_port >= 0:
            checkout = CheckoutSite(root / "sdk", self.options.checkout_port, self.api_base, self._create_demo_order)
            checkout.start()
            checkout_origin = f"http://127.0.0.1:{checkout.port}"
            self._servers.append(checkout)
            site_urls.append(
                f"checkout   http://127.0.0.1:{checkout.port}/checkout.js  (demo shop: "
                f"http://127.0.0.1:{checkout.port}/demo)"
            )
        if self.options.dashboard_port >= 0:
            build = root / "dashboard" / "dist"
            # Evidence uploads go from the browser to the S3 endpoint (presigned, path-style URLs).
            upload_origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.endpoint_url))
            dashboard = DashboardSite(build, self.options.dashboard_port, self.api_base, checkout_origin, upload_origin)
            dashboard.start()
            self._servers.append(dashboard)
            built = (build / "index.html").is_file()
            sign_in = f"{TEST_MERCHANT['email']} / {TEST_MERCHANT_PASSWORD}"
            site_urls.append(
                f"dashboard  http://127.0.0.1:{dashboard.port}  (sign in: {sign_in})"
                if built
                else f"dashboard  NOT BUILT: run scripts/build-dashboard.sh ({build} is missing)"
            )
        elapsed = time.perf_counter() - started
        self.log(
            f"API        http://127.0.0.1:{api.port}  (routes from template.yaml: "
            + ", ".join(route.route_key for route in self.topology.routes)
            + ")"
        )
        for line in site_urls:
            self.log(line)
        self.log(
            f"SQS/Scheduler endpoint {self.endpoint_url}; pollers: "
            + ", ".join(
                f"{p.mapping.queue_id}->{p.mapping.function_id} (batch {p.mapping.batch_size})" for p in self._pollers
            )
        )
        for runner in self._schedules:
            self.log(f"schedule   {runner.schedule.function_id} every {runner.every_seconds:g} s")
        self.log("scheduler  one-time schedules on the endpoint are fired when due (emulated)")
        self.log(f"test merchant: X-Api-Key {TEST_MERCHANT['api_key']}, X-Api-Secret {TEST_MERCHANT['api_secret']}")
        self.log(f"ready in {elapsed:.2f} s; Ctrl-C stops everything")
        return elapsed

    def stop(self) -> None:
        for poller in self._pollers:
            poller.stop()
        for runner in self._schedules:
            runner.stop()
        if self._scheduler_emulator:
            self._scheduler_emulator.stop()
        if self._metrics_summary:
            self._metrics_summary.stop()
        for server in self._servers:
            server.stop()
        for poller in self._pollers:
            poller.join(timeout=3)
        for pool in self._pools.values():
            pool.shutdown()
        if self._emulator:
            self._emulator.stop()
        self._resources.close()
        if self._postgres:
            self._postgres.stop()
        self.log("stopped")
        sys.stdout.flush()
