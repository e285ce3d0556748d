"""Fires EventBridge Scheduler one-time schedules, which neither moto nor LocalStack does.

Watches the schedules created on the emulator endpoint; when an `at(...)` schedule is due, sends
its target's input to the target SQS queue, then deletes it (ActionAfterCompletion: DELETE) or
remembers it as fired. Given `groups`, it watches only those: several local stacks can share one
endpoint (LocalStack under the e2e suite, or `make dev-localstack` beside it), and each fires its
own schedules, so each says so in its own log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from devstack.emulator import scheduler_client, sqs_client


def due_time(expression: str, timezone: str | None) -> datetime | None:
    """The moment of an `at(yyyy-mm-ddThh:mm:ss)` expression; None for rate/cron schedules."""
    if not expression.startswith("at(") or not expression.endswith(")"):
        return None
    local = datetime.strptime(expression[3:-1], "%Y-%m-%dT%H:%M:%S")
    return local.replace(tzinfo=ZoneInfo(timezone or "UTC")).astimezone(UTC)


class SchedulerEmulator:
    def __init__(
        self,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        log: Callable[[str], None] = print,
        poll_seconds: float = 1.0,
        groups: Collection[str] | None = None,
    ) -> None:
        self._clock = clock
        self._groups = None if groups is None else frozenset(groups)
        self._log = log
        self._poll_seconds = poll_seconds
        self._fired: set[tuple[str, str]] = set()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler-emulator", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.wait(self._poll_seconds):
            try:
                self.fire_due()
            except Exception as exc:  # keep watching through emulator restarts
                self._log(f"scheduler emulator: {type(exc).__name__}: {exc}")

    def _schedules(self, scheduler: Any) -> list[tuple[str, str]]:
        names = []
        for group_page in scheduler.get_paginator("list_schedule_groups").paginate():
            for group in group_page["ScheduleGroups"]:
                if self._groups is not None and group["Name"] not in self._groups:
                    continue
                for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group["Name"]):
                    names += [(s["GroupName"], s["Name"]) for s in page["Schedules"]]
        return names

    def fire_due(self) -> int:
        """Sends every due schedule's message once; returns how many fired."""
        scheduler, sqs = scheduler_client(), sqs_client()
        now, fired = self._clock(), 0
        for group, name in self._schedules(scheduler):
            if (group, name) in self._fired:
                continue
            schedule = scheduler.get_schedule(Name=name, GroupName=group)
            at = due_time(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone"))
            if at is None or at > now or schedule.get("State", "ENABLED") != "ENABLED":
                continue
            target = schedule["Target"]
            queue_name = target["Arn"].rsplit(":", 1)[1]
            queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            sqs.send_message(QueueUrl=queue_url, MessageBody=target.get("Input", ""))
            # Said as soon as the message is out: its consumer may act on it before the delete returns.
            self._log(f"scheduler: fired {group}/{name} → {queue_name}")
            self._fired.add((group, name))
            if schedule.get("ActionAfterCompletion") == "DELETE":
                scheduler.delete_schedule(Name=name, GroupName=group)
                self._fired.discard((group, name))
            fired += 1
        return fired
