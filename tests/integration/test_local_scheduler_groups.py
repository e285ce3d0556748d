"""The local Scheduler stand-in on a real endpoint shared by two stacks (as the e2e suite shares one
LocalStack): each stack's emulator fires only its own schedule groups, so a stack's log says when
its own schedules fire and never claims another's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from devstack.emulator import create_schedule_group, scheduler_client, sqs_client
from devstack.scheduler import SchedulerEmulator


def _stack(prefix: str) -> tuple[str, str, str]:
    """A stack's schedule group and target queue (url, arn), named as the runtime names them."""
    group = f"{prefix}-dispute-deadlines"
    create_schedule_group(group)
    sqs = sqs_client()
    url = sqs.create_queue(QueueName=f"{prefix}-RefundsQueue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return group, url, arn


def _due_schedule(group: str, queue_arn: str, body: str) -> None:
    due = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler_client().create_schedule(
        Name=f"deadline-{uuid.uuid4().hex[:8]}",
        GroupName=group,
        ScheduleExpression=f"at({due})",
        ScheduleExpressionTimezone="UTC",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": queue_arn, "RoleArn": "arn:aws:iam::000000000000:role/scheduler", "Input": body},
    )


def _bodies(queue_url: str) -> list[str]:
    messages = sqs_client().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [m["Body"] for m in messages.get("Messages", [])]


def test_each_stack_fires_only_its_own_schedule_groups(aws_endpoint: str) -> None:
    # Given two stacks on one endpoint, each with a due one-time schedule
    first, second = f"one{uuid.uuid4().hex[:6]}", f"two{uuid.uuid4().hex[:6]}"
    first_group, first_queue, first_arn = _stack(first)
    second_group, second_queue, second_arn = _stack(second)
    _due_schedule(first_group, first_arn, '{"dispute": "first"}')
    _due_schedule(second_group, second_arn, '{"dispute": "second"}')
    first_log: list[str] = []
    second_log: list[str] = []

    # When the first stack's emulator looks, then the second's
    fired_by_first = SchedulerEmulator(log=first_log.append, groups=[first_group]).fire_due()
    second_untouched = scheduler_client().list_schedules(GroupName=second_group)["Schedules"]
    fired_by_second = SchedulerEmulator(log=second_log.append, groups=[second_group]).fire_due()

    # Then each fired its own, once, said so in its own log, and left the other's alone
    assert (fired_by_first, fired_by_second) == (1, 1)
    assert len(second_untouched) == 1
    assert [line.split(" → ")[-1] for line in first_log] == [f"{first}-RefundsQueue"]
    assert [line.split(" → ")[-1] for line in second_log] == [f"{second}-RefundsQueue"]
    assert _bodies(first_queue) == ['{"dispute": "first"}']
    assert _bodies(second_queue) == ['{"dispute": "second"}']
    assert scheduler_client().list_schedules(GroupName=first_group)["Schedules"] == []
