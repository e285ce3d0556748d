"""What Lambda would bill: every invocation's duration, as the local runtime measured it.

Lambda bills each invocation's handler time rounded up to the millisecond (and, for a cold start,
its INIT). The runtime appends one JSON line per invocation (and per worker start, `init`) to
`invocations.jsonl` in its data folder; `summarize` turns a run's lines into billed milliseconds per
function and per item (an API request or a queue record), which the benchmarks and the cost model
(`python -m deploy.cost`) read.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Invocation:
    function: str
    duration_ms: float
    items: int  # queue records in the batch, or 1
    kind: str = "invoke"  # or "init": a worker's start (import of the handler module)

    @property
    def billed_ms(self) -> int:
        return max(1, math.ceil(self.duration_ms))


def items_in(event: Any) -> int:
    """A queue batch's records, or 1 for any other event."""
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        return max(1, len(event["Records"]))
    return 1


class InvocationLog:
    """Appends invocations to a JSON-lines file, from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, invocation: Invocation) -> None:
        line = json.dumps({**asdict(invocation), "billed_ms": invocation.billed_ms}) + "\n"
        with self._lock, self.path.open("a") as file:
            file.write(line)

    def offset(self) -> int:
        """Where the next line will start: read from here to see only what comes after."""
        return self.path.stat().st_size if self.path.exists() else 0


@dataclass(frozen=True)
class FunctionBill:
    invocations: int
    items: int
    billed_ms: int
    inits: int
    init_ms: float

    @property
    def billed_ms_per_item(self) -> float:
        return self.billed_ms / self.items if self.items else 0.0

    @property
    def billed_ms_per_invocation(self) -> float:
        return self.billed_ms / self.invocations if self.invocations else 0.0


def summarize(path: Path, offset: int = 0) -> dict[str, FunctionBill]:
    """Billed milliseconds per function over the lines written after `offset`."""
    totals: dict[str, dict[str, float]] = {}
    with path.open() as file:
        file.seek(offset)
        for line in file:
            entry = json.loads(line)
            total = totals.setdefault(
                entry["function"], {"invocations": 0, "items": 0, "billed_ms": 0, "inits": 0, "init_ms": 0.0}
            )
            if entry["kind"] == "init":
                total["inits"] += 1
                total["init_ms"] += entry["duration_ms"]
            else:
                total["invocations"] += 1
                total["items"] += entry["items"]
                total["billed_ms"] += entry["billed_ms"]
    return {
        name: FunctionBill(
            invocations=int(t["invocations"]),
            items=int(t["items"]),
            billed_ms=int(t["billed_ms"]),
            inits=int(t["inits"]),
            init_ms=t["init_ms"],
        )
        for name, t in sorted(totals.items())
    }
