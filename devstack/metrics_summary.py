"""`make dev`'s view of the gateway's metrics: the functions append their EMF lines to a file
(LOCAL_METRICS_FILE) and this prints one summary line a minute, what CloudWatch would graph."""

from __future__ import annotations

import json
import statistics
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

_TIMES = {"Milliseconds", "Seconds"}


def summarize(lines: list[str]) -> str:
    """One line: counts by dimension value, p50/p99 of timings; empty when there were no metrics."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    timings: dict[str, list[float]] = defaultdict(list)
    units: dict[str, str] = {}
    for line in lines:
        try:
            record: dict[str, Any] = json.loads(line)
            directive = record["_aws"]["CloudWatchMetrics"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            continue  # a half-written last line: read whole next time
        dimensions = [str(record.get(name, "")) for group in directive["Dimensions"] for name in group]
        for metric in directive["Metrics"]:
            name, values = metric["Name"], record.get(metric["Name"], [])
            values = values if isinstance(values, list) else [values]
            units[name] = metric.get("Unit", "Count")
            if units[name] in _TIMES:
                timings[name] += [float(v) for v in values]
            else:
                counts[name][" ".join(dimensions)] += int(sum(float(v) for v in values))
    parts = []
    for name in sorted(counts):
        by_value = counts[name]
        detail = ", ".join(f"{value} {n}" for value, n in sorted(by_value.items()) if value)
        parts.append(f"{name} {sum(by_value.values())}" + (f" ({detail})" if detail else ""))
    for name in sorted(timings):
        values = sorted(timings[name])
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        unit = "ms" if units[name] == "Milliseconds" else "s"
        parts.append(f"{name} p50 {statistics.median(values):.0f} {unit} p99 {p99:.0f} {unit} (n={len(values)})")
    return " | ".join(parts)


class MetricsSummary:
    """Reads what was appended to `path` since the last look and logs its summary every period."""

    def __init__(self, path: Path, log: Callable[[str], None], every_seconds: float = 60) -> None:
        self.path = path
        self.every_seconds = every_seconds
        self._log = log
        self._offset = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-summary", daemon=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")  # this run's metrics only

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def new_lines(self) -> list[str]:
        with self.path.open("rb") as source:
            source.seek(self._offset)
            data = source.read()
        whole = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next look
        self._offset += len(whole)
        return whole.decode(errors="replace").splitlines()

    def _run(self) -> None:
        while not self._stopping.wait(self.every_seconds):
            summary = summarize(self.new_lines())
            if summary:
                self._log(f"metrics (last {self.every_seconds:g} s): {summary}")
