"""Checks CloudFormation itself makes at create time, made offline: every Ref/GetAtt/Sub/DependsOn
names something that exists, every condition exists, and resources do not depend on each other in
a cycle (CloudFormation rejects the template; the cycle often surfaces only as a failed change set).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class Reference:
    kind: str  # Ref, GetAtt, Sub, Condition
    target: str


def references(value: Any) -> Iterator[Reference]:
    """Every name a fragment of a template refers to."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
        return
    if not isinstance(value, dict):
        return
    for key, arg in value.items():
        if key == "Ref" and isinstance(arg, str):
            yield Reference("Ref", arg)
        elif key == "Fn::GetAtt":
            target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
            yield Reference("GetAtt", str(target))
        elif key == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            for name in _SUB_VARIABLE.findall(text):
                root = name.split(".", 1)[0].strip()
                if root not in local:
                    yield Reference("GetAtt" if "." in name and not name.startswith("AWS::") else "Sub", root)
            yield from references(local)
        elif key == "Fn::If":
            yield Reference("Condition", str(arg[0]))
            yield from references(arg[1:])
        elif key == "Condition" and isinstance(arg, str):
            yield Reference("Condition", arg)
        else:
            yield from references(arg)


def _depends_on(resource: dict[str, Any]) -> list[str]:
    value = resource.get("DependsOn", [])
    return [value] if isinstance(value, str) else list(value)


def resource_edges(template: dict[str, Any]) -> dict[str, set[str]]:
    """Resource → the resources it waits for (references in properties and metadata, DependsOn)."""
    resources: dict[str, Any] = template.get("Resources", {})
    edges: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        body = {key: resource.get(key) for key in ("Properties", "Metadata")}
        targets = {ref.target for ref in references(body) if ref.kind != "Condition"}
        targets.update(_depends_on(resource))
        edges[logical_id] = {target for target in targets if target in resources}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member, or a self-reference (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(edges.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def dependency_problems(template: dict[str, Any]) -> list[str]:
    """Human-readable problems; empty when CloudFormation can order and resolve everything."""
    parameters = set(template.get("Parameters", {}))
    resources: dict[str, Any] = template.get("Resources", {})
    conditions = set(template.get("Conditions", {}))
    problems: list[str] = []

    def check(where: str, fragment: Any) -> None:
        for ref in references(fragment):
            if ref.kind == "Condition":
                if ref.target not in conditions:
                    problems.append(f"{where}: unknown condition {ref.target!r}")
            elif ref.kind == "GetAtt":
                if ref.target not in resources:
                    problems.append(f"{where}: Fn::GetAtt of unknown resource {ref.target!r}")
            elif ref.target not in parameters | set(resources) | PSEUDO_PARAMETERS:
                problems.append(f"{where}: {ref.kind} to unknown name {ref.target!r}")

    for logical_id, resource in resources.items():
        check(f"Resources.{logical_id}", {key: resource.get(key) for key in ("Properties", "Metadata", "Condition")})
        for target in _depends_on(resource):
            if target not in resources:
                problems.append(f"Resources.{logical_id}: DependsOn unknown resource {target!r}")
    for name, condition in template.get("Conditions", {}).items():
        check(f"Conditions.{name}", condition)
    for name, output in template.get("Outputs", {}).items():
        check(f"Outputs.{name}", output)
    for component in cycles(resource_edges(template)):
        problems.append("dependency cycle: " + " -> ".join([*component, component[0]]))
    return problems
