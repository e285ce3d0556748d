"""Business and delivery metrics as CloudWatch Embedded Metric Format lines (Powertools' EMF
provider): CloudWatch turns each such line of a function's log into data points, so a metric costs
a request no API call. Under the local runtime (LOCAL_METRICS_FILE) the lines go to a file instead,
from which `make dev` prints a one-line summary each minute.

Names, units and dimensions are gateway.catalog's METRICS (template.yaml's alarms and operations
dashboard are checked against it): a metric it does not list, or with other dimensions, is refused
here rather than emitted into a series nothing graphs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from gateway.catalog import METRIC_NAMESPACE, METRICS
from gateway.settings import get_settings

EMF_VALUES_LIMIT = 100


def emit(name: str, value: float = 1, unit: str = "Count", dimensions: dict[str, str] | None = None) -> None:
    """One data point, written now (a function that crashes later has still counted it)."""
    emit_each(name, [value], unit, dimensions)


def emit_each(
    name: str, values: Sequence[float], unit: str = "Count", dimensions: dict[str, str] | None = None
) -> None:
    """Several data points of one metric, up to 100 to a line (EMF's limit per metric): a batch's
    worth of points at the cost of one."""
    declared = METRICS.get(name)
    if declared is None or declared.unit != unit or set(declared.dimensions) != set(dimensions or {}):
        raise ValueError(f"metric {name} ({unit}, {sorted(dimensions or {})}) is not in gateway.catalog.METRICS")
    lines = [
        _line(name, values[start : start + EMF_VALUES_LIMIT], unit, dimensions)
        for start in range(0, len(values), EMF_VALUES_LIMIT)
    ]
    if not lines:
        return
    local_file = get_settings().local_metrics_file
    if local_file:
        # The local runtime summarises the file; its terminal keeps the request lines readable.
        with open(local_file, "a", encoding="utf-8") as out:  # one short append: lines do not interleave
            out.write("".join(lines))
        return
    sys.stdout.write("".join(lines))
    sys.stdout.flush()


def _line(name: str, values: Sequence[float], unit: str, dimensions: dict[str, str] | None) -> str:
    # service="": no `service` dimension (Powertools adds POWERTOOLS_SERVICE_NAME otherwise), so each
    # metric has exactly the dimensions given here, the ones the dashboard in template.yaml queries.
    provider = AmazonCloudWatchEMFProvider(namespace=METRIC_NAMESPACE, service="")
    for value in values:
        provider.add_metric(name=name, unit=unit, value=value)
    for dimension, dimension_value in (dimensions or {}).items():
        provider.add_dimension(name=dimension, value=dimension_value)
    return json.dumps(provider.serialize_metric_set(), separators=(",", ":")) + "\n"
