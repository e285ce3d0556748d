"""The deploy rehearsal: template.yaml, translated by SAM, deployed through CloudFormation to a real
LocalStack (host mode, installed by scripts/bootstrap-localstack.sh) in each parameter set (the
production and lean profiles on a fresh account, an existing database), and what it created looked
at through LocalStack's own service APIs. What it cannot show: see README, "Deploy"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from deploy.rehearsal import (
    FRESH_ACCOUNT,
    LEAN_FRESH_ACCOUNT,
    StackResult,
    aws_client,
    existing_database_parameters,
    rehearsal_variant,
    rehearse,
)
from deploy.translate import translate_file
from stack.localstack import running_localstack

TRANSLATED = translate_file()


@pytest.fixture(scope="module")
def localstack() -> Iterator[str]:
    with running_localstack() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def fresh_account(localstack: str) -> StackResult:
    return rehearse(localstack, TRANSLATED, FRESH_ACCOUNT, "fresh-account")


@pytest.fixture(scope="module")
def lean_fresh_account(localstack: str) -> StackResult:
    return rehearse(localstack, TRANSLATED, LEAN_FRESH_ACCOUNT, "lean-fresh-account")


@pytest.fixture(scope="module")
def existing_database(localstack: str) -> StackResult:
    return rehearse(localstack, TRANSLATED, existing_database_parameters(localstack), "existing-database")


def physical_ids(result: StackResult) -> dict[str, str]:
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in result.resources}


def test_only_lambda_and_http_api_resources_are_left_out_of_the_rehearsal() -> None:
    variant, removed = rehearsal_variant(TRANSLATED)
    assert {t for t in removed.values()} == {
        "AWS::Lambda::Function",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::LayerVersion",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "Custom::DatabaseSchema",  # served by MigrateFunction
    }
    assert set(variant["Resources"]) | set(removed) == set(TRANSLATED["Resources"])
    # No reference to a removed resource is left for CloudFormation to trip on.
    assert not any(name in json.dumps(variant["Resources"]) for name in ('"Ref": "ApiFunction"', "ApiFunction.Arn"))


def test_a_fresh_account_deploy_completes(fresh_account: StackResult) -> None:
    assert fresh_account.status == "CREATE_COMPLETE", fresh_account.failures
    assert fresh_account.failures == []
    assert fresh_account.seconds < 120


def test_a_fresh_account_gets_a_private_network_with_nat_egress(localstack: str, fresh_account: StackResult) -> None:
    ids = physical_ids(fresh_account)
    ec2 = aws_client("ec2", localstack)
    vpc = ec2.describe_vpcs(VpcIds=[ids["Vpc"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == "10.42.0.0/16"
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets if s["SubnetId"] != ids["PublicSubnet"]}) == 2
    nat = ec2.describe_nat_gateways(NatGatewayIds=[ids["NatGateway"]])["NatGateways"][0]
    assert nat["SubnetId"] == ids["PublicSubnet"]
    private_routes = ec2.describe_route_tables(RouteTableIds=[ids["PrivateRouteTable"]])["RouteTables"][0]
    default = [r for r in private_routes["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    # LocalStack's route provider drops the target; tests/unit/test_template.py checks it is the NAT.
    assert len(default) == 1
    # The database's group admits nothing from any address range (LocalStack accepts the separate
    # ingress rules as no-ops; tests/unit/test_template.py checks they name security groups only).
    group = ec2.describe_security_groups(GroupIds=[ids["DatabaseSecurityGroup"]])["SecurityGroups"][0]
    assert all(rule["IpRanges"] == [] for rule in group["IpPermissions"])


def test_a_fresh_account_gets_generated_secrets(localstack: str, fresh_account: StackResult) -> None:
    ids = physical_ids(fresh_account)
    secrets = aws_client("secretsmanager", localstack)
    database = json.loads(secrets.get_secret_value(SecretId=ids["DatabaseSecret"])["SecretString"])
    assert database["username"] == "gateway" and len(database["password"]) == 40
    session_key = secrets.get_secret_value(SecretId=ids["SessionSigningSecret"])["SecretString"]
    assert len(session_key) == 64


def test_queues_alarms_and_logs_are_created_as_declared(localstack: str, fresh_account: StackResult) -> None:
    ids = physical_ids(fresh_account)
    sqs = aws_client("sqs", localstack)
    attributes = sqs.get_queue_attributes(QueueUrl=ids["PaymentsQueue"], AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == 5 and redrive["deadLetterTargetArn"].endswith(
        ids["PaymentsDeadLetterQueue"].rsplit("/", 1)[1]
    )
    dlq = sqs.get_queue_attributes(QueueUrl=ids["WebhooksDeadLetterQueue"], AttributeNames=["All"])["Attributes"]
    assert dlq["MessageRetentionPeriod"] == "1209600"

    alarms = aws_client("cloudwatch", localstack).describe_alarms()["MetricAlarms"]
    mine = {alarm["AlarmName"]: alarm for alarm in alarms if alarm["AlarmName"] in ids.values()}
    assert len(mine) == 7
    assert all(alarm["AlarmActions"] == [ids["AlarmTopic"]] for alarm in mine.values())
    dead_letter_alarm = mine[ids["WebhooksDeadLetterAlarm"]]
    assert dead_letter_alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": ids["WebhooksDeadLetterQueue"].rsplit("/", 1)[1]}
    ]

    # LocalStack creates the log groups but ignores their retention (checked in the template test).
    groups = {group["logGroupName"] for group in aws_client("logs", localstack).describe_log_groups()["logGroups"]}
    for logical_id in ("ApiLogGroup", "DeliverWebhookLogGroup", "MigrateLogGroup", "ApiAccessLogGroup"):
        assert ids[logical_id] in groups, logical_id

    schedule_groups = aws_client("scheduler", localstack).list_schedule_groups()["ScheduleGroups"]
    assert {"fresh-account-webhook-retries", "fresh-account-dispute-deadlines"} <= {g["Name"] for g in schedule_groups}


def test_function_roles_carry_their_policies(localstack: str, fresh_account: StackResult) -> None:
    ids = physical_ids(fresh_account)
    iam = aws_client("iam", localstack)
    policies = iam.list_role_policies(RoleName=ids["DeliverWebhookFunctionRole"])["PolicyNames"]
    documents: list[Any] = [
        iam.get_role_policy(RoleName=ids["DeliverWebhookFunctionRole"], PolicyName=name)["PolicyDocument"]
        for name in policies
    ]
    actions = {
        action
        for document in documents
        for statement in document["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert {"scheduler:CreateSchedule", "iam:PassRole", "secretsmanager:GetSecretValue"} <= actions


def test_an_existing_database_deploy_completes_without_creating_a_network(
    localstack: str, existing_database: StackResult
) -> None:
    assert existing_database.status == "CREATE_COMPLETE", existing_database.failures
    ids = physical_ids(existing_database)
    assert not {"Vpc", "NatGateway", "DatabaseCluster", "DatabaseProxy", "DatabaseSecret"} & set(ids)
    assert "SessionSigningSecret" not in ids  # the user's own secret is used
    subscriptions = aws_client("sns", localstack).list_subscriptions_by_topic(TopicArn=ids["AlarmTopic"])
    assert [s["Endpoint"] for s in subscriptions["Subscriptions"]] == ["ops@example.com"]


def test_a_lean_fresh_account_gets_no_proxy_and_a_nat_instance(
    localstack: str, lean_fresh_account: StackResult
) -> None:
    assert lean_fresh_account.status == "CREATE_COMPLETE", lean_fresh_account.failures
    assert lean_fresh_account.failures == []
    ids = physical_ids(lean_fresh_account)
    assert not {"DatabaseProxy", "DatabaseProxyTargetGroup", "DatabaseProxyRole", "NatGateway", "NatAddress"} & set(ids)
    assert {"DatabaseCluster", "DatabaseInstance", "LeanDatabaseParameters", "NatInstance"} <= set(ids)
    ec2 = aws_client("ec2", localstack)
    (reservation,) = ec2.describe_instances(InstanceIds=[ids["NatInstance"]])["Reservations"]
    (instance,) = reservation["Instances"]
    # LocalStack places the instance in its default subnet whatever NetworkInterfaces says; the
    # template test checks the public subnet, source/dest check off and IMDSv2.
    assert instance["InstanceType"] == "t4g.nano"
    private_routes = ec2.describe_route_tables(RouteTableIds=[ids["PrivateRouteTable"]])["RouteTables"][0]
    assert len([r for r in private_routes["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]) == 1
    group = ec2.describe_security_groups(GroupIds=[ids["NatInstanceSecurityGroup"]])["SecurityGroups"][0]
    assert all(rule["IpRanges"] == [] for rule in group["IpPermissions"])  # only the functions' group
