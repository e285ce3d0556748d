"""A deployed stack's outputs (bucket names, URLs, the admin function), read from CloudFormation."""

from __future__ import annotations

import boto3


def stack_outputs(stack: str, region: str | None) -> dict[str, str]:
    cloudformation = boto3.client("cloudformation", region_name=region)
    stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
