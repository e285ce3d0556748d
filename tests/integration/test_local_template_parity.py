"""What the local runtime creates on the queue endpoint is what template.yaml declares."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

from devstack import emulator
from devstack.runtime import LocalRuntime, RuntimeOptions, stack_name_for
from stack.template import QUEUE_ATTRIBUTE_DEFAULTS
from tests.support import ROOT, TOPOLOGY


def _template_queues() -> dict[str, dict[str, Any]]:
    """The queues' properties straight from the YAML (not through the runtime's own reading)."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor(
        "!",
        lambda loader, suffix, node: (
            {suffix: loader.construct_scalar(node)}
            if isinstance(node, yaml.ScalarNode)
            else {suffix: loader.construct_sequence(node)}
        ),
    )
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::SQS::Queue"
    }


def test_local_queues_carry_every_attribute_the_template_declares(aws_endpoint: str) -> None:
    prefix = f"parity-{uuid.uuid4().hex[:6]}"
    created = emulator.create_queues(TOPOLOGY, prefix)
    sqs = emulator.sqs_client()
    declared = _template_queues()
    assert set(created.urls) == set(declared)
    for logical_id, properties in declared.items():
        actual = sqs.get_queue_attributes(QueueUrl=created.urls[logical_id], AttributeNames=["All"])["Attributes"]
        assert created.names[logical_id] == f"{prefix}-{logical_id}"
        for name, default in QUEUE_ATTRIBUTE_DEFAULTS.items():
            value = properties.get(name, default)
            expected = str(value).lower() if isinstance(value, bool) else str(value)
            assert actual.get(name) == expected, (logical_id, name, actual.get(name), expected)
        redrive = properties.get("RedrivePolicy")
        if redrive:
            policy = json.loads(actual["RedrivePolicy"])
            dead_letter = redrive["deadLetterTargetArn"]["GetAtt"].split(".")[0]
            assert policy["deadLetterTargetArn"] == created.arns[dead_letter]
            assert int(policy["maxReceiveCount"]) == int(redrive["maxReceiveCount"])
        else:
            assert "RedrivePolicy" not in actual


def test_dead_letter_queues_keep_messages_fourteen_days_as_declared() -> None:
    dead_letter = {q.dead_letter_queue_id for q in TOPOLOGY.queues.values() if q.dead_letter_queue_id}
    assert dead_letter
    for logical_id in dead_letter:
        assert TOPOLOGY.queues[logical_id].attributes["MessageRetentionPeriod"] == str(14 * 24 * 3600)


def test_each_data_directory_gets_its_own_resource_prefix(tmp_path: Path) -> None:
    first, second = stack_name_for(tmp_path / "a"), stack_name_for(tmp_path / "b")
    assert first != second
    assert first == stack_name_for(tmp_path / "a")
    assert all(len(f"{name}-{q}") <= 80 for name in (first, second) for q in TOPOLOGY.queues)


def test_the_evidence_bucket_is_named_and_answers_cors_preflights_as_the_template_declares(
    aws_endpoint: str, tmp_path: Path
) -> None:
    # Given the local runtime's resources for a stack whose dashboard is on :3456...
    prefix = f"parity-{uuid.uuid4().hex[:6]}"
    runtime = LocalRuntime(RuntimeOptions(stack_name=prefix, dashboard_port=3456, data_dir=tmp_path), log=print)
    runtime.database_url, runtime.endpoint_url = "postgresql://unused", aws_endpoint
    buckets = emulator.create_buckets(runtime.topology, prefix)
    runtime.resolve_environment(emulator.create_queues(runtime.topology, prefix), buckets)
    # ...the bucket has the template's fixed name, the one the API is told...
    region = emulator.sqs_client().meta.region_name
    name = f"{prefix}-evidence-{emulator.ACCOUNT_ID}-{region}"
    assert buckets["EvidenceBucket"] == name
    assert runtime.function_environment["ApiFunction"]["EVIDENCE_BUCKET"] == name
    url = f"{aws_endpoint}/{name}/evidence/doc_1"

    def preflight(origin: str) -> httpx.Response:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        }
        return httpx.options(url, headers=headers)

    # ...and answers a browser's preflight from the dashboard (as the local site serves it), not others.
    for origin in ("http://127.0.0.1:3456", "http://localhost:3456"):
        allowed = preflight(origin)
        assert allowed.status_code == 200, allowed.text
        assert allowed.headers["access-control-allow-origin"] == origin
        assert "PUT" in allowed.headers["access-control-allow-methods"]
        assert "content-type" in allowed.headers["access-control-allow-headers"].lower()
    # S3 refuses another origin's preflight (403), and a bucket without a CORS rule allows no origin:
    # the emulator's own allow-all CORS is off (devstack/emulator_server.py), so this is the bucket's.
    refused = preflight("http://127.0.0.1:9999")
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    reports = httpx.options(
        f"{aws_endpoint}/{buckets['ReportsBucket']}/reports/r.csv",
        headers={"Origin": "http://127.0.0.1:3456", "Access-Control-Request-Method": "PUT"},
    )
    assert "access-control-allow-origin" not in reports.headers
