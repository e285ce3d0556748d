"""Reads the SAM template: functions (with Globals applied), HTTP routes, queues and SQS mappings.

This is the only description of the topology; the local runtime (devstack/) and the deploy tooling
(deploy/: translation, IAM parity, connection budget, cost model) derive everything from it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_SHORT_TAGS = {"Ref": "Ref", "Condition": "Condition"}


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub ...`)."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _SHORT_TAGS.get(tag_suffix, f"Fn::{tag_suffix}")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return loaded


@dataclass(frozen=True)
class HttpRoute:
    method: str  # upper case, or ANY
    path: str  # API Gateway syntax: /a/{id}/{proxy+}
    function_id: str

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Path parameters when this route serves the request, else None."""
        if self.method not in ("ANY", method.upper()):
            return None
        pattern = ""
        for segment in re.split(r"(\{[^}]+\})", self.path):
            if segment.startswith("{") and segment.endswith("+}"):
                pattern += f"(?P<{segment[1:-2]}>.+)"
            elif segment.startswith("{"):
                pattern += f"(?P<{segment[1:-1]}>[^/]+)"
            else:
                pattern += re.escape(segment)
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None


@dataclass(frozen=True)
class SqsMapping:
    function_id: str
    queue_id: str
    batch_size: int
    reports_item_failures: bool
    max_concurrency: int


@dataclass(frozen=True)
class ScheduledInvocation:
    function_id: str
    event_id: str
    every_seconds: int
    input: str | None = None  # the Schedule event's Input: EventBridge sends it as the event


_RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def parse_rate(expression: str) -> int:
    """Seconds between runs for `rate(N unit)`; cron expressions are not emulated locally."""
    found = re.fullmatch(r"rate\((\d+) (\w+)\)", expression.strip())
    if not found or found.group(2) not in _RATE_UNITS:
        raise ValueError(f"unsupported schedule expression {expression!r} (only rate(...) runs locally)")
    return int(found.group(1)) * _RATE_UNITS[found.group(2)]


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    visibility_timeout: int
    dead_letter_queue_id: str | None
    max_receive_count: int | None
    # The SQS attributes the template's properties set (RedrivePolicy aside: it names an ARN).
    attributes: dict[str, str] = field(default_factory=dict)


# AWS::SQS::Queue properties that are queue attributes of the same name, with SQS's defaults.
QUEUE_ATTRIBUTE_DEFAULTS = {
    "VisibilityTimeout": "30",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "MaximumMessageSize": "262144",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
}


def _attribute_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: str
    handler: str
    timeout: int
    environment: dict[str, Any] = field(default_factory=dict)
    layer_uris: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def function_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass
