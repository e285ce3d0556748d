"""The template is the single description of the topology: check its promises and lint it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.connections import aurora_max_connections, budgets
from deploy.graph import dependency_problems
from deploy.translate import translate, translate_file
from stack.template import evaluate_conditions, load_template, read_topology
from tests.support import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")
TOPOLOGY = read_topology(TEMPLATE)
TRANSLATED = translate(TEMPLATE)
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
BIN = Path(sys.executable).parent


def test_every_consumer_reports_partial_batch_failures() -> None:
    consumers = {m.function_id for m in TOPOLOGY.sqs_mappings}
    assert consumers == {
        "ProcessPaymentFunction",
        "ProcessRefundFunction",
        "DeliverWebhookFunction",
        "GenerateReportFunction",
    }
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


def test_scheduler_role_may_only_send_to_the_slow_webhooks_lane() -> None:
    role = TEMPLATE["Resources"]["SchedulerToWebhooksQueueRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statements == [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["WebhooksSlowQueue", "Arn"]}}
    ]


def test_dispute_scheduler_role_may_only_send_to_the_refunds_queue() -> None:
    role = TEMPLATE["Resources"]["SchedulerToRefundsQueueRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statements == [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["RefundsQueue", "Arn"]}}
    ]
    api = TEMPLATE["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert api["DISPUTE_SCHEDULE_GROUP"] == {"Ref": "DisputeDeadlineScheduleGroup"}
    assert api["REFUNDS_QUEUE_ARN"] == {"Fn::GetAtt": ["RefundsQueue", "Arn"]}
    # DISPUTE_RESPONSE_SECONDS is left at its default (seven days); `make dev` passes the developer's on.
    assert all("DISPUTE_RESPONSE_SECONDS" not in spec.environment for spec in TOPOLOGY.functions.values())


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


def test_dashboard_reaches_the_api_through_its_own_origin_and_talks_to_itself_and_the_evidence_bucket() -> None:
    resources = TEMPLATE["Resources"]
    distribution = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    origins = {origin["Id"]: origin for origin in distribution["Origins"]}
    assert origins["dashboard-bucket"]["DomainName"] == {"Fn::GetAtt": ["DashboardBucket", "RegionalDomainName"]}
    assert "${GatewayHttpApi}.execute-api" in origins["api"]["DomainName"]["Fn::Sub"]
    api_behaviour = next(b for b in distribution["CacheBehaviors"] if b["PathPattern"] == "/api/*")
    assert api_behaviour["TargetOriginId"] == "api"
    assert "Compress" not in api_behaviour and "POST" in api_behaviour["AllowedMethods"]
    bucket = resources["DashboardBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(bucket.values())  # private: only CloudFront reads it
    assert "/index.html" in resources["DashboardSpaFunction"]["Properties"]["FunctionCode"]
    csp = resources["DashboardHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "ContentSecurityPolicy"
    ]["ContentSecurityPolicy"]
    assert "frame-ancestors 'none'" in csp["Fn::Sub"]
    evidence_name = resources["EvidenceBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    # The API is 'self'; the only other host is the evidence bucket's regional one (presigned PUTs).
    assert f"connect-src 'self' https://{evidence_name}.s3.${{AWS::Region}}.${{AWS::URLSuffix}};" in csp["Fn::Sub"]
    # No resource-to-resource loop: the API function does not name the dashboard distribution.
    assert "DashboardDistribution" not in json.dumps(resources["ApiFunction"])


def test_the_evidence_bucket_takes_browser_uploads_from_the_dashboard_only_and_is_named_once() -> None:
    resources = TEMPLATE["Resources"]
    bucket = resources["EvidenceBucket"]["Properties"]
    (rule,) = bucket["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["PUT"]
    assert rule["AllowedOrigins"] == [{"Fn::Sub": "https://${DashboardDistribution.DomainName}"}]
    assert [h.lower() for h in rule["AllowedHeaders"]] == ["content-type"]
    # The name is fixed (a Ref from the API would be a cycle through the distribution); everything that
    # must name the bucket spells that same name, and nothing refers to it any other way but its policy.
    name = bucket["BucketName"]["Fn::Sub"]
    assert "${AWS::StackName}" in name and "${AWS::AccountId}" in name and "${AWS::Region}" in name
    api = resources["ApiFunction"]["Properties"]
    assert api["Environment"]["Variables"]["EVIDENCE_BUCKET"] == {"Fn::Sub": name}
    statements = {s["Sid"]: s for p in api["Policies"] if "Statement" in p for s in p["Statement"]}
    arn = f"arn:${{AWS::Partition}}:s3:::{name}"
    assert statements["SignEvidenceUploadsAndCheckThem"]["Resource"] == {"Fn::Sub": f"{arn}/evidence/*"}
    assert statements["TellAMissingEvidenceDocument"]["Resource"] == {"Fn::Sub": arn}
    others = {k: v for k, v in resources.items() if k not in ("EvidenceBucket", "EvidenceBucketPolicy")}
    assert '"EvidenceBucket' not in json.dumps(others) and "${EvidenceBucket" not in json.dumps(others)
    # 63 characters at most: with a 12-digit account and the longest region, 26 are left for the stack.
    assert (
        len(
            name.replace("${AWS::StackName}", "s" * 26)
            .replace("${AWS::AccountId}", "1" * 12)
            .replace("${AWS::Region}", "ap-southeast-2")
        )
        == 63
    )


def test_config_js_is_never_cached_at_the_edge() -> None:
    resources = TEMPLATE["Resources"]
    checkout = resources["CheckoutDistribution"]["Properties"]["DistributionConfig"]
    config = next(b for b in checkout["CacheBehaviors"] if b["PathPattern"] == "/config.js")
    assert config["CachePolicyId"] == CACHING_DISABLED
    dashboard = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    # The dashboard's default behaviour (index.html, config.js) is uncached; only hashed assets are.
    assert dashboard["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED


@pytest.mark.timeout(300)
def test_translated_template_passes_cfn_lint(tmp_path: Path) -> None:
    translated = tmp_path / "translated.json"
    translated.write_text(json.dumps(TRANSLATED))
    result = _run(str(BIN / "cfn-lint"), str(translated))
    assert result.returncode == 0, result.stdout + result.stderr


def test_translated_template_has_no_cycle_and_no_unresolved_reference() -> None:
    assert dependency_problems(TRANSLATED) == []


def test_cycle_check_rejects_the_cycle_the_template_once_had() -> None:
    problems = dependency_problems(translate_file(ROOT / "tests/fixtures/cyclic-template.yaml"))
    assert problems == ["dependency cycle: Api -> ApiFunction -> Distribution -> HeadersPolicy -> Api"]


def test_reference_check_rejects_unknown_names() -> None:
    template = {
        "Conditions": {"Always": {"Fn::Equals": ["a", "a"]}},
        "Resources": {
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "DependsOn": "Missing",
                "Properties": {
                    "QueueName": {"Fn::Sub": "${AWS::StackName}-${NoSuchParameter}"},
                    "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["NoSuchQueue", "Arn"]}},
                    "Tags": [{"Key": "k", "Value": {"Fn::If": ["NoSuchCondition", "a", "b"]}}],
                },
            }
        },
    }
    assert dependency_problems(template) == [
        "Resources.Queue: Sub to unknown name 'NoSuchParameter'",
        "Resources.Queue: Fn::GetAtt of unknown resource 'NoSuchQueue'",
        "Resources.Queue: unknown condition 'NoSuchCondition'",
        "Resources.Queue: DependsOn unknown resource 'Missing'",
    ]


def test_database_connections_stay_bounded_at_full_concurrency() -> None:
    """Every function's containers are bounded, and together they fit in Aurora's max_connections
    at the template's default size (RDS Proxy may use 80 % of it)."""
    rows = budgets(TEMPLATE)
    assert {row.function_id for row in rows} == set(TOPOLOGY.functions)
    unbounded = [row.function_id for row in rows if row.connections is None]
    assert unbounded == []
    max_acu = TEMPLATE["Parameters"]["DatabaseMaxCapacity"]["Default"]
    assert sum(row.connections or 0 for row in rows) <= 0.8 * aurora_max_connections(max_acu)


