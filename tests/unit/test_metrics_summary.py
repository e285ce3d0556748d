"""The local runtime's one-line metrics summary, from EMF lines."""

from __future__ import annotations

import json
from pathlib import Path

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from devstack.metrics_summary import MetricsSummary, summarize


def _line(name: str, value: float, unit: str = "Count", **dimensions: str) -> str:
    provider = AmazonCloudWatchEMFProvider(namespace="PaymentGateway")
    provider.add_metric(name=name, unit=unit, value=value)
    for key, dimension in dimensions.items():
        provider.add_dimension(name=key, value=dimension)
    return json.dumps(provider.serialize_metric_set())


def test_counts_by_dimension_and_timings_as_percentiles() -> None:
    lines = [
        _line("PaymentsCreated", 1, method="upi"),
        _line("PaymentsCreated", 1, method="upi"),
        _line("PaymentsCreated", 1, method="card"),
        _line("RefundsProcessed", 1),
        *[_line("ApiLatency", ms, "Milliseconds", route="payments") for ms in range(1, 101)],
        "not json",
        '{"_aws": "half',
    ]
    assert summarize(lines) == (
        "PaymentsCreated 3 (card 1, upi 2) | RefundsProcessed 1 | ApiLatency p50 50 ms p99 100 ms (n=100)"
    )
    assert summarize([]) == ""


def test_reads_only_whole_new_lines(tmp_path: Path) -> None:
    logged: list[str] = []
    summary = MetricsSummary(tmp_path / "metrics.jsonl", logged.append)
    with summary.path.open("a") as out:
        out.write(_line("RefundsProcessed", 1) + "\n" + _line("RefundsProcessed", 1)[:20])
    assert summarize(summary.new_lines()) == "RefundsProcessed 1"
    with summary.path.open("a") as out:
        out.write(_line("RefundsProcessed", 1)[20:] + "\n")
    assert summarize(summary.new_lines()) == "RefundsProcessed 1"
    assert summary.new_lines() == []
