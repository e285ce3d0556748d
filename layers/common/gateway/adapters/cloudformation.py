"""Replies to CloudFormation custom resource requests (the presigned ResponseURL, as cfn-response does)."""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx

from gateway.models.operations import CustomResourceEvent

# CloudFormation truncates longer reasons; the full error is in the function's log.
_MAX_REASON = 1000


def respond(
    event: CustomResourceEvent,
    status: Literal["SUCCESS", "FAILED"],
    physical_id: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    body = {
        "Status": status,
        "Reason": reason[:_MAX_REASON] or status,
        "PhysicalResourceId": physical_id,
        "StackId": event.StackId,
        "RequestId": event.RequestId,
        "LogicalResourceId": event.LogicalResourceId,
        "NoEcho": False,
        "Data": data or {},
    }
    # The presigned S3 URL is signed without a content type: sending one breaks the signature.
    response = httpx.put(event.ResponseURL, content=json.dumps(body).encode(), headers={"Content-Type": ""}, timeout=30)
    response.raise_for_status()