class Topology:
    functions: dict[str, FunctionSpec]
    routes: list[HttpRoute]
    queues: dict[str, QueueSpec]
    sqs_mappings: list[SqsMapping]
    schedules: list[ScheduledInvocation]
    schedule_groups: dict[str, str]  # logical id -> Name (may hold intrinsics)
    parameters: dict[str, Any]
    # S3 buckets a function is told about in its environment (the ones functions use; the static
    # sites' buckets are CloudFront's), in template order: by Ref/GetAtt/Sub, or by the bucket's own
    # fixed BucketName spelt out in a function's environment (EvidenceBucket: a Ref would be a cycle).
    buckets: list[str] = field(default_factory=list)
    # Their BucketName and CorsConfiguration where the template sets them (may hold intrinsics).
    bucket_names: dict[str, Any] = field(default_factory=dict)
    bucket_cors: dict[str, Any] = field(default_factory=dict)

    def route_for(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        # Most specific first: API Gateway prefers literal segments over greedy ones.
        for route in sorted(self.routes, key=lambda r: (r.path.count("+"), -len(r.path))):
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return copy.deepcopy(override)


def _ref_id(value: Any) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise ValueError(f"expected !Ref or !GetAtt, got {value!r}")


_NO_VALUE = object()


def resolve_conditionals(value: Any, conditions: Mapping[str, bool], parameters: Mapping[str, Any]) -> Any:
    """`value` with every Fn::If replaced by the branch `conditions` take, `!Ref AWS::NoValue` left
    out and `!Ref` of a parameter replaced by its value (other intrinsics stay as they are)."""
    if isinstance(value, list):
        items = (resolve_conditionals(item, conditions, parameters) for item in value)
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::If":
            name, when_true, when_false = argument
            return resolve_conditionals(when_true if conditions[name] else when_false, conditions, parameters)
        if function == "Ref" and argument == "AWS::NoValue":
            return _NO_VALUE
        if function == "Ref" and argument in parameters:
            return parameters[argument]
    resolved = ((key, resolve_conditionals(item, conditions, parameters)) for key, item in value.items())
    return {key: item for key, item in resolved if item is not _NO_VALUE}


def default_parameters(template: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every parameter at its default, as text, unless `overrides` gives it."""
    defaults = {name: str(spec.get("Default", "")) for name, spec in (template.get("Parameters") or {}).items()}
    return {**defaults, **(overrides or {})}


def read_topology(template: dict[str, Any]) -> Topology:
    resources: dict[str, Any] = template.get("Resources", {})
    # An event's properties may differ per profile (the relay's schedule): locally the defaults run.
    defaults = default_parameters(template)
    default_conditions = evaluate_conditions(template, defaults)
    function_globals = template.get("Globals", {}).get("Function", {})
    functions: dict[str, FunctionSpec] = {}
    routes: list[HttpRoute] = []
    mappings: list[SqsMapping] = []
    schedules: list[ScheduledInvocation] = []
    queues: dict[str, QueueSpec] = {}
    schedule_groups: dict[str, str] = {}

    for logical_id, resource in resources.items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        if kind == "AWS::Serverless::Function":
            merged = _merge(function_globals, props)
            layers = tuple(resources[_ref_id(layer)]["Properties"]["ContentUri"] for layer in merged.get("Layers", []))
            functions[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_uri=merged["CodeUri"],
                handler=merged["Handler"],
                timeout=int(merged.get("Timeout", 3)),
                environment=merged.get("Environment", {}).get("Variables", {}),
                layer_uris=layers,
            )
            for event_id, event in merged.get("Events", {}).items():
                event_props = resolve_conditionals(event.get("Properties", {}), default_conditions, defaults)
                if event["Type"] == "HttpApi":
                    routes.append(HttpRoute(event_props.get("Method", "ANY").upper(), event_props["Path"], logical_id))
                elif event["Type"] in ("Schedule", "ScheduleV2"):
                    every = parse_rate(event_props["Schedule" if event["Type"] == "Schedule" else "ScheduleExpression"])
                    schedules.append(ScheduledInvocation(logical_id, event_id, every, event_props.get("Input")))
                elif event["Type"] == "SQS":
                    mappings.append(
                        SqsMapping(
                            function_id=logical_id,
                            queue_id=_ref_id(event_props["Queue"]),
                            batch_size=int(event_props.get("BatchSize", 10)),
                            reports_item_failures="ReportBatchItemFailures"
                            in event_props.get("FunctionResponseTypes", []),
                            max_concurrency=int(event_props.get("ScalingConfig", {}).get("MaximumConcurrency", 2)),
                        )
                    )
        elif kind == "AWS::SQS::Queue":
            redrive = props.get("RedrivePolicy") or {}
            queues[logical_id] = QueueSpec(
                logical_id=logical_id,
                visibility_timeout=int(props.get("VisibilityTimeout", 30)),
                dead_letter_queue_id=_ref_id(redrive["deadLetterTargetArn"]) if redrive else None,
                max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
                attributes={
                    name: _attribute_text(props.get(name, default))
                    for name, default in QUEUE_ATTRIBUTE_DEFAULTS.items()
                },
            )
        elif kind == "AWS::Scheduler::ScheduleGroup":
            schedule_groups[logical_id] = props.get("Name", logical_id)

    bucket_props = {
        logical_id: r.get("Properties", {}) for logical_id, r in resources.items() if r.get("Type") == "AWS::S3::Bucket"
    }
    named = set().union(*(_referenced(spec.environment) for spec in functions.values())) if functions else set()
    spelt_out = [value for spec in functions.values() for value in spec.environment.values()]
    named |= {logical_id for logical_id, props in bucket_props.items() if props.get("BucketName") in spelt_out}
    buckets = [logical_id for logical_id in resources if logical_id in bucket_props.keys() & named]
    return Topology(
        functions,
        routes,
        queues,
        mappings,
        schedules,
        schedule_groups,
        template.get("Parameters", {}),
        buckets,
        {b: bucket_props[b]["BucketName"] for b in buckets if "BucketName" in bucket_props[b]},
        {b: bucket_props[b]["CorsConfiguration"] for b in buckets if "CorsConfiguration" in bucket_props[b]},
    )


# CloudFormation's names for a CORS rule's fields -> S3 PutBucketCors's.
_CORS_FIELDS = {
    "AllowedHeaders": "AllowedHeaders",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "ExposedHeaders": "ExposeHeaders",
    "Id": "ID",
    "MaxAge": "MaxAgeSeconds",
}


def s3_cors_configuration(configuration: Mapping[str, Any], resolve: Resolver) -> dict[str, Any]:
    """A bucket's CorsConfiguration as S3's PutBucketCors takes it, each value resolved."""

    def value(item: Any) -> Any:
        return [resolve(element) for element in item] if isinstance(item, list) else resolve(item)

    rules = [{_CORS_FIELDS[name]: value(item) for name, item in rule.items()} for rule in configuration["CorsRules"]]
    return {"CORSRules": rules}


def _referenced(value: Any) -> set[str]:
    """Logical ids a value names through Ref, GetAtt or Sub (`${Name}`, `${Name.Attribute}`)."""
    if isinstance(value, list):
        return set().union(*(_referenced(item) for item in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    for key, argument in value.items():
        if key == "Ref" and isinstance(argument, str):
            found.add(argument)
        elif key == "Fn::GetAtt":
            found.add(str(argument[0]))
        elif key == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            found |= {name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", str(text))}
            found |= _referenced(argument[1] if isinstance(argument, list) else [])
        else:
            found |= _referenced(argument)
    return found


Resolver = Callable[[Any], Any]


def evaluate_conditions(template: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, bool]:
    """The template's Conditions for the given parameter values (Equals/Not/And/Or/Condition/Ref)."""
    conditions: dict[str, Any] = template.get("Conditions", {})
    results: dict[str, bool] = {}

    def value(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((name, arg),) = node.items()
            if name == "Ref":
                return parameters[arg]
            if name == "Condition":
                return condition(arg)
            if name == "Fn::Equals":
                return str(value(arg[0])) == str(value(arg[1]))
            if name == "Fn::Not":
                return not value(arg[0])
            if name == "Fn::And":
                return all(value(item) for item in arg)
            if name == "Fn::Or":
                return any(value(item) for item in arg)
            raise ValueError(f"cannot evaluate {name} in a condition locally")
        return node

    def condition(name: str) -> bool:
        if name not in results:
            results[name] = bool(value(conditions[name]))
        return results[name]

    for name in conditions:
        condition(name)
    return results


def make_resolver(
    values: Mapping[str, str],
    attributes: Mapping[tuple[str, str], str],
    conditions: Mapping[str, bool] | None = None,
    not_emulated: frozenset[str] = frozenset(),
) -> Resolver:
    """Resolves !Ref, !GetAtt, !Sub, !Join, !Split, !Select and !If against local values (queue URLs, parameters, pseudo
    parameters). Resources in `not_emulated` (a secret, RDS Proxy) have no local counterpart and
    resolve to "": the local runtime configures what they stand for directly (DATABASE_URL)."""
    conditions = conditions or {}

    def ref(name: str) -> str:
        return "" if name in not_emulated else values[name]

    def attribute(resource: str, name: str) -> str:
        return "" if resource in not_emulated else attributes[(resource, name)]

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((name, arg),) = value.items()
            if name == "Ref":
                return ref(arg)
            if name == "Fn::GetAtt":
                return attribute(arg[0], arg[1])
            if name == "Fn::If":
                return resolve(arg[1] if conditions[arg[0]] else arg[2])
            if name == "Fn::Join":
                return str(arg[0]).join(str(resolve(item)) for item in arg[1])
            if name == "Fn::Split":
                return str(resolve(arg[1])).split(str(arg[0]))
            if name == "Fn::Select":
                return resolve(arg[1])[int(arg[0])]
            if name == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                local = {key: str(resolve(item)) for key, item in variables.items()}

                def substitute(found: re.Match[str]) -> str:
                    key = found.group(1)
                    if key in local:
                        return local[key]
                    if "." in key:
                        resource, attribute_name = key.split(".", 1)
                        return attribute(resource, attribute_name)
                    return ref(key)

                return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if isinstance(value, (dict, list)):
            raise ValueError(f"cannot resolve {value!r} locally")
        return value

    return resolve
