"""Parity between what the functions do and what template.yaml gives them in AWS.

Every function is driven through the paths that call AWS, with exactly the environment the template
gives it (resolved against the test's queues, secrets and schedule group; STAGE=prod, the database
reached through a Secrets Manager secret and DATABASE_HOST as behind RDS Proxy). Meanwhile every
botocore call and every setting read is recorded per function. Then:
- each recorded call must be allowed by that function's role in the *translated* template;
- each setting read must be in that function's environment, or have a default valid in AWS.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import admin_handler
import boto3
import botocore.client
import botocore.signers
import deliver_webhook_handler
import generate_report_handler
import httpx
import migrate_handler
import process_payment_handler
import process_refund_handler
import psycopg
import pytest
import relay_outbox_handler

from deploy.iam import AwsCall, denied_calls, iam_action
from deploy.translate import translate
from devstack.emulator import QueueSet, create_schedule_group
from gateway.adapters import scheduler, secrets
from gateway.adapters.postgres import transaction
from gateway.domain import disputes
from gateway.domain.merchant_identity import merchant_in
from gateway.models.disputes import ContestDisputeRequest, CreateDocumentRequest, OpenDisputeRequest
from gateway.settings import Settings
from stack.template import Resolver, evaluate_conditions, load_template, make_resolver
from tests.conftest import reset_gateway_caches
from tests.support import ROOT, TEST_MERCHANT_ID, TOPOLOGY, Gateway, WebhookReceiver, fake_message, lambda_context

TEMPLATE = load_template(ROOT / "template.yaml")
TRANSLATED = translate(TEMPLATE)
REGION, ACCOUNT = "us-east-1", "123456789012"  # moto's account: its queue ARNs carry it
SETTING_NAMES = frozenset(Settings.model_fields)
SCHEDULE_GROUP = "parity-webhook-retries"
LINK_SCHEDULE_GROUP = "parity-payment-link-expiry"
DISPUTE_GROUP = "parity-dispute-deadlines"
# Its fixed name in the template (a Ref from the API would be a cycle), for stack "parity" below.
EVIDENCE_BUCKET = f"parity-evidence-{ACCOUNT}-{REGION}"
SETTING_VARIABLES = {name.upper() for name in SETTING_NAMES}


@dataclass
class Recorder:
    current: str | None = None
    calls: list[AwsCall] = field(default_factory=list)
    reads: dict[str, set[str]] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)  # URL -> ARN

    def record_call(self, service: str, operation: str, params: dict[str, Any]) -> None:
        if self.current is None:
            return
        if service == "sqs":
            resource = self.queue_arns[params["QueueUrl"]]
        elif service == "secretsmanager":
            resource = params["SecretId"]
        elif service == "s3":
            resource = f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"
            # S3 authorises HeadObject as s3:GetObject.
            operation = {"HeadObject": "GetObject"}.get(operation, operation)
        elif service == "scheduler" and operation == "CreateSchedule":
            resource = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{params['GroupName']}/{params['Name']}"
            # Handing the schedule its role is a call of its own to IAM.
            self.calls.append(AwsCall(self.current, "iam:PassRole", params["Target"]["RoleArn"]))
        else:
            raise AssertionError(f"{self.current} calls {service}:{operation}; teach this recorder its resource")
        self.calls.append(AwsCall(self.current, iam_action(service, operation), resource))


@dataclass
class Scenario:
    recorder: Recorder
    resolve: Resolver
    environments: dict[str, dict[str, str]]


def local_values(
    queues: QueueSet, buckets: dict[str, str], database_secret: str, session_secret: str, proxy_host: str
) -> Resolver:
    values = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": "parity",
        "AWS::StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/parity/6f1c2a1e-0000-4000-8000-000000000001",
        **{name: str(p.get("Default", "")) for name, p in TEMPLATE["Parameters"].items()},
        "Stage": "prod",
        "DatabaseSecret": database_secret,
        "SessionSigningSecret": session_secret,
        "WebhookRetryScheduleGroup": SCHEDULE_GROUP,
        "PaymentLinkExpiryScheduleGroup": LINK_SCHEDULE_GROUP,
        "DisputeDeadlineScheduleGroup": DISPUTE_GROUP,
        "EvidenceBucket": EVIDENCE_BUCKET,
        **queues.urls,
        **buckets,
    }
    attributes = {
        ("DatabaseProxy", "Endpoint"): proxy_host,
        ("CheckoutDistribution", "DomainName"): "d1checkout.cloudfront.net",
        ("SchedulerToWebhooksQueueRole", "Arn"): f"arn:aws:iam::{ACCOUNT}:role/parity-scheduler",
        ("SchedulerToPaymentsQueueRole", "Arn"): f"arn:aws:iam::{ACCOUNT}:role/parity-link-expiry",
        ("SchedulerToRefundsQueueRole", "Arn"): f"arn:aws:iam::{ACCOUNT}:role/parity-dispute-scheduler",
        ("EvidenceBucket", "Arn"): f"arn:aws:s3:::{EVIDENCE_BUCKET}",
    }
    for logical_id in queues.urls:
        attributes[(logical_id, "Arn")] = queues.arns[logical_id]
        attributes[(logical_id, "QueueName")] = queues.names[logical_id]
    for logical_id, name in buckets.items():
        attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"
    return make_resolver(values, attributes, evaluate_conditions(TEMPLATE, values))


@contextmanager
def as_function(scenario: Scenario, function_id: str, bank_wait_ms: int = 0) -> Iterator[None]:
    """The process environment of that function in AWS (plus test-mode pacing), caches cold."""
    saved = dict(os.environ)
    for name in SETTING_VARIABLES | {"STAGE"}:
        os.environ.pop(name, None)
    os.environ.update(scenario.environments[function_id])
    os.environ.update(
        {"TEST_MODE": "true", "TEST_PROCESSING_DELAY": str(bank_wait_ms), "POWERTOOLS_LOG_LEVEL": "WARNING"}
    )
    reset_gateway_caches()
    secrets.secret_string.cache_clear()
    scheduler._client.cache_clear()
    scenario.recorder.current = function_id
    try:
        yield
    finally:
        scenario.recorder.current = None
        os.environ.clear()
        os.environ.update(saved)
        reset_gateway_caches()


def messages(gateway: Gateway, queue_id: str) -> dict[str, Any]:
    return gateway.sqs_event(queue_id, gateway.receive(queue_id, wait_seconds=1))


@pytest.fixture
def scenario(
    gateway: Gateway, receiver: WebhookReceiver, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scenario]:
    # Given the secrets a deploy creates, holding the test database's credentials (its writer host
    # is unreachable: connecting only works through DATABASE_HOST, as behind RDS Proxy)...
    info = psycopg.conninfo.conninfo_to_dict(gateway.database_url)
    database = {
        "username": info.get("user", "postgres"),
        "password": info.get("password", ""),
        "host": "writer.database.invalid",
        "port": int(info.get("port") or 5432),
        "dbname": info.get("dbname", "postgres"),
        "sslmode": "disable",
    }
    secretsmanager = boto3.client("secretsmanager")
    suffix = uuid.uuid4().hex[:8]
    database_arn = secretsmanager.create_secret(Name=f"db-{suffix}", SecretString=json.dumps(database))["ARN"]
    session_arn = secretsmanager.create_secret(Name=f"session-{suffix}", SecretString="s" * 64)["ARN"]
    create_schedule_group(SCHEDULE_GROUP)
    create_schedule_group(LINK_SCHEDULE_GROUP)
    create_schedule_group(DISPUTE_GROUP)
    s3 = boto3.client("s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=EVIDENCE_BUCKET)
    resolve = local_values(
        gateway.queues, buckets, database_arn, session_arn, quote(str(info.get("host", "")), safe="")
    )
    environments = {
        function_id: {name: str(resolve(value)) for name, value in spec.environment.items()}
        for function_id, spec in TOPOLOGY.functions.items()
    }
    recorder = Recorder(queue_arns={gateway.queues.urls[q]: gateway.queues.arns[q] for q in gateway.queues.urls})
    original_call = botocore.client.BaseClient._make_api_call

    def recording_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        recorder.record_call(client.meta.service_model.signing_name, operation, params)
        return original_call(client, operation, params)

    original_read = Settings.__getattribute__

    def recording_read(settings: Settings, name: str) -> Any:
        if name in SETTING_NAMES and recorder.current is not None:
            recorder.reads.setdefault(recorder.current, set()).add(name)
        return original_read(settings, name)

    original_presign = botocore.signers.RequestSigner.generate_presigned_url

    def recording_presign(signer: Any, request_dict: dict[str, Any], operation_name: str, **kwargs: Any) -> Any:
        # A presigned URL is no call from the function, but S3 authorises its use with the signer's
        # role: record it as the action it will perform (path-style: /bucket/key).
        bucket, key = urlsplit(request_dict["url"]).path.lstrip("/").split("/", 1)
        recorder.record_call("s3", operation_name, {"Bucket": bucket, "Key": unquote(key)})
        return original_presign(signer, request_dict, operation_name=operation_name, **kwargs)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording_call)
    monkeypatch.setattr(botocore.signers.RequestSigner, "generate_presigned_url", recording_presign)
    monkeypatch.setattr(Settings, "__getattribute__", recording_read)
    run = Scenario(recorder, resolve, environments)
    receiver.default_status = 500  # every delivery fails: retries are scheduled
    # Saved beforehand: in AWS the URL guard refuses a loopback URL, test mode or not, and refuses to
    # send to it (a failed attempt, as the receiver's 500 would be): the retries are scheduled alike.
    gateway.set_webhook_url(receiver.url)

    # When each function does its work...
    with as_function(run, "ApiFunction"):
        payment = gateway.create_payment(gateway.create_order()["id"])
        login = gateway.api(
            "POST", "/api/v1/auth/login", {"email": "test@example.com", "password": "password123"}, headers={}
        )
        assert login.status == 200, login.body
        assert gateway.api("GET", "/health").status == 200
        # A payment link with an expiry: the API creates its one-time schedule.
        link = gateway.api("POST", "/api/v1/payment_links", {"amount": 5000, "expire_by": int(time.time()) + 3600})
        assert link.status == 201, link.body
    batch = messages(gateway, "PaymentsQueue")  # what Lambda's poller receives, not the function
    # With the bank's wait: the claim sends the bank's reply to the payments queue with a timer...
    with as_function(run, "ProcessPaymentFunction", bank_wait_ms=1000):
        process_payment_handler.lambda_handler(batch, lambda_context())
    batch = gateway.sqs_event("PaymentsQueue", gateway.receive("PaymentsQueue", wait_seconds=3))
    assert len(batch["Records"]) == 1, "the bank's reply did not arrive"
    # ...whose delivery finishes the payment.
    with as_function(run, "ProcessPaymentFunction"):
        process_payment_handler.lambda_handler(batch, lambda_context())
    with as_function(run, "ApiFunction"):
        refund = gateway.api("POST", f"/api/v1/payments/{payment['id']}/refunds", {"amount": 1000})
        assert refund.status == 201, refund.body
    batch = messages(gateway, "RefundsQueue")  # what Lambda's poller receives, not the function
    with as_function(run, "ProcessRefundFunction"):
        process_refund_handler.lambda_handler(batch, lambda_context())
    with as_function(run, "ApiFunction"):
        report = gateway.api("POST", "/api/v1/reports", {"type": "payments", "from": "2000-01-01", "to": "2000-02-01"})
        assert report.status == 202, report.body
    batch = messages(gateway, "ReportsQueue")
    with as_function(run, "GenerateReportFunction"):
        assert generate_report_handler.lambda_handler(batch, lambda_context()) == {"batchItemFailures": []}
    with as_function(run, "ApiFunction"):
        ready = gateway.api("GET", f"/api/v1/reports/{report.json['id']}")
        assert ready.json["status"] == "ready" and ready.json["download_url"], ready.body
    # A dispute (in AWS the network opens it; the test route is local-only): its deadline's schedule...
    with as_function(run, "ApiFunction"):
        captured = gateway.api("POST", f"/api/v1/payments/{payment['id']}/capture", {"amount": payment["amount"]})
        assert captured.status == 200, captured.body
        with transaction() as tx:
            merchant = merchant_in(tx, TEST_MERCHANT_ID)
        dispute = disputes.open_dispute(merchant, payment["id"], OpenDisputeRequest(reason="fraudulent", amount=100))
    # ...and its message arriving early: put back on the refunds queue for the time left.
    deadline = json.dumps({"job": "dispute_deadline", "dispute_id": dispute.id})
    with as_function(run, "ProcessRefundFunction"):
        process_refund_handler.lambda_handler(
            gateway.sqs_event("RefundsQueue", [fake_message(deadline)]), lambda_context()
        )
    # Evidence: a presigned PUT (signed, no call), the upload, and the contest's check of it.
    with as_function(run, "ApiFunction"):
        document = disputes.add_document(
            merchant, dispute.id, CreateDocumentRequest(filename="r.pdf", content_type="application/pdf", size=3)
        )
    assert httpx.put(document.upload_url, content=b"pdf", headers={"Content-Type": "application/pdf"}).is_success
    with as_function(run, "ApiFunction"):
        evidence = ContestDisputeRequest.model_validate({"evidence": {"summary": "s", "documents": [document.id]}})
        assert disputes.contest(merchant, dispute.id, evidence).status == "under_review"
    # One delivery has failed twice already: its next wait (30 min) is an EventBridge schedule.
    gateway.execute(
        "UPDATE webhook_logs SET attempts = 2 WHERE id = (SELECT id FROM webhook_logs ORDER BY created_at LIMIT 1)"
    )
    batch = messages(gateway, "WebhooksQueue")  # what Lambda's poller receives, not the function
    with as_function(run, "DeliverWebhookFunction"):
        deliver_webhook_handler.lambda_handler(batch, lambda_context())
    for queue in ("payments", "refunds", "webhooks", "reports"):
        gateway.execute(
            "INSERT INTO outbox (queue, body, created_at) VALUES (%s, '{}', now() - interval '1 minute')", (queue,)
        )
    with as_function(run, "RelayOutboxFunction"):
        relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context())
    with as_function(run, "AdminFunction"):
        event = {"action": "create_merchant", "name": "Parity", "email": "p@parity.test", "password": "p" * 12}
        assert admin_handler.lambda_handler(event, lambda_context())["ok"] is True
    receiver.default_status = 200  # CloudFormation's presigned URL takes the reply
    with as_function(run, "MigrateFunction"):
        event = {
            "RequestType": "Update",
            "ResponseURL": receiver.url,
            "StackId": "parity",
            "RequestId": "1",
            "LogicalResourceId": "DatabaseSchema",
            "PhysicalResourceId": "DatabaseSchema-schema",
        }
        assert migrate_handler.lambda_handler(event, lambda_context())["status"] == "SUCCESS"
    yield run
    # The emulator is shared: leave no schedule for other tests' scheduler emulators to fire.
    scheduler = boto3.client("scheduler")
    for group in (SCHEDULE_GROUP, DISPUTE_GROUP):
        for schedule in scheduler.list_schedules(GroupName=group)["Schedules"]:
            scheduler.delete_schedule(Name=schedule["Name"], GroupName=group)


def test_every_aws_call_a_function_makes_is_allowed_by_its_role(scenario: Scenario) -> None:
    calls = scenario.recorder.calls
    made = {(call.function_id, call.action) for call in calls}
    # The scenario reached every kind of call the gateway makes...
    assert {
        ("ApiFunction", "sqs:SendMessage"),
        ("ApiFunction", "sqs:GetQueueAttributes"),
        ("ApiFunction", "secretsmanager:GetSecretValue"),
        ("ProcessPaymentFunction", "sqs:SendMessage"),
        ("ProcessRefundFunction", "sqs:SendMessage"),
        ("ApiFunction", "s3:GetObject"),
        ("GenerateReportFunction", "s3:PutObject"),
        ("GenerateReportFunction", "secretsmanager:GetSecretValue"),
        ("ApiFunction", "scheduler:CreateSchedule"),
        ("ApiFunction", "iam:PassRole"),
        ("ApiFunction", "s3:GetObject"),
        ("DeliverWebhookFunction", "sqs:SendMessage"),
        ("DeliverWebhookFunction", "scheduler:CreateSchedule"),
        ("DeliverWebhookFunction", "iam:PassRole"),
        ("RelayOutboxFunction", "sqs:SendMessage"),
        ("AdminFunction", "secretsmanager:GetSecretValue"),
        ("MigrateFunction", "secretsmanager:GetSecretValue"),
    } <= made
    relayed = {call.resource for call in calls if call.function_id == "RelayOutboxFunction"}
    queues = ("PaymentsQueue", "RefundsQueue", "ReportsQueue")
    assert {scenario.resolve({"Fn::GetAtt": [q, "Arn"]}) for q in queues} <= relayed
    # ...and the deployed roles allow each one, on its resource.
    assert denied_calls(TRANSLATED, calls, scenario.resolve) == []


def _without_statement(role_id: str, matches: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(TRANSLATED)
    for policy in mutated["Resources"][role_id]["Properties"]["Policies"]:
        statements = policy["PolicyDocument"]["Statement"]
        policy["PolicyDocument"]["Statement"] = [s for s in statements if not matches(s)]
    return mutated


def test_the_iam_check_fails_when_one_policy_statement_is_removed(scenario: Scenario) -> None:
    calls = scenario.recorder.calls
    no_schedules = _without_statement(
        "DeliverWebhookFunctionRole", lambda s: s.get("Sid") == "CreateOneTimeRetrySchedules"
    )
    denied = denied_calls(no_schedules, calls, scenario.resolve)
    assert {(c.function_id, c.action) for c in denied} == {("DeliverWebhookFunction", "scheduler:CreateSchedule")}

    refunds_queue = scenario.resolve({"Fn::GetAtt": ["RefundsQueue", "QueueName"]})

    def sends_to_refunds(statement: dict[str, Any]) -> bool:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        return "sqs:SendMessage*" in statement["Action"] and any(
            str(scenario.resolve(resource)).endswith(refunds_queue) for resource in resources
        )

    no_refund_sends = _without_statement("ApiFunctionRole", sends_to_refunds)
    denied = denied_calls(no_refund_sends, calls, scenario.resolve)
    assert denied and {(c.function_id, c.action, c.resource.rsplit(":", 1)[1]) for c in denied} == {
        ("ApiFunction", "sqs:SendMessage", refunds_queue)
    }


def test_every_setting_a_function_reads_is_in_its_template_environment(scenario: Scenario) -> None:
    defaults = {name: info.default for name, info in Settings.model_fields.items()}
    assert set(scenario.recorder.reads) == set(TOPOLOGY.functions)
    missing = {}
    for function_id, names in scenario.recorder.reads.items():
        environment = TOPOLOGY.functions[function_id].environment
        lacking = {
            name
            for name in names
            if name.upper() not in environment and name not in Settings.EMPTY_IS_VALID and defaults[name] in ("", None)
        }
        if lacking:
            missing[function_id] = sorted(lacking)
    assert missing == {}
    # What the functions did read includes what only AWS needs: the secrets and the proxy.
    assert {"database_secret_arn", "database_host"} <= scenario.recorder.reads["ApiFunction"]
    assert "webhook_scheduler_role_arn" in scenario.recorder.reads["DeliverWebhookFunction"]
    assert {"dispute_scheduler_role_arn", "dispute_schedule_group", "refunds_queue_arn"} <= scenario.recorder.reads[
        "ApiFunction"
    ]