def test_dead_letter_queues_raise_alarms_to_the_topic() -> None:
    resources = TEMPLATE["Resources"]
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in resources.values()
        if alarm["Type"] == "AWS::CloudWatch::Alarm" and alarm["Properties"]["Namespace"] == "AWS/SQS"
    }
    dead_letter_queues = {spec.dead_letter_queue_id for spec in TOPOLOGY.queues.values()} - {None}
    assert alarmed == dead_letter_queues
    for alarm in resources.values():
        if alarm["Type"] == "AWS::CloudWatch::Alarm":
            assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_every_function_logs_to_a_group_with_retention() -> None:
    resources = TEMPLATE["Resources"]
    for function_id in TOPOLOGY.functions:
        group = resources[function_id]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    access_logs = resources["GatewayHttpApi"]["Properties"]["AccessLogSettings"]["DestinationArn"]
    assert access_logs == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}


def test_functions_that_need_the_schema_wait_for_the_migrations() -> None:
    resources = TEMPLATE["Resources"]
    assert resources["DatabaseSchema"]["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["MigrateFunction", "Arn"]}
    # A new layer version (the migrations live in it) changes the custom resource, so it runs again.
    assert resources["DatabaseSchema"]["Properties"]["LayerVersion"] == {"Ref": "CommonLayer"}
    for function_id in set(TOPOLOGY.functions) - {"MigrateFunction"}:
        assert resources[function_id]["DependsOn"] == "DatabaseSchema", function_id
    # In the translated template the event-source mappings and routes hang off those functions
    # (through their aliases, whose versions are published from the functions).
    for logical_id, resource in TRANSLATED["Resources"].items():
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            function_id = _function_of(resource["Properties"]["FunctionName"]["Ref"])
            assert TRANSLATED["Resources"][function_id]["DependsOn"] in ("DatabaseSchema", ["DatabaseSchema"]), (
                logical_id
            )


def test_private_subnets_leave_through_the_nat_gateway_or_in_lean_the_nat_instance() -> None:
    resources = TEMPLATE["Resources"]
    route = resources["PrivateDefaultRoute"]["Properties"]
    assert route == {
        "RouteTableId": {"Ref": "PrivateRouteTable"},
        "DestinationCidrBlock": "0.0.0.0/0",
        "NatGatewayId": {"Fn::If": ["CreateNatGateway", {"Ref": "NatGateway"}, {"Ref": "AWS::NoValue"}]},
        "InstanceId": {"Fn::If": ["CreateNatInstance", {"Ref": "NatInstance"}, {"Ref": "AWS::NoValue"}]},
    }
    for profile, gateway, instance in (("production", True, False), ("lean", False, True)):
        conditions = _conditions(Profile=profile)
        assert (conditions["CreateNatGateway"], conditions["CreateNatInstance"]) == (gateway, instance), profile
    assert resources["NatGateway"]["Condition"] == resources["NatAddress"]["Condition"] == "CreateNatGateway"
    nat = resources["NatInstance"]["Properties"]
    assert resources["NatInstance"]["Condition"] == "CreateNatInstance"
    assert nat["SourceDestCheck"] is False and nat["InstanceType"] == "t4g.nano"
    assert nat["MetadataOptions"]["HttpTokens"] == "required" and "IamInstanceProfile" not in nat
    assert nat["NetworkInterfaces"][0]["SubnetId"] == {"Ref": "PublicSubnet"}
    # Nothing reaches the NAT instance but the functions' traffic.
    (ingress,) = resources["NatInstanceSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert ingress["SourceSecurityGroupId"] == {"Ref": "FunctionSecurityGroup"} and "CidrIp" not in ingress
    associated = {
        r["Properties"]["SubnetId"]["Ref"]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
        and r["Properties"]["RouteTableId"] == {"Ref": "PrivateRouteTable"}
    }
    vpc_config = TEMPLATE["Globals"]["Function"]["VpcConfig"]["SubnetIds"]["Fn::If"]
    assert associated == {ref["Ref"] for ref in vpc_config[1]} == {"PrivateSubnetA", "PrivateSubnetB"}


def test_database_is_never_publicly_reachable() -> None:
    resources = TEMPLATE["Resources"]
    assert resources["DatabaseInstance"]["Properties"]["PubliclyAccessible"] is False
    assert resources["DatabaseProxy"]["Properties"]["RequireTLS"] is True
    # Lean has no proxy: the cluster itself refuses connections without TLS.
    assert resources["LeanDatabaseParameters"]["Properties"]["Parameters"]["rds.force_ssl"] == "1"
    assert resources["DatabaseCluster"]["Properties"]["DBClusterParameterGroupName"] == {
        "Fn::If": ["LeanDatabase", {"Ref": "LeanDatabaseParameters"}, {"Ref": "AWS::NoValue"}]
    }
    ingress = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    assert all("CidrIp" not in rule and "SourceSecurityGroupId" in rule for rule in ingress)


def test_the_operations_dashboard_graphs_every_metric_the_code_emits() -> None:
    sources = [*ROOT.glob("layers/common/gateway/**/*.py"), *ROOT.glob("functions/**/*.py")]
    emitted = set()
    for source in sources:
        text = source.read_text()
        emitted |= set(re.findall(r'metrics\.emit\w*\(\s*"(\w+)"', text))
        # Names passed on: to idempotent_create (counted on a first creation), or chosen by outcome.
        emitted |= set(re.findall(r'"((?:Payments|Refunds)(?:Created|Succeeded|Failed|Processed))"', text))
    assert {"PaymentsCreated", "PaymentsSucceeded", "PaymentsFailed", "WebhookAttempts", "ApiLatency"} <= emitted
    body = TEMPLATE["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    graphed = set(re.findall(r'"PaymentGateway", "(\w+)"', body))
    assert emitted <= graphed, f"emitted but not on the dashboard: {sorted(emitted - graphed)}"
    for alarm in (lid for lid, r in TEMPLATE["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"):
        assert f"${{{alarm}.Arn}}" in body, f"{alarm} is not on the dashboard"


SNAPSTART_FUNCTIONS = {"ApiFunction"}


def _conditions(**parameters: str) -> dict[str, bool]:
    values = {name: str(p.get("Default", "")) for name, p in TEMPLATE["Parameters"].items()}
    return evaluate_conditions(TEMPLATE, {**values, **parameters})


def _function_of(target: str) -> str:
    """The function a Ref names: itself, or the function behind an alias."""
    resource = TRANSLATED["Resources"][target]
    if resource["Type"] == "AWS::Lambda::Alias":
        return str(resource["Properties"]["FunctionName"]["Ref"])
    return target


def _aliases() -> dict[str, str]:
    """Function logical id → its alias's logical id, in the translated template."""
    return {
        r["Properties"]["FunctionName"]["Ref"]: logical_id
        for logical_id, r in TRANSLATED["Resources"].items()
        if r["Type"] == "AWS::Lambda::Alias"
    }


def test_snapstart_functions_publish_versions_behind_an_alias_in_production() -> None:
    resources = TRANSLATED["Resources"]
    snapstart = {
        logical_id
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and "SnapStart" in r["Properties"]
    }
    assert snapstart == SNAPSTART_FUNCTIONS
    aliases = _aliases()
    for function_id in SNAPSTART_FUNCTIONS:
        assert resources[function_id]["Properties"]["SnapStart"] == {
            "Fn::If": ["Production", {"ApplyOn": "PublishedVersions"}, {"Ref": "AWS::NoValue"}]
        }
        alias = resources[aliases[function_id]]["Properties"]
        assert alias["Name"] == "live"
        version_id = alias["FunctionVersion"]["Fn::GetAtt"][0]
        # Replaced versions are deleted: each SnapStart version's snapshot cache bills by the hour.
        assert resources[version_id]["DeletionPolicy"] == "Delete"
        assert resources[version_id]["Properties"]["FunctionName"] == {"Ref": function_id}
    assert _conditions()["Production"] and not _conditions(Profile="lean")["Production"]
    # A new layer version publishes new function versions (the code is mostly in the layer).
    layer = next(r for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::Serverless::LayerVersion")
    assert layer["Properties"]["PublishLambdaVersion"] is True
    for function_id in SNAPSTART_FUNCTIONS:
        assert TEMPLATE["Resources"][function_id]["Properties"]["AutoPublishAliasAllProperties"] is True


def test_every_event_source_of_a_snapstart_function_invokes_its_alias() -> None:
    resources = TRANSLATED["Resources"]
    aliases = _aliases()
    seen = set()
    for logical_id, r in resources.items():
        props = r.get("Properties", {})
        if r["Type"] in ("AWS::Lambda::EventSourceMapping", "AWS::Lambda::Permission"):
            target = props["FunctionName"]["Ref"]
        elif r["Type"] == "AWS::Events::Rule":
            (rule_target,) = props["Targets"]
            target = rule_target["Arn"]["Ref"] if "Ref" in rule_target["Arn"] else rule_target["Arn"]["Fn::GetAtt"][0]
        else:
            continue
        function_id = _function_of(target)
        if function_id in SNAPSTART_FUNCTIONS:
            assert target == aliases[function_id], f"{logical_id} invokes {target}, not the alias"
            seen.add(function_id)
    assert seen == SNAPSTART_FUNCTIONS
    # The HTTP API's integration calls the API function's alias.
    body = json.dumps(next(r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Api")["Properties"])
    assert "${" + aliases["ApiFunction"] + "}/invocations" in body
    assert "${ApiFunction.Arn}" not in body and "${ApiFunction}/" not in body


def test_functions_and_the_layer_run_on_arm64() -> None:
    assert TEMPLATE["Globals"]["Function"]["Architectures"] == ["arm64"]
    layer = TEMPLATE["Resources"]["CommonLayer"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    for logical_id, r in TRANSLATED["Resources"].items():
        if r["Type"] == "AWS::Lambda::Function":
            assert r["Properties"]["Architectures"] == ["arm64"], logical_id
    makefile = (ROOT / "layers/common/Makefile").read_text()
    assert "LAMBDA_ARCH ?= aarch64" in makefile and "x86_64" not in makefile.split("LAMBDA_WHEELS =")[1]


def test_the_lean_profile_has_no_proxy_and_a_database_that_pauses() -> None:
    resources = TEMPLATE["Resources"]
    production, lean = _conditions(), _conditions(Profile="lean")
    assert TEMPLATE["Parameters"]["Profile"]["Default"] == "production"
    for proxy in ("DatabaseProxy", "DatabaseProxyTargetGroup", "DatabaseProxyRole"):
        condition = resources[proxy]["Condition"]
        assert production[condition] and not lean[condition], proxy
    scaling = resources["DatabaseCluster"]["Properties"]["ServerlessV2ScalingConfiguration"]
    condition, lean_min, production_min = scaling["MinCapacity"]["Fn::If"]
    assert lean[condition] and not production[condition]
    assert (lean_min, production_min) == (0, 0.5)
    assert scaling["SecondsUntilAutoPause"] == {"Fn::If": [condition, 300, {"Ref": "AWS::NoValue"}]}
    # Aurora PostgreSQL 17 scales to 0 ACU (auto-pause needs 13.15, 14.12, 15.7, 16.3 or any 17).
    assert str(resources["DatabaseCluster"]["Properties"]["EngineVersion"]).startswith("17.")
    # Without the proxy, the functions connect to the cluster's own endpoint (the secret's host).
    host = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["DATABASE_HOST"]
    assert host == {"Fn::If": ["CreateProxy", {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}, ""]}
    # Nothing in lean keeps the database awake: the relay's sweep wakes it every 2 hours, not every minute.
    schedule = resources["RelayOutboxFunction"]["Properties"]["Events"]["EveryMinute"]["Properties"]["Schedule"]
    assert schedule == {"Fn::If": ["Lean", "rate(2 hours)", "rate(1 minute)"]}
