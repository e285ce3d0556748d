"""template.yaml, the settings and the metrics adapter against gateway.catalog, read structurally
(issue 24: one catalog, not names matched by regex)."""

from __future__ import annotations

import json
import re
from typing import Any

import api_handler
import pytest

from gateway import catalog
from gateway.adapters import metrics
from gateway.settings import Settings
from stack.template import load_template
from tests.support import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")


def _dashboard_series() -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of every series the operations dashboard graphs, with the
    widgets' "..." shorthand (repeat the row above, changing the last dimension value) expanded."""
    body = TEMPLATE["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    series = []
    for widget in widgets:
        previous: list[Any] = []
        for row in widget.get("properties", {}).get("metrics", []):
            values = [item for item in row if not isinstance(item, dict)]
            if values[0] == "...":
                values = previous[: len(previous) - len(values) + 1] + values[1:]
            previous = values
            if values[0] in ("AWS/SQS", "AWS/Lambda", "AWS/ApiGateway") or values[0].startswith("AWS/"):
                continue
            namespace, name, *pairs = values
            series.append((namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True))))
    return series


def test_the_operations_dashboard_graphs_only_catalogued_metrics_with_their_dimensions() -> None:
    series = _dashboard_series()
    assert series
    for namespace, name, dimensions in series:
        assert namespace == catalog.METRIC_NAMESPACE, name
        assert set(dimensions) == set(catalog.METRICS[name].dimensions), name
    graphed_routes = {dims["route"] for _, name, dims in series if name == "ApiLatency"}
    assert graphed_routes <= api_handler.ROUTE_FAMILIES


def test_alarms_on_our_metrics_name_catalogued_ones() -> None:
    alarms = [r["Properties"] for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    ours = [alarm for alarm in alarms if alarm["Namespace"] == catalog.METRIC_NAMESPACE]
    assert ours
    for alarm in ours:
        declared = catalog.METRICS[alarm["MetricName"]]
        assert {d["Name"] for d in alarm.get("Dimensions", [])} == set(declared.dimensions)


def test_the_functions_metric_namespace_is_the_catalogs() -> None:
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == catalog.METRIC_NAMESPACE


def test_every_catalogued_queue_is_a_template_queue_with_a_setting() -> None:
    for name, logical_id in catalog.QUEUES.items():
        assert TEMPLATE["Resources"][logical_id]["Type"] == "AWS::SQS::Queue"
        assert f"{name}_queue_url" in Settings.model_fields
        assert Settings(**{f"{name}_queue_url": f"http://q/{name}"}).queue_url(name) == f"http://q/{name}"


def test_a_metric_missing_from_the_catalog_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not in gateway\.catalog"):
        metrics.emit("PaymentsCreatd", dimensions={"method": "upi"})
    with pytest.raises(ValueError, match=r"not in gateway\.catalog"):
        metrics.emit("PaymentsCreated", dimensions={"route": "payments"})
