"""What the gateway costs in us-east-1: idle per month per profile, and per million payments.

    python -m deploy.cost            # the table
    python -m deploy.cost --json     # the same figures as JSON

Everything the bill depends on is read, not restated: the resources, memory sizes, architectures,
SnapStart, schedules, event-source mappings and concurrency from template.yaml (resolved for each
`Profile`, the other parameters at their defaults); list prices, with the date they were checked
and their sources, from deploy/prices.json; each function's billed milliseconds per item (an API
request or a queue record) from benchmarks/billed.json, which `make bench-burst` writes, or a clearly
labelled built-in default until that file exists. Amounts are Decimal USD, rounded only to print.
One module (~900 lines) on purpose: it is a report whose every line traces to one template fact and
one dated price, and reads best top to bottom; nothing deployed imports it.

Idle is what the stack bills with no traffic at all (a month of 730 hours): capacity floors, the NAT,
secrets, alarms, the scheduled relay's invocations and the database time they keep awake, SQS
pollers, storage at rest. Variable is what one million payments add, each one order, one payment,
three webhooks and a tenth of a refund.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from stack.template import (
    default_parameters,
    evaluate_conditions,
    load_template,
    parse_rate,
    resolve_conditionals,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
PRICES = ROOT / "deploy" / "prices.json"
BILLED = ROOT / "benchmarks" / "billed.json"
PROFILES = ("production", "lean")
LEAN_IDLE_TARGET_USD = Decimal("15")
MILLION = Decimal(1_000_000)
SECONDS_PER_HOUR = Decimal(3600)
MEASURED_FUNCTIONS = ("Api", "ProcessPayment", "ProcessRefund", "DeliverWebhook")


# --- Prices ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceBook:
    as_of: str
    region: str
    source: str
    hours_per_month: Decimal
    prices: dict[str, Decimal]
    assumptions: dict[str, Decimal]
    notes: dict[str, str]
    api_requests: dict[str, Decimal]
    queue_records: dict[str, Decimal]
    queue_send_calls: Decimal
    workload_note: str
    default_billed: dict[str, FunctionBilling]
    always_free: dict[str, Decimal]

    def price(self, name: str) -> Decimal:
        return self.prices[name]

    def assume(self, name: str) -> Decimal:
        return self.assumptions[name]

    @property
    def seconds_per_month(self) -> Decimal:
        return self.hours_per_month * SECONDS_PER_HOUR


@dataclass(frozen=True)
class FunctionBilling:
    billed_ms_per_item: Decimal
    invocations_per_item: Decimal


def load_prices(path: Path = PRICES) -> PriceBook:
    data = json.loads(path.read_text())
    workload = data["workload_per_payment"]
    return PriceBook(
        as_of=data["as_of"],
        region=data["region"],
        source=data["source"],
        hours_per_month=Decimal(data["hours_per_month"]),
        prices={name: Decimal(entry["usd"]) for name, entry in data["prices"].items()},
        assumptions={name: Decimal(entry["value"]) for name, entry in data["assumptions"].items()},
        notes={
            **{name: entry["source"] for name, entry in data["prices"].items()},
            **{name: entry["note"] for name, entry in data["assumptions"].items()},
        },
        api_requests={name: Decimal(n) for name, n in workload["api_requests"].items()},
        queue_records={name: Decimal(n) for name, n in workload["queue_records"].items()},
        queue_send_calls=Decimal(workload["queue_send_calls"]),
        workload_note=workload["note"],
        default_billed=_billing(data["default_billed"]["functions"]),
        always_free={name: Decimal(n) for name, n in data["always_free"].items() if name != "note"},
    )


def _billing(functions: Mapping[str, Mapping[str, Any]]) -> dict[str, FunctionBilling]:
    """Per function (`Api` or its logical id `ApiFunction`, both accepted)."""
    return {
        function_name(name): FunctionBilling(
            billed_ms_per_item=Decimal(str(entry["billed_ms_per_item"])),
            invocations_per_item=Decimal(str(entry.get("invocations_per_item", 1))),
        )
        for name, entry in functions.items()
    }


@dataclass(frozen=True)
class Billed:
    """The billed milliseconds the variable cost and the capacity use, and where they came from."""

    functions: dict[str, FunctionBilling]
    source: str  # "measured" or "default"
    detail: str


def load_billed(prices: PriceBook, path: Path = BILLED) -> Billed:
    if not path.exists():
        return Billed(
            prices.default_billed,
            "default",
            f"BUILT-IN DEFAULT: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} does not exist "
            "yet (make bench writes it); these are estimates, not measurements",
        )
    data = json.loads(path.read_text())
    measured = _billing(data["functions"])
    missing = [name for name in MEASURED_FUNCTIONS if name not in measured]
    functions = {**{name: prices.default_billed[name] for name in missing}, **measured}
    detail = f"measured {data.get('measured_at', '?')} ({data.get('machine_speed_note', 'no note')})"
    if missing:
        detail += f"; BUILT-IN DEFAULT for {', '.join(missing)} (not in the file)"
    return Billed(functions, "measured", detail)


# --- The template, resolved for one profile -------------------------------------------------------


class ResolvedTemplate:
    """template.yaml with its parameters at their defaults (Profile as given), conditions evaluated,
    `Fn::If` and parameter `Ref`s resolved, and resources whose condition is false left out."""

    def __init__(self, template: Mapping[str, Any], overrides: Mapping[str, str]) -> None:
        self.template = template
        self.parameters = default_parameters(template, overrides)
        self.conditions = evaluate_conditions(template, self.parameters)
        self.resources = {
            logical_id: {**resource, "Properties": self.resolve(resource.get("Properties") or {})}
            for logical_id, resource in (template.get("Resources") or {}).items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }

    def condition(self, name: str) -> bool:
        return self.conditions[name]

    def resolve(self, value: Any) -> Any:
        return resolve_conditionals(value, self.conditions, self.parameters)

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource["Properties"]
            for logical_id, resource in self.resources.items()
            if resource["Type"] == resource_type
        }

    def functions(self) -> dict[str, dict[str, Any]]:
        """Serverless functions with Globals.Function applied (the function's own keys win)."""
        defaults = self.resolve((self.template.get("Globals") or {}).get("Function") or {})
        return {
            logical_id: {**defaults, **props} for logical_id, props in self.of_type("AWS::Serverless::Function").items()
        }


def function_name(logical_id: str) -> str:
    """`ProcessPaymentFunction` → `ProcessPayment`, the name benchmarks/billed.json uses."""
    return logical_id.removesuffix("Function")


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    memory_gb: Decimal
    architecture: str
    snapstart: bool
    reserved_concurrency: int | None


def function_specs(stack: ResolvedTemplate) -> dict[str, FunctionSpec]:
    specs = {}
    for logical_id, props in stack.functions().items():
        reserved = props.get("ReservedConcurrentExecutions")
        specs[function_name(logical_id)] = FunctionSpec(
            name=function_name(logical_id),
            memory_gb=Decimal(str(props.get("MemorySize", 128))) / 1024,
            architecture=(props.get("Architectures") or ["x86_64"])[0],
            snapstart=(props.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions",
            reserved_concurrency=None if reserved is None else int(reserved),
        )
    return specs


@dataclass(frozen=True)
class SqsMapping:
    function: str
    queue: str
    batch_size: int
    max_concurrency: int | None


def sqs_mappings(stack: ResolvedTemplate) -> list[SqsMapping]:
    mappings = []
    for logical_id, props in stack.functions().items():
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "SQS":
                continue
            event_props = event["Properties"]
            queue = event_props["Queue"]
            queue_id = queue["Fn::GetAtt"][0] if isinstance(queue, dict) and "Fn::GetAtt" in queue else str(queue)
            maximum = (event_props.get("ScalingConfig") or {}).get("MaximumConcurrency")
            mappings.append(
                SqsMapping(
                    function_name(logical_id),
                    queue_id,
                    int(event_props.get("BatchSize", 10)),
                    None if maximum is None else int(maximum),
                )
            )
    return mappings


@dataclass(frozen=True)
class Schedule:
    function: str
    every_seconds: int
    scheduler: bool  # EventBridge Scheduler (ScheduleV2), which bills per invocation; rules do not


def schedules(stack: ResolvedTemplate) -> list[Schedule]:
    found = []
    for logical_id, props in stack.functions().items():
        for event in (props.get("Events") or {}).values():
            if event.get("Type") == "Schedule":
                found.append(Schedule(function_name(logical_id), parse_rate(event["Properties"]["Schedule"]), False))
            elif event.get("Type") == "ScheduleV2":
                expression = event["Properties"]["ScheduleExpression"]
                found.append(Schedule(function_name(logical_id), parse_rate(expression), True))
    return found


# --- The model ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    item: str
    usd: Decimal
    basis: str
    # The part AWS's always-free tier would cover, were this stack the account's only use of it.
    free_usd: Decimal = Decimal(0)


@dataclass(frozen=True)
class Throughput:
    stage: str
    payments_per_second: Decimal
    basis: str


@dataclass
class ProfileCost:
    profile: str
    idle: list[Line] = field(default_factory=list)
    variable: list[Line] = field(default_factory=list)
    capacity: list[Throughput] = field(default_factory=list)

    @property
    def idle_total(self) -> Decimal:
        return sum((line.usd for line in self.idle), Decimal(0))

    @property
    def idle_after_free_tier(self) -> Decimal:
        return self.idle_total - sum((line.free_usd for line in self.idle), Decimal(0))

    @property
    def variable_total(self) -> Decimal:
        return sum((line.usd for line in self.variable), Decimal(0))

    @property
    def payments_per_second(self) -> Decimal:
        return min(stage.payments_per_second for stage in self.capacity)


def _lambda_gb_second(prices: PriceBook, architecture: str) -> Decimal:
    return prices.price(f"lambda_gb_second_{architecture}")


def _usd(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def _n(value: Decimal, places: str = "0.01") -> str:
    """A plain number for the table's explanations: rounded, no exponent, no trailing zeros."""
    text = f"{value.quantize(Decimal(places), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _parameter_group_setting(stack: ResolvedTemplate, cluster: Mapping[str, Any], name: str) -> str | None:
    group = cluster.get("DBClusterParameterGroupName")
    if isinstance(group, dict) and "Ref" in group:
        params = stack.of_type("AWS::RDS::DBClusterParameterGroup").get(group["Ref"], {})
        value = (params.get("Parameters") or {}).get(name)
        return None if value is None else str(value)
    return None


def database_awake_fraction(
    stack: ResolvedTemplate, prices: PriceBook, cluster: Mapping[str, Any]
) -> tuple[Decimal, str]:
    """How much of the month a MinCapacity-0 Aurora instance is awake while the gateway is idle.

    It pauses after SecondsUntilAutoPause with no connection. While idle, what connects is the
    scheduled relay: each run wakes it (if paused), and it stays awake for the pause window after
    the relay's connection closes, which is when its idle environment is reclaimed or the server's
    idle_session_timeout closes it. A proxy holds connections open: never paused."""
    if stack.of_type("AWS::RDS::DBProxy"):
        return Decimal(1), "RDS Proxy holds connections open: never pauses"
    scaling = cluster.get("ServerlessV2ScalingConfiguration") or {}
    pause = Decimal(str(scaling.get("SecondsUntilAutoPause", 300)))
    idle_timeout = _parameter_group_setting(stack, cluster, "idle_session_timeout")
    if idle_timeout not in (None, "0"):
        hold, hold_basis = Decimal(str(idle_timeout)) / 1000, "the server's idle_session_timeout"
    else:
        hold, hold_basis = prices.assume("lambda_connection_hold_seconds"), "assumed idle-environment lifetime"
    runs = [s for s in schedules(stack)]
    if not runs:
        return Decimal(0), "nothing connects while idle"
    every = Decimal(min(s.every_seconds for s in runs))
    awake = pause + hold + prices.assume("relay_run_seconds")
    fraction = min(Decimal(1), awake / every)
    basis = (
        f"awake {_n(awake, '1')} s per relay run every {_n(every, '1')} s "
        f"(pause after {_n(pause, '1')} s + connection held {_n(hold, '1')} s, {hold_basis}) = {_n(fraction * 100)} %"
    )
    return fraction, basis


def idle_cost(stack: ResolvedTemplate, prices: PriceBook) -> list[Line]:
    hours = prices.hours_per_month
    lines: list[Line] = []
    specs = function_specs(stack)

    for logical_id, cluster in stack.of_type("AWS::RDS::DBCluster").items():
        scaling = cluster.get("ServerlessV2ScalingConfiguration") or {}
        minimum = Decimal(str(scaling.get("MinCapacity", "0.5")))
        acu_hour = prices.price("aurora_serverless_v2_acu_hour")
        if minimum > 0:
            lines.append(
                Line(
                    "Aurora Serverless v2 capacity",
                    minimum * acu_hour * hours,
                    f"MinCapacity {minimum} ACU x {hours} h",
                )
            )
        else:
            fraction, basis = database_awake_fraction(stack, prices, cluster)
            active = prices.assume("aurora_min_active_acu")
            lines.append(
                Line(
                    "Aurora Serverless v2 capacity",
                    active * acu_hour * hours * fraction,
                    f"MinCapacity 0, auto-pause: {active} ACU while {basis}",
                )
            )
        storage = prices.assume("aurora_storage_gb")
        lines.append(
            Line("Aurora storage", storage * prices.price("aurora_storage_gb_month"), f"{storage} GB ({logical_id})")
        )

    if proxies := stack.of_type("AWS::RDS::DBProxy"):
        acus = prices.price("rds_proxy_serverless_min_acu")
        lines.append(
            Line(
                "RDS Proxy",
                len(proxies) * acus * prices.price("rds_proxy_serverless_acu_hour") * hours,
                f"{acus} ACU minimum for a Serverless v2 target x {hours} h",
            )
        )

    if nat_gateways := stack.of_type("AWS::EC2::NatGateway"):
        lines.append(
            Line(
                "NAT gateway",
                len(nat_gateways) * prices.price("nat_gateway_hour") * hours,
                f"{len(nat_gateways)} x {hours} h",
            )
        )

    public_ipv4 = len(stack.of_type("AWS::EC2::EIP"))
    for logical_id, instance in stack.of_type("AWS::EC2::Instance").items():
        instance_type = str(instance["InstanceType"])
        root_gb = prices.assume("nat_instance_root_gb")
        for mapping in instance.get("BlockDeviceMappings") or []:
            if "VolumeSize" in (mapping.get("Ebs") or {}):
                root_gb = Decimal(str(mapping["Ebs"]["VolumeSize"]))
        compute = prices.price(f"ec2_{instance_type.replace('.', '_')}_hour") * hours
        disk = root_gb * prices.price("ebs_gp3_gb_month")
        lines.append(
            Line(f"EC2 {instance_type} ({logical_id})", compute + disk, f"{hours} h + {root_gb} GB gp3 root volume")
        )
        public_ipv4 += sum(
            1
            for nic in instance.get("NetworkInterfaces") or []
            if nic.get("AssociatePublicIpAddress") in (True, "true")
        )
    if public_ipv4:
        lines.append(
            Line(
                "Public IPv4 addresses",
                public_ipv4 * prices.price("public_ipv4_hour") * hours,
                f"{public_ipv4} x {hours} h",
            )
        )

    endpoints = [
        props
        for props in stack.of_type("AWS::EC2::VPCEndpoint").values()
        if props.get("VpcEndpointType") == "Interface"
    ]
    if not endpoints:
        lines.append(Line("VPC interface endpoints", Decimal(0), "none (AWS APIs are reached through the NAT)"))
    else:
        azs = sum(len(props.get("SubnetIds") or [None]) for props in endpoints)
        lines.append(
            Line(
                "VPC interface endpoints",
                azs * prices.price("vpc_interface_endpoint_az_hour") * hours,
                f"{len(endpoints)} endpoints, {azs} endpoint-AZs x {hours} h",
            )
        )

    secrets = len(stack.of_type("AWS::SecretsManager::Secret"))
    lines.append(
        Line("Secrets Manager secrets", secrets * prices.price("secrets_manager_secret_month"), f"{secrets} secrets")
    )
    keys = len(stack.of_type("AWS::KMS::Key"))
    lines.append(
        Line(
            "KMS keys",
            keys * prices.price("kms_key_month"),
            f"{keys} customer managed keys (Aurora, SQS and S3 use AWS managed keys: free)",
        )
    )
    free = prices.always_free
    alarms = len(stack.of_type("AWS::CloudWatch::Alarm"))
    alarm_price = prices.price("cloudwatch_alarm_month")
    lines.append(
        Line(
            "CloudWatch alarms",
            alarms * alarm_price,
            f"{alarms} alarms",
            min(Decimal(alarms), free["cloudwatch_alarms"]) * alarm_price,
        )
    )
    if dashboards := len(stack.of_type("AWS::CloudWatch::Dashboard")):
        dashboard_price = prices.price("cloudwatch_dashboard_month")
        lines.append(
            Line(
                "CloudWatch dashboard",
                dashboards * dashboard_price,
                f"{dashboards} dashboard (an account's first 3 are free)",
                min(Decimal(dashboards), free["cloudwatch_dashboards"]) * dashboard_price,
            )
        )

    snapstart = [spec for spec in specs.values() if spec.snapstart]
    if snapstart:
        gb = sum((spec.memory_gb for spec in snapstart), Decimal(0))
        lines.append(
            Line(
                "Lambda SnapStart snapshot cache",
                gb * prices.seconds_per_month * prices.price("lambda_snapstart_cache_gb_second"),
                f"{len(snapstart)} functions, {_n(gb)} GB, one active version each "
                "(older published versions bill too until deleted)",
            )
        )

    for schedule in schedules(stack):
        spec = specs[schedule.function]
        runs = prices.seconds_per_month / schedule.every_seconds
        run_seconds = prices.assume("relay_run_seconds")
        gb_seconds = runs * run_seconds * spec.memory_gb
        lambda_usd = runs * prices.price("lambda_request_million") / MILLION
        lambda_usd += gb_seconds * _lambda_gb_second(prices, spec.architecture)
        within = runs <= free["lambda_requests"] and gb_seconds <= free["lambda_gb_seconds"]
        scheduler_usd = runs * prices.price("eventbridge_scheduler_invocation_million") / MILLION
        lines.append(
            Line(
                f"Scheduled {schedule.function} runs",
                lambda_usd + (scheduler_usd if schedule.scheduler else Decimal(0)),
                f"{_n(runs, '1')} runs of {run_seconds} s at {_n(spec.memory_gb * 1024, '1')} MB {spec.architecture}",
                lambda_usd if within else Decimal(0),
            )
        )

    if mappings := sqs_mappings(stack):
        pollers = prices.assume("sqs_idle_pollers_per_mapping")
        calls = len(mappings) * pollers * prices.seconds_per_month / prices.assume("sqs_long_poll_seconds")
        request_price = prices.price("sqs_request_million") / MILLION
        lines.append(
            Line(
                "SQS idle polling",
                calls * request_price,
                f"{len(mappings)} event-source mappings x {pollers} long-polling receivers: "
                f"{_n(calls / MILLION)} M requests",
                min(calls, free["sqs_requests"]) * request_price,
            )
        )

    buckets = len(stack.of_type("AWS::S3::Bucket"))
    sites = prices.assume("static_sites_gb")
    logs = prices.assume("log_gb_at_rest")
    logs_usd = logs * prices.assume("cloudwatch_logs_storage_gb_month")
    lines.append(
        Line(
            "S3, CloudFront and logs at rest",
            sites * prices.price("s3_standard_gb_month") + logs_usd,
            f"{sites} GB in {buckets} buckets (CloudFront bills requests only), {logs} GB of logs",
            logs_usd if logs <= free["cloudwatch_logs_gb"] else Decimal(0),
        )
    )
    return lines


def _per_payment_items(prices: PriceBook) -> dict[str, Decimal]:
    return {**prices.api_requests, **prices.queue_records}


def variable_cost(stack: ResolvedTemplate, prices: PriceBook, billed: Billed) -> list[Line]:
    """Per million payments."""
    lines: list[Line] = []
    specs = function_specs(stack)
    invocations = Decimal(0)
    for name, per_payment in _per_payment_items(prices).items():
        spec, bill = specs[name], billed.functions[name]
        items = per_payment * MILLION
        requests = items * bill.invocations_per_item
        gb_seconds = items * bill.billed_ms_per_item / 1000 * spec.memory_gb
        usd = requests * prices.price("lambda_request_million") / MILLION
        usd += gb_seconds * _lambda_gb_second(prices, spec.architecture)
        invocations += requests
        lines.append(
            Line(
                f"Lambda {name}",
                usd,
                f"{_n(items / MILLION)} M items x {bill.billed_ms_per_item} ms at {_n(spec.memory_gb * 1024, '1')} MB "
                f"{spec.architecture}, {bill.invocations_per_item} invocations per item",
            )
        )
    api_requests = sum(prices.api_requests.values(), Decimal(0)) * MILLION
    lines.append(
        Line(
            "API Gateway HTTP API",
            api_requests * prices.price("http_api_request_million") / MILLION,
            f"{_n(api_requests / MILLION)} M requests",
        )
    )

    sends = prices.queue_send_calls
    batches = sum(
        (n * billed.functions[name].invocations_per_item for name, n in prices.queue_records.items()), Decimal(0)
    )
    sqs_calls = (sends + 2 * batches) * prices.assume("sqs_request_size_chunks") * MILLION
    lines.append(
        Line(
            "SQS requests",
            sqs_calls * prices.price("sqs_request_million") / MILLION,
            f"per payment {sends} batched sends + {_n(batches)} receives + {_n(batches)} batch deletes",
        )
    )
    clusters = stack.of_type("AWS::RDS::DBCluster")
    if clusters:
        acu_seconds = prices.assume("aurora_acu_seconds_per_payment") * MILLION
        lines.append(
            Line(
                "Aurora capacity for the work (estimate)",
                acu_seconds / SECONDS_PER_HOUR * prices.price("aurora_serverless_v2_acu_hour"),
                f"{prices.assume('aurora_acu_seconds_per_payment')} ACU-s per payment",
            )
        )
        io = prices.assume("aurora_io_per_payment") * MILLION
        lines.append(
            Line(
                "Aurora I/O (estimate)",
                io * prices.price("aurora_io_million") / MILLION,
                f"{prices.assume('aurora_io_per_payment')} I/O per payment",
            )
        )
    log_bytes = invocations * prices.assume("log_bytes_per_invocation") + api_requests * prices.assume(
        "access_log_bytes_per_request"
    )
    lines.append(
        Line(
            "CloudWatch Logs ingestion",
            log_bytes / Decimal(1024**3) * prices.price("cloudwatch_logs_ingest_gb"),
            f"{_n(log_bytes / Decimal(1024**3))} GB",
        )
    )
    if any(props.get("Tracing") == "Active" for props in stack.functions().values()):
        traces = api_requests * prices.assume("xray_traces_per_api_request")
        lines.append(
            Line(
                "X-Ray traces (active tracing)",
                traces * prices.price("xray_trace_recorded_million") / MILLION,
                f"{_n(traces / MILLION)} M traces",
            )
        )
    if stack.of_type("AWS::EC2::NatGateway"):
        gb = prices.assume("nat_bytes_per_payment") * MILLION / Decimal(1024**3)
        lines.append(Line("NAT gateway data processed", gb * prices.price("nat_gateway_gb"), f"{_n(gb)} GB"))
    return lines


def capacity(stack: ResolvedTemplate, prices: PriceBook, billed: Billed) -> list[Throughput]:
    """Payments a second each stage sustains at the template's concurrency: a queue's consumer
    handles MaximumConcurrency batches at once, each of BatchSize records billed for BatchSize x the
    billed ms per record, so MaximumConcurrency x BatchSize / (BatchSize x ms / 1000) records a
    second; divided by that function's records per payment. The API: its reserved concurrency over
    the billed seconds per request, and the HTTP API's route throttle, each over requests per payment."""
    stages: list[Throughput] = []
    per_payment = _per_payment_items(prices)
    first_lane: dict[str, SqsMapping] = {}
    for mapping in sqs_mappings(stack):
        # A function fed by two queues (the webhooks' fast and slow lanes): first attempts go to the
        # one with the higher concurrency.
        current = first_lane.get(mapping.function)
        if current is None or (mapping.max_concurrency or 1000) > (current.max_concurrency or 1000):
            first_lane[mapping.function] = mapping
    for name, mapping in first_lane.items():
        if name not in per_payment:
            continue
        ms = billed.functions[name].billed_ms_per_item
        if ms <= 0:
            continue
        concurrency = Decimal(mapping.max_concurrency or 1000)
        batch = Decimal(mapping.batch_size)
        records = concurrency * batch / (batch * ms / 1000)
        stages.append(
            Throughput(
                f"{name} ({mapping.queue})",
                records / per_payment[name],
                f"{concurrency} concurrent x {batch} records / ({batch} x {ms} ms) = {_n(records, '1')} records/s, "
                f"{per_payment[name]} per payment",
            )
        )
    api = function_specs(stack).get("Api")
    requests_per_payment = sum(prices.api_requests.values(), Decimal(0))
    if api is not None and billed.functions["Api"].billed_ms_per_item > 0:
        ms = billed.functions["Api"].billed_ms_per_item
        reserved = Decimal(api.reserved_concurrency) if api.reserved_concurrency else Decimal(1000)
        label = "reserved concurrency" if api.reserved_concurrency else "no reservation: the account's 1000"
        requests = reserved / (ms / 1000)
        stages.append(
            Throughput(
                "Api (concurrency)",
                requests / requests_per_payment,
                f"{reserved} ({label}) / {ms} ms = {_n(requests, '1')} requests/s, {requests_per_payment} per payment",
            )
        )
    for props in stack.of_type("AWS::Serverless::HttpApi").values():
        rate = (props.get("DefaultRouteSettings") or {}).get("ThrottlingRateLimit")
        if rate is not None:
            stages.append(
                Throughput(
                    "HTTP API route throttle",
                    Decimal(str(rate)) / requests_per_payment,
                    f"{rate} requests/s, {requests_per_payment} per payment",
                )
            )
    return stages


def model(
    profile: str,
    template: Mapping[str, Any],
    prices: PriceBook,
    billed: Billed,
    parameters: Mapping[str, str] | None = None,
) -> ProfileCost:
    stack = ResolvedTemplate(template, {**(parameters or {}), "Profile": profile})
    return ProfileCost(
        profile, idle_cost(stack, prices), variable_cost(stack, prices, billed), capacity(stack, prices, billed)
    )


def profiles_in(template: Mapping[str, Any]) -> tuple[str, ...]:
    """The template's profiles (its Profile parameter's allowed values), production first."""
    allowed = ((template.get("Parameters") or {}).get("Profile") or {}).get("AllowedValues")
    return tuple(allowed) if allowed else ("production",)


# --- Output ---------------------------------------------------------------------------------------


def _table(rows: Iterable[tuple[str, list[str]]], headers: list[str], totals: int = 0) -> list[str]:
    """Aligned columns; the last `totals` rows under a rule."""
    rows = list(rows)
    width = max([len(headers[0]), *(len(item) for item, _ in rows)])
    columns = [max(len(headers[i + 1]), *(len(values[i]) for _, values in rows)) for i in range(len(headers) - 1)]

    def line(item: str, values: list[str]) -> str:
        return "  " + item.ljust(width) + "".join(f"  {v.rjust(w)}" for v, w in zip(values, columns, strict=True))

    out = [line(headers[0], headers[1:])]
    for index, (item, values) in enumerate(rows):
        if totals and index == len(rows) - totals:
            out.append("  " + "-" * (width + sum(w + 2 for w in columns)))
        out.append(line(item, values))
    return out


def _side_by_side(costs: list[ProfileCost], attribute: str) -> list[tuple[str, list[str]]]:
    items: list[str] = []
    for cost in costs:
        for line in getattr(cost, attribute):
            if line.item not in items:
                items.append(line.item)
    rows = []
    for item in items:
        values = []
        for cost in costs:
            found = [line.usd for line in getattr(cost, attribute) if line.item == item]
            values.append(_usd(found[0]) if found else "-")
        rows.append((item, values))
    return rows


def render(costs: list[ProfileCost], prices: PriceBook, billed: Billed) -> str:
    names = [cost.profile for cost in costs]
    out = [
        f"Gateway cost model: {prices.region} list prices as of {prices.as_of} (deploy/prices.json),"
        " template.yaml per Profile",
        "",
        f"Idle, per month ({prices.hours_per_month} h, no traffic)",
        *_table(
            [
                *_side_by_side(costs, "idle"),
                ("Total idle (list prices)", [_usd(cost.idle_total) for cost in costs]),
                ("Total idle after AWS's always-free tier", [_usd(cost.idle_after_free_tier) for cost in costs]),
            ],
            ["", *names],
            totals=2,
        ),
        "",
        f"Per million payments ({prices.workload_note})",
        *_table(
            [
                *_side_by_side(costs, "variable"),
                ("Total per million payments", [_usd(cost.variable_total) for cost in costs]),
            ],
            ["", *names],
            totals=1,
        ),
        "",
        f"Billed ms per item used ({billed.detail}):",
    ]
    for name, bill in billed.functions.items():
        out.append(f"  {name}: {bill.billed_ms_per_item} ms per item, {bill.invocations_per_item} invocations per item")
    for cost in costs:
        out += ["", f"Capacity, {cost.profile}: {_n(cost.payments_per_second, '0.1')} payments/s (the slowest stage)"]
        for stage in cost.capacity:
            out.append(f"  {stage.stage}: {_n(stage.payments_per_second, '0.1')} payments/s = {stage.basis}")
    for cost in costs:
        out += ["", f"How the idle lines of {cost.profile} are computed:"]
        out += [f"  {line.item}: {line.basis}" for line in cost.idle]
    if "lean" in names:
        lean = costs[names.index("lean")]

        def verdict(total: Decimal) -> str:
            return "within" if total <= LEAN_IDLE_TARGET_USD else "OVER"

        out += [
            "",
            f"Lean idle: {_usd(lean.idle_total)} a month at list prices ({verdict(lean.idle_total)} the "
            f"{_usd(LEAN_IDLE_TARGET_USD)} target), {_usd(lean.idle_after_free_tier)} after the always-free tier "
            f"({verdict(lean.idle_after_free_tier)} the target).",
        ]
    return "\n".join(out)


def as_json(costs: list[ProfileCost], prices: PriceBook, billed: Billed) -> dict[str, Any]:
    def lines(items: list[Line]) -> list[dict[str, str]]:
        return [
            {"item": line.item, "usd": str(line.usd), "always_free_usd": str(line.free_usd), "basis": line.basis}
            for line in items
        ]

    return {
        "as_of": prices.as_of,
        "region": prices.region,
        "billed": {
            "source": billed.source,
            "detail": billed.detail,
            "functions": {
                name: {k: str(v) for k, v in asdict(bill).items()} for name, bill in billed.functions.items()
            },
        },
        "profiles": {
            cost.profile: {
                "idle": lines(cost.idle),
                "idle_total_usd": str(cost.idle_total),
                "idle_after_always_free_tier_usd": str(cost.idle_after_free_tier),
                "variable_per_million_payments": lines(cost.variable),
                "variable_total_usd": str(cost.variable_total),
                "capacity": {
                    "payments_per_second": str(cost.payments_per_second),
                    "stages": [
                        {"stage": s.stage, "payments_per_second": str(s.payments_per_second), "basis": s.basis}
                        for s in cost.capacity
                    ],
                },
            }
            for cost in costs
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.cost", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--prices", type=Path, default=PRICES)
    parser.add_argument("--billed", type=Path, default=BILLED)
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter other than its default (e.g. ExistingDatabaseSecretArn=arn:...)",
    )
    args = parser.parse_args(argv)
    parameters = dict(item.split("=", 1) for item in args.parameter)
    template = load_template(args.template)
    prices = load_prices(args.prices)
    billed = load_billed(prices, args.billed)
    costs = [model(profile, template, prices, billed, parameters) for profile in profiles_in(template)]
    if args.json:
        json.dump(as_json(costs, prices, billed), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(render(costs, prices, billed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
