"""The template is the single description of the topology: check its promises and lint it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.template import load_template, read_topology
from tests.support import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")
TOPOLOGY = read_topology(TEMPLATE)
BIN = Path(sys.executable).parent


def test_every_consumer_reports_partial_batch_failures() -> None:
    consumers = {m.function_id for m in TOPOLOGY.sqs_mappings}
    assert consumers == {"ProcessPaymentFunction", "ProcessRefundFunction", "DeliverWebhookFunction"}
    assert all(m.reports_item_failures for m in TOPOLOGY.sqs_mappings)


def test_queues_have_dlqs_and_visibility_six_times_the_consumer_timeout() -> None:
    for mapping in TOPOLOGY.sqs_mappings:
        queue = TOPOLOGY.queues[mapping.queue_id]
        assert queue.dead_letter_queue_id in TOPOLOGY.queues
        assert queue.max_receive_count is not None and queue.max_receive_count >= 5
        assert queue.visibility_timeout >= 6 * TOPOLOGY.functions[mapping.function_id].timeout


def test_functions_run_python_312_with_the_common_layer_and_unique_handler_modules() -> None:
    assert TEMPLATE["Globals"]["Function"]["Runtime"] == "python3.12"
    modules = [spec.module for spec in TOPOLOGY.functions.values()]
    assert len(set(modules)) == len(modules)
    for spec in TOPOLOGY.functions.values():
        assert spec.layer_uris == ("layers/common/",)
        assert (ROOT / spec.code_uri / f"{spec.module}.py").is_file()
    # SAM puts the layer under python/ itself: the package must sit at the layer's top level.
    assert (ROOT / "layers/common/gateway/__init__.py").is_file()
    assert not (ROOT / "layers/common/python").exists()


def test_api_routes_come_from_the_template() -> None:
    found = TOPOLOGY.route_for("GET", "/api/v1/payments/pay_123")
    assert found is not None and found[0].function_id == "ApiFunction"
    assert found[1] == {"proxy": "api/v1/payments/pay_123"}


def test_scheduler_role_may_only_send_to_the_webhooks_queue() -> None:
    role = TEMPLATE["Resources"]["SchedulerToWebhooksQueueRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statements == [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["WebhooksQueue", "Arn"]}}
    ]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.timeout(300)
def test_cfn_lint_passes() -> None:
    result = _run(str(BIN / "cfn-lint"), "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_sam_validate_lint_passes() -> None:
    result = _run(str(BIN / "sam"), "validate", "--lint", "--template-file", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_dashboard_is_static_hosting_whose_origin_alone_gets_private_cors() -> None:
    resources = TEMPLATE["Resources"]
    distribution = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    assert distribution["Origins"][0]["DomainName"] == {"Fn::GetAtt": ["DashboardBucket", "RegionalDomainName"]}
    bucket = resources["DashboardBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(bucket.values())  # private: only CloudFront reads it
    spa = resources["DashboardSpaFunction"]["Properties"]["FunctionCode"]
    assert "/index.html" in spa
    env = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["DASHBOARD_ORIGINS"] == {"Fn::Sub": "https://${DashboardDistribution.DomainName}"}
    headers = resources["DashboardHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert (
        "frame-ancestors 'none'"
        in headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    )
