"""The deploy rehearsal: the translated template deployed through CloudFormation to LocalStack.

LocalStack's community edition cannot create Lambda functions (no Docker here) or HTTP APIs (a paid
feature), so the variant deployed is generated from the translated template by code: resources of
type AWS::Lambda::* and AWS::ApiGatewayV2::* are removed, with the custom resources they serve
(they would wait on a Lambda reply), and references to them become well-formed placeholders.
Everything else goes through CloudFormation: parameters, conditions, intrinsics, ordering, and the
resources themselves (unsupported community types, RDS and CloudFront, are accepted as no-ops).

    python -m deploy.rehearsal            # every parameter set, prints what was created
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, cast

import boto3

from deploy.graph import references
from deploy.translate import translate_file
from stack.localstack import running_localstack

REMOVED_TYPE_PREFIXES = ("AWS::Lambda::", "AWS::ApiGatewayV2::")
# LocalStack community has no CloudFormation provider for Elastic IPs (it accepts them as no-ops with
# "unknown" attributes, which its NAT gateway provider then rejects); the rehearsal allocates a real
# one through LocalStack's EC2 API and hands its ids to the references.
ALLOCATED_OUTSIDE_CLOUDFORMATION = "AWS::EC2::EIP"
CUSTOM_RESOURCE_TYPES = ("Custom::", "AWS::CloudFormation::CustomResource")
REGION = "us-east-1"
ACCOUNT = "000000000000"

# The ways a user deploys: a fresh account (the stack creates network and database) in the default
# production profile or the lean one, and an existing database whose secret (and a session signing
# secret) the user made beforehand.
FRESH_ACCOUNT: dict[str, str] = {}
LEAN_FRESH_ACCOUNT = {"Profile": "lean"}
EXISTING_NETWORK = {
    "ExistingSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "ExistingSecurityGroupIds": "sg-0123456789abcdef0",
    "AlarmEmail": "ops@example.com",
    "ApiReservedConcurrency": "0",
}


def existing_database_parameters(endpoint_url: str) -> dict[str, str]:
    """What a user brings to the existing-database mode: the secrets exist before the deploy."""
    secrets = aws_client("secretsmanager", endpoint_url)
    database = json.dumps(
        {"username": "gateway", "password": "x" * 32, "host": "db.internal", "port": 5432, "dbname": "gateway"}
    )
    database_arn = secrets.create_secret(Name="existing-gateway-db", SecretString=database)["ARN"]
    session_arn = secrets.create_secret(Name="existing-session-key", SecretString="k" * 64)["ARN"]
    return {**EXISTING_NETWORK, "ExistingDatabaseSecretArn": database_arn, "SessionSigningSecretArn": session_arn}


def _placeholder(logical_id: str, resource_type: str, attribute: str | None) -> str:
    name = f"removed-{logical_id}"
    if resource_type == "AWS::Lambda::Function":
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}" if attribute == "Arn" else name
    if resource_type == "AWS::Lambda::LayerVersion":
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1"
    if resource_type.startswith("AWS::ApiGatewayV2::"):
        return "removedapi"  # an API id: it ends up in execute-api host names
    return f"{name}-{attribute}" if attribute else name


def rehearsal_variant(
    template: dict[str, Any], allocations: dict[str, dict[str, str]] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The template without what LocalStack cannot create here, and what was removed (id → type).
    `allocations`: Elastic IP logical id → {"Ref": public IP, "AllocationId": id} made outside."""
    allocations = allocations or {}
    resources: dict[str, Any] = template["Resources"]
    removed = {rid: r["Type"] for rid, r in resources.items() if r["Type"].startswith(REMOVED_TYPE_PREFIXES)}
    for rid, resource in resources.items():
        if resource["Type"].startswith(CUSTOM_RESOURCE_TYPES):
            token = resource.get("Properties", {}).get("ServiceToken")
            if any(ref.target in removed for ref in references(token)):
                removed[rid] = resource["Type"]

    def substitute(value: Any) -> Any:
        if isinstance(value, list):
            return [substitute(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and arg in removed:
                return _placeholder(arg, removed[arg], None)
            if key == "Ref" and arg in allocations:
                return allocations[arg]["Ref"]
            if key == "Fn::GetAtt":
                target, attribute = (arg.split(".", 1) if isinstance(arg, str) else arg)[:2]
                if target in allocations:
                    return allocations[target][attribute]
                if target in removed:
                    return _placeholder(target, removed[target], attribute)
            if key == "Fn::Sub":
                text, variables = (arg, None) if isinstance(arg, str) else (arg[0], arg[1])

                def inline(found: re.Match[str]) -> str:
                    target, _, attribute = found.group(1).partition(".")
                    if target in removed:
                        return _placeholder(target, removed[target], attribute or None)
                    return found.group(0)

                text = re.sub(r"\$\{([^}!][^}]*)\}", inline, text)
                return {"Fn::Sub": text if variables is None else [text, substitute(variables)]}
        return {key: substitute(item) for key, item in value.items()}

    variant = copy.deepcopy(template)
    variant["Resources"] = {rid: substitute(r) for rid, r in resources.items() if rid not in removed}
    for resource in variant["Resources"].values():
        depends = resource.get("DependsOn")
        if depends is not None:
            kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in removed]
            if kept:
                resource["DependsOn"] = kept
            else:
                del resource["DependsOn"]
    variant["Outputs"] = substitute(variant.get("Outputs", {}))
    return variant, removed


@dataclass
class StackResult:
    name: str
    status: str
    reason: str
    seconds: float
    resources: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)


