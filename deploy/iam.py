"""Which AWS calls a function's role allows, from the translated template: the check behind the
IAM parity test, which records every call the functions really make and asks this module whether
the deployed role would let it through."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from stack.template import Resolver

# Batch operations have no IAM action of their own: each is authorised as its single form.
_BATCH_ACTIONS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    # S3's multipart operations are authorised as the object's PutObject (Abort has its own action);
    # a presigned GET as the GetObject it performs.
    "s3:CreateMultipartUpload": "s3:PutObject",
    "s3:UploadPart": "s3:PutObject",
    "s3:CompleteMultipartUpload": "s3:PutObject",
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action that authorises an API operation (`sqs:SendMessageBatch` → `sqs:SendMessage`,
    `s3:UploadPart` → `s3:PutObject`)."""
    action = f"{service}:{operation}"
    return _BATCH_ACTIONS.get(action, action)


@dataclass(frozen=True)
class AwsCall:
    """One API call as IAM sees it: `service:Operation` on a resource ARN."""

    function_id: str
    action: str
    resource: str


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def matches(self, call: AwsCall) -> bool:
        action = call.action.lower()
        return any(fnmatchcase(action, pattern.lower()) for pattern in self.actions) and any(
            fnmatchcase(call.resource, pattern) for pattern in self.resources
        )


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def role_statements(template: dict[str, Any], role_id: str, resolve: Resolver) -> list[Statement]:
    """The inline policy statements of a role, their resources resolved to concrete ARNs."""
    role = template["Resources"][role_id]["Properties"]
    statements = []
    for policy in role.get("Policies", []):
        for raw in _as_tuple(policy["PolicyDocument"]["Statement"]):
            statements.append(
                Statement(
                    effect=raw["Effect"],
                    actions=_as_tuple(raw["Action"]),
                    resources=tuple(str(resolve(resource)) for resource in _as_tuple(raw.get("Resource", "*"))),
                )
            )
    return statements


def function_role_id(template: dict[str, Any], function_id: str) -> str:
    role = template["Resources"][function_id]["Properties"]["Role"]
    return str(role["Fn::GetAtt"][0])


def denied_calls(template: dict[str, Any], calls: list[AwsCall], resolve: Resolver) -> list[AwsCall]:
    """The calls the function's role would refuse: no Allow matches, or a Deny does."""
    denied = []
    for call in calls:
        statements = role_statements(template, function_role_id(template, call.function_id), resolve)
        allowed = any(s.effect == "Allow" and s.matches(call) for s in statements)
        if not allowed or any(s.effect == "Deny" and s.matches(call) for s in statements):
            denied.append(call)
    return denied
