"""Operations: the health check, the jobs' status, CloudFormation's custom resource requests.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from gateway.models.base import Model


class JobsStatus(Model):
    pending: int
    processing: int
    completed: int
    failed: int
    worker_status: str


class Health(Model):
    status: Literal["healthy", "unhealthy"]
    database: str
    queue: str
    timestamp: datetime


class CustomResourceEvent(Model):
    """A CloudFormation custom resource request (the fields this gateway uses)."""

    model_config = ConfigDict(extra="ignore")

    RequestType: Literal["Create", "Update", "Delete"]
    ResponseURL: str
    StackId: str
    RequestId: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None
    ResourceProperties: dict[str, Any] = Field(default_factory=dict)