def aws_client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        cast(Any, service),
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - LocalStack's fixed test credentials
    )


# CloudFormation takes a template of at most 51,200 bytes inline; a larger one only from S3
# (`sam deploy` uploads it there: samconfig.toml's resolve_s3).
TEMPLATE_BODY_LIMIT = 51_200
TEMPLATE_BUCKET = "rehearsal-templates"


def template_source(endpoint_url: str, body: str, name: str) -> dict[str, str]:
    """TemplateBody, or, past the inline limit, TemplateURL of a copy in the endpoint's S3, as sam deploy does."""
    if len(body.encode()) <= TEMPLATE_BODY_LIMIT:
        return {"TemplateBody": body}
    s3 = aws_client("s3", endpoint_url)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=TEMPLATE_BUCKET)
    s3.put_object(Bucket=TEMPLATE_BUCKET, Key=f"{name}.json", Body=body.encode())
    return {"TemplateURL": f"{endpoint_url}/{TEMPLATE_BUCKET}/{name}.json"}


def deploy(endpoint_url: str, template: dict[str, Any], parameters: dict[str, str], name: str) -> StackResult:
    """Creates the stack as `sam deploy` does (a CREATE change set, then executed) and waits."""
    cloudformation = aws_client("cloudformation", endpoint_url)
    started = time.perf_counter()
    change_set = cloudformation.create_change_set(
        StackName=name,
        ChangeSetName=f"{name}-create",
        ChangeSetType="CREATE",
        **template_source(endpoint_url, json.dumps(template, separators=(",", ":")), name),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    cloudformation.get_waiter("change_set_create_complete").wait(
        ChangeSetName=change_set["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    cloudformation.execute_change_set(ChangeSetName=change_set["Id"])
    deadline = time.monotonic() + 170
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    events = cloudformation.describe_stack_events(StackName=name)["StackEvents"]
    failures = [
        f"{e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason', '')}"
        for e in events
        if e["ResourceStatus"].endswith("_FAILED") and e["LogicalResourceId"] != name
    ]
    return StackResult(
        name=name,
        status=stack["StackStatus"],
        reason=stack.get("StackStatusReason", ""),
        seconds=time.perf_counter() - started,
        resources=cloudformation.describe_stack_resources(StackName=name)["StackResources"],
        failures=failures,
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
    )


def allocate_addresses(endpoint_url: str, template: dict[str, Any]) -> dict[str, dict[str, str]]:
    ec2 = aws_client("ec2", endpoint_url)
    allocations = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == ALLOCATED_OUTSIDE_CLOUDFORMATION:
            address = ec2.allocate_address(Domain="vpc")
            allocations[logical_id] = {"Ref": address["PublicIp"], "AllocationId": address["AllocationId"]}
    return allocations


def rehearse(endpoint_url: str, template: dict[str, Any], parameters: dict[str, str], name: str) -> StackResult:
    variant, _ = rehearsal_variant(template, allocate_addresses(endpoint_url, template))
    return deploy(endpoint_url, variant, parameters, name)


def main() -> int:
    started = time.perf_counter()
    translated = translate_file()
    _, removed = rehearsal_variant(translated)
    print(f"translated template: {len(translated['Resources'])} resources; not deployable here:")
    for logical_id, resource_type in sorted(removed.items()):
        print(f"  {logical_id:48} {resource_type}")
    ok = True
    with running_localstack() as endpoint:
        print(f"LocalStack up after {time.perf_counter() - started:.1f} s at {endpoint}")
        modes = {
            "fresh-account": FRESH_ACCOUNT,
            "lean-fresh-account": LEAN_FRESH_ACCOUNT,
            "existing-database": existing_database_parameters(endpoint),
        }
        for name, parameters in modes.items():
            result = rehearse(endpoint, translated, parameters, name)
            ok = ok and result.status == "CREATE_COMPLETE"
            print(f"{name}: {result.status} in {result.seconds:.1f} s, {len(result.resources)} resources")
            mocked = sorted({r["ResourceType"] for r in result.resources if r.get("PhysicalResourceId") == "unknown"})
            print(f"  accepted as no-ops (no LocalStack community provider): {', '.join(mocked) or 'none'}")
            for failure in result.failures:
                print(f"  FAILED {failure}")
    print(f"rehearsal {'passed' if ok else 'FAILED'} in {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
