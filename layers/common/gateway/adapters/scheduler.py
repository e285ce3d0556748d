"""EventBridge Scheduler adapter: one-time schedules that put a message on an SQS queue."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from gateway.adapters import time_bounds
from gateway.errors import ServiceUnavailable


class SchedulerUnavailable(ServiceUnavailable):
    code = "SCHEDULER_UNAVAILABLE"


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("scheduler", config=time_bounds.SCHEDULER.boto_config())


def schedule_sqs_message(name: str, at: datetime, group: str, queue_arn: str, role_arn: str, body: str) -> None:
    """`at(...)` in UTC, no flexible window, deleted after it fires. An existing name is kept (idempotent).

    `at` must be aware: it is converted to UTC, the zone the expression is read in (a naive time
    would be read as UTC whatever zone it meant)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("schedule times must be timezone-aware")
    try:
        _client().create_schedule(
            Name=name,
            GroupName=group,
            ScheduleExpression=f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": queue_arn, "RoleArn": role_arn, "Input": body},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConflictException":
            return
        raise SchedulerUnavailable(f"Scheduler refused the schedule: {type(exc).__name__}") from exc
    except BotoCoreError as exc:
        raise SchedulerUnavailable(f"Scheduler unavailable: {type(exc).__name__}") from exc
