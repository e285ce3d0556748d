"""Scheduled invocations (`Schedule` events): the function runs every `rate(...)` period."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from stack.template import ScheduledInvocation


def scheduled_event(schedule: ScheduledInvocation, region: str) -> dict[str, Any]:
    if schedule.input is not None:  # EventBridge sends a target's constant Input instead of the event
        constant: dict[str, Any] = json.loads(schedule.input)
        return constant
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/{schedule.function_id}-{schedule.event_id}"],
        "detail": {},
    }


class ScheduleRunner:
    def __init__(
        self,
        schedule: ScheduledInvocation,
        invoke: Callable[[dict[str, Any]], Any],
        region: str,
        log: Callable[[str], None],
        every_seconds: float | None = None,
    ) -> None:
        self.schedule = schedule
        # --schedule-seconds speeds up the sweeps; a job with its own Input (the daily settlement)
        # keeps the template's rate, so a test stack does not settle balances every second.
        self.every_seconds = (every_seconds if schedule.input is None else None) or schedule.every_seconds
        self._invoke = invoke
        self._region = region
        self._log = log
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{schedule.function_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.wait(self.every_seconds):
            try:
                self._invoke(scheduled_event(self.schedule, self._region))
            except Exception as exc:  # a failed run is retried at the next tick, as EventBridge would
                self._log(f"{self.schedule.function_id} (scheduled) raised {type(exc).__name__}: {exc}")
