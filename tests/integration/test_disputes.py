"""Disputes on the real Postgres, SQS endpoint and Scheduler API, through the API and the refunds
consumer: the lifecycle, the books, the deadline's one-time schedule, and a payment's refunds plus
disputes never exceeding it, whatever races."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import httpx
import process_refund_handler
import pytest
import relay_outbox_handler

from devstack.emulator import create_schedule_group, scheduler_client
from devstack.scheduler import SchedulerEmulator
from gateway.adapters.postgres import transaction
from gateway.domain import disputes, refunds
from gateway.domain.merchant_identity import Merchant
from gateway.errors import GatewayError
from gateway.models.disputes import ContestDisputeRequest, OpenDisputeRequest
from gateway.models.jobs import DisputeDeadlineJob
from gateway.models.refunds import CreateRefundRequest
from tests.integration.test_ledger import (
    OTHER,
    _balance,
    _entries,
    _merchant,
    _other_merchant,
    _process,
    _refund,
)
from tests.integration.test_settlements import RUN, _captured
from tests.support import Gateway, WebhookReceiver, deliver_once, lambda_context, wait_until

DISP_ID = re.compile(r"^disp_[A-Za-z0-9]{16}$")
NO_CREDENTIALS = {"x-api-key": None, "x-api-secret": None}
EVIDENCE = {"summary": "Delivered on 3 Dec; signed for by the shopper", "documents": []}
SCHEDULE_GROUP = "test-dispute-deadlines"
ROLE_ARN = "arn:aws:iam::000000000000:role/scheduler-to-refunds"


def _open(gateway: Gateway, payment: dict[str, Any], amount: int | None = None, **headers: str) -> Any:
    body: dict[str, Any] = {"reason": "fraudulent"}
    if amount is not None:
        body["amount"] = amount
    return gateway.api("POST", f"/api/v1/test/payments/{payment['id']}/dispute", body, headers=headers or None)


def _opened(gateway: Gateway, payment: dict[str, Any], amount: int | None = None) -> dict[str, Any]:
    reply = _open(gateway, payment, amount)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def _contest(gateway: Gateway, dispute: dict[str, Any], evidence: dict[str, Any] | None = None) -> Any:
    return gateway.api("POST", f"/api/v1/disputes/{dispute['id']}/contest", {"evidence": evidence or EVIDENCE})


def _resolve(gateway: Gateway, dispute: dict[str, Any], outcome: str) -> Any:
    return gateway.api("POST", f"/api/v1/test/disputes/{dispute['id']}/resolve", {"outcome": outcome})


def _accept(gateway: Gateway, dispute: dict[str, Any]) -> Any:
    return gateway.api("POST", f"/api/v1/disputes/{dispute['id']}/accept")


def _events(gateway: Gateway, dispute_id: str) -> list[str]:
    rows = gateway.rows("SELECT type FROM events WHERE payload LIKE %s ORDER BY created_at, id", (f"%{dispute_id}%",))
    return [row["type"] for row in rows]


def _past_deadline(gateway: Gateway, dispute: dict[str, Any], seconds: int = 1) -> None:
    gateway.execute(
        "UPDATE disputes SET respond_by = now() - make_interval(secs => %s) WHERE id = %s", (seconds, dispute["id"])
    )


def _error(reply: Any) -> tuple[int, str]:
    return reply.status, reply.json["error"]["code"]


@pytest.fixture
def scheduled(gateway: Gateway, setting: Callable[[str, str], None]) -> str:
    """The API's dispute schedule settings, as the template gives them (a group of the test's own)."""
    create_schedule_group(SCHEDULE_GROUP)
    setting("DISPUTE_SCHEDULE_GROUP", SCHEDULE_GROUP)
    setting("DISPUTE_SCHEDULER_ROLE_ARN", ROLE_ARN)
    setting("REFUNDS_QUEUE_ARN", gateway.queues.arns["RefundsQueue"])
    return SCHEDULE_GROUP


def _drop_schedules(group: str) -> None:
    # The emulator is shared: leave no schedule for other tests' scheduler emulators to fire.
    client = scheduler_client()
    for schedule in client.list_schedules(GroupName=group)["Schedules"]:
        client.delete_schedule(Name=schedule["Name"], GroupName=group)


# --- opening --------------------------------------------------------------------------------


def test_a_dispute_on_a_captured_payment_debits_the_books_at_once(gateway: Gateway) -> None:
    payment = _captured(gateway, 100_000)
    before = datetime.now(UTC)
    dispute = _opened(gateway, payment, 40_000)
    assert DISP_ID.match(dispute["id"])
    assert {k: dispute[k] for k in ("payment_id", "amount", "currency", "reason", "status")} == {
        "payment_id": payment["id"],
        "amount": 40_000,
        "currency": "INR",
        "reason": "fraudulent",
        "status": "open",
    }
    assert dispute["evidence"] is None and dispute["closed_reason"] is None and dispute["closed_at"] is None
    respond_by = datetime.fromisoformat(dispute["respond_by"])
    assert respond_by.utcoffset() == timedelta(0)
    assert timedelta(seconds=604_790) < respond_by - before < timedelta(seconds=604_810)  # seven days

    [entry] = _entries(gateway, "&type=dispute")
    assert (entry["source_id"], entry["amount"], entry["fee"], entry["tax"], entry["net"]) == (
        dispute["id"],
        -40_000,
        0,
        0,
        -40_000,
    )
    assert _balance(gateway) == (97_640 - 40_000, 0)  # a debit counts against the available balance at once
    assert _events(gateway, dispute["id"]) == ["dispute.created"]
    assert gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").json == dispute
    # The event is listed with its payment's.
    listed = gateway.api("GET", f"/api/v1/events?payment_id={payment['id']}&type=dispute.created").json["data"]
    assert [e["data"]["dispute"]["id"] for e in listed] == [dispute["id"]]


def test_the_amount_defaults_to_what_refunds_and_other_disputes_leave(gateway: Gateway) -> None:
    payment = _captured(gateway, 100_000)
    _refund(gateway, payment, 30_000)  # pending refunds count too
    first = _opened(gateway, payment, 20_000)
    second = _opened(gateway, payment)
    assert second["amount"] == 50_000
    reply = _open(gateway, payment, 1)
    assert _error(reply) == (400, "BAD_REQUEST_ERROR")
    assert "refunds and disputes" in reply.json["error"]["description"]
    # A refund past what the disputes leave is refused the same way.
    refused = gateway.api("POST", f"/api/v1/payments/{payment['id']}/refunds", {"amount": 1})
    assert _error(refused) == (400, "BAD_REQUEST_ERROR")
    # A won dispute frees its amount again; a lost one keeps it.
    assert _contest(gateway, first).status == 200 and _resolve(gateway, first, "won").status == 200
    assert _accept(gateway, second).status == 200
    assert _opened(gateway, payment)["amount"] == 20_000


def test_only_a_captured_payment_of_the_caller_can_be_disputed(gateway: Gateway) -> None:
    from tests.integration.test_ledger import _paid

    uncaptured = _paid(gateway, 50_000)
    assert _error(_open(gateway, uncaptured)) == (400, "BAD_REQUEST_ERROR")
    assert _error(_open(gateway, {"id": "pay_doesnotexist0000"})) == (404, "NOT_FOUND_ERROR")
    _other_merchant(gateway)
    theirs = _captured(gateway, 50_000, **OTHER)
    assert _error(_open(gateway, theirs)) == (404, "NOT_FOUND_ERROR")
    mine = _captured(gateway, 50_000)
    assert _error(_open(gateway, mine, 50_001)) == (400, "BAD_REQUEST_ERROR")
    assert _open(gateway, mine, 0).status == 400  # schema: at least one paisa
    dispute = _opened(gateway, mine)
    # Another merchant sees nothing of it.
    assert _error(gateway.api("GET", f"/api/v1/disputes/{dispute['id']}", headers=OTHER)) == (404, "NOT_FOUND_ERROR")
    assert _error(gateway.api("POST", f"/api/v1/disputes/{dispute['id']}/accept", headers=OTHER))[0] == 404
    assert gateway.api("GET", "/api/v1/disputes", headers=OTHER).json["data"] == []


# --- the lifecycle --------------------------------------------------------------------------


def test_a_contested_dispute_won_credits_the_amount_back(gateway: Gateway) -> None:
    payment = _captured(gateway, 100_000)
    dispute = _opened(gateway, payment)
    contested = _contest(gateway, dispute)
    assert contested.status == 200, contested.body
    assert contested.json["status"] == "under_review" and contested.json["evidence"] == EVIDENCE
    assert contested.json["evidence_submitted_at"] is not None
    # Nothing else can happen to it until the network decides.
    assert _error(_contest(gateway, dispute)) == (409, "INVALID_STATE")
    assert _error(_accept(gateway, dispute)) == (409, "INVALID_STATE")
    assert "under_review" in _accept(gateway, dispute).json["error"]["description"]

    won = _resolve(gateway, dispute, "won")
    assert won.status == 200 and won.json["status"] == "won" and won.json["closed_reason"] == "decided"
    entries = {e["type"]: e for e in _entries(gateway)}
    assert (entries["dispute"]["net"], entries["dispute_reversal"]["net"]) == (-100_000, 100_000)
    assert entries["dispute_reversal"]["source_id"] == dispute["id"] and entries["dispute_reversal"]["fee"] == 0
    assert _balance(gateway) == (97_640, 0)
    assert _events(gateway, dispute["id"]) == ["dispute.created", "dispute.under_review", "dispute.won"]
    assert _error(_resolve(gateway, dispute, "lost")) == (409, "INVALID_STATE")
    assert len(_entries(gateway)) == 3


def test_a_dispute_lost_after_review_or_accepted_keeps_its_debit(gateway: Gateway) -> None:
    payment = _captured(gateway, 100_000)
    reviewed, accepted = _opened(gateway, payment, 30_000), _opened(gateway, payment, 20_000)
    assert _error(_resolve(gateway, reviewed, "won")) == (409, "INVALID_STATE")  # not contested
    assert _contest(gateway, reviewed).status == 200
    lost = _resolve(gateway, reviewed, "lost")
    assert (lost.json["status"], lost.json["closed_reason"]) == ("lost", "decided")
    conceded = _accept(gateway, accepted)
    assert conceded.status == 200, conceded.body
    assert (conceded.json["status"], conceded.json["closed_reason"]) == ("lost", "accepted")
    assert _error(_accept(gateway, accepted)) == (409, "INVALID_STATE")
    assert _error(_contest(gateway, accepted)) == (409, "INVALID_STATE")
    assert sorted(e["type"] for e in _entries(gateway)) == ["dispute", "dispute", "payment"]
    assert _balance(gateway) == (97_640 - 50_000, 0)
    assert _events(gateway, accepted["id"]) == ["dispute.created", "dispute.lost"]


def test_a_contest_after_respond_by_is_refused(gateway: Gateway) -> None:
    dispute = _opened(gateway, _captured(gateway, 100_000))
    _past_deadline(gateway, dispute)
    reply = _contest(gateway, dispute)
    assert _error(reply) == (409, "INVALID_STATE")
    assert "respond_by" in reply.json["error"]["description"]
    assert gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").json["status"] == "open"


def test_evidence_documents_must_belong_to_the_dispute(gateway: Gateway) -> None:
    dispute = _opened(gateway, _captured(gateway, 100_000))
    reply = _contest(gateway, dispute, {"summary": "see the receipt", "documents": ["doc_notuploaded00000"]})
    assert _error(reply) == (400, "BAD_REQUEST_ERROR") and "doc_notuploaded00000" in reply.json["error"]["description"]
    assert _contest(gateway, dispute, {"summary": ""}).status == 400
    assert _contest(gateway, dispute, {"summary": "x", "extra": 1}).status == 400


# --- the deadline ---------------------------------------------------------------------------


def _deadline(dispute_id: str) -> dict[str, Any]:
    return {"Records": [_record(json.dumps({"job": "dispute_deadline", "dispute_id": dispute_id}))]}


def _record(body: str) -> dict[str, Any]:
    return {"messageId": f"m-{time.monotonic_ns()}", "body": body, "attributes": {}, "eventSourceARN": "arn:refunds"}


def test_the_deadline_message_ends_an_unanswered_dispute_once(gateway: Gateway) -> None:
    payment = _captured(gateway, 100_000)
    dispute = _opened(gateway, payment)
    _past_deadline(gateway, dispute)
    for _ in range(3):  # a duplicate delivery or a retry changes nothing more
        assert process_refund_handler.lambda_handler(_deadline(dispute["id"]), lambda_context()) == {
            "batchItemFailures": []
        }
    ended = gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").json
    assert (ended["status"], ended["closed_reason"]) == ("lost", "unanswered")
    assert _events(gateway, dispute["id"]) == ["dispute.created", "dispute.lost"]
    assert [e["type"] for e in _entries(gateway, "&type=dispute")] == ["dispute"]


def test_a_deadline_message_for_an_answered_dispute_changes_nothing(gateway: Gateway) -> None:
    dispute = _opened(gateway, _captured(gateway, 100_000))
    assert _contest(gateway, dispute).status == 200
    _past_deadline(gateway, dispute)
    assert disputes.end_unanswered(DisputeDeadlineJob(job="dispute_deadline", dispute_id=dispute["id"])) is None
    assert gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").json["status"] == "under_review"


def test_an_early_deadline_message_is_put_back_for_the_time_left(gateway: Gateway) -> None:
    dispute = _opened(gateway, _captured(gateway, 100_000))
    gateway.execute("UPDATE disputes SET respond_by = now() + interval '100 seconds' WHERE id = %s", (dispute["id"],))
    assert disputes.end_unanswered(DisputeDeadlineJob(job="dispute_deadline", dispute_id=dispute["id"])) is None
    [row] = gateway.rows("SELECT queue, body, delay_seconds FROM outbox WHERE body LIKE '%%dispute_deadline%%'")
    assert row["queue"] == "refunds" and 99 <= row["delay_seconds"] <= 102
    assert json.loads(row["body"]) == {"job": "dispute_deadline", "dispute_id": dispute["id"]}
    assert gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").json["status"] == "open"


def _contest_racing_deadline(gateway: Gateway, merchant: Merchant) -> tuple[str, str | None, str]:
    """One contest sent as the dispute's deadline passes, against its deadline message delivered
    again and again until it is due; (the contest's outcome, the deadline's, the final status)."""
    dispute = _opened(gateway, _captured(gateway, 10_000))
    gateway.execute(
        "UPDATE disputes SET respond_by = now() + interval '300 milliseconds' WHERE id = %s", (dispute["id"],)
    )
    start = threading.Barrier(2)
    job = DisputeDeadlineJob(job="dispute_deadline", dispute_id=dispute["id"])
    evidence = ContestDisputeRequest.model_validate({"evidence": EVIDENCE})

    def contest() -> str:
        start.wait()
        time.sleep(0.29)
        try:
            return disputes.contest(merchant, dispute["id"], evidence).status
        except GatewayError as refused:
            return refused.code

    def deadline() -> str | None:
        start.wait()
        while True:  # as an early message is put back, until it is due
            outcome = disputes.end_unanswered(job)
            if (
                outcome
                or gateway.rows("SELECT status FROM disputes WHERE id = %s", (dispute["id"],))[0]["status"] != "open"
            ):
                return outcome
            time.sleep(0.005)

    with ThreadPoolExecutor(max_workers=2) as pool:
        contesting, ending = pool.submit(contest), pool.submit(deadline)
        contested, ended = contesting.result(), ending.result()
    assert len(_events(gateway, dispute["id"])) == 2  # created, then one of under_review or lost
    return contested, ended, gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").json["status"]


def test_a_contest_racing_the_deadline_either_wins_or_loses_never_both(gateway: Gateway) -> None:
    merchant = _merchant()
    for _ in range(8):
        outcome = _contest_racing_deadline(gateway, merchant)
        assert outcome in (("under_review", None, "under_review"), ("INVALID_STATE", "lost", "lost")), outcome


def test_opening_schedules_the_deadline_one_time_on_the_refunds_queue(gateway: Gateway, scheduled: str) -> None:
    try:
        dispute = _opened(gateway, _captured(gateway, 100_000))
        schedule = scheduler_client().get_schedule(Name=f"dispute-{dispute['id']}-deadline", GroupName=scheduled)
        at = datetime.strptime(schedule["ScheduleExpression"], "at(%Y-%m-%dT%H:%M:%S)").replace(tzinfo=UTC)
        respond_by = datetime.fromisoformat(dispute["respond_by"])
        assert timedelta(0) <= at - respond_by < timedelta(seconds=1)  # never before the deadline
        assert schedule["ScheduleExpressionTimezone"] == "UTC"
        assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert schedule["ActionAfterCompletion"] == "DELETE"
        assert schedule["Target"]["Arn"] == gateway.queues.arns["RefundsQueue"]
        assert schedule["Target"]["RoleArn"] == ROLE_ARN
        assert json.loads(schedule["Target"]["Input"]) == {"job": "dispute_deadline", "dispute_id": dispute["id"]}
    finally:
        _drop_schedules(scheduled)


def test_an_unanswered_dispute_is_lost_when_the_local_scheduler_fires_its_deadline(
    gateway: Gateway, scheduled: str, setting: Callable[[str, str], None], receiver: WebhookReceiver
) -> None:
    # Given a two-second deadline, the webhook endpoint, and the local Scheduler watching its schedules
    setting("DISPUTE_RESPONSE_SECONDS", "2")
    gateway.set_webhook_url(receiver.url)
    emulator = SchedulerEmulator(log=lambda _: None, poll_seconds=0.5)
    emulator.start()
    try:
        payment = _captured(gateway, 100_000)
        dispute = _opened(gateway, payment)
        # When the schedule fires, its message reaches the refunds queue, and its consumer takes it
        messages = wait_until(lambda: gateway.receive("RefundsQueue", wait_seconds=1), timeout=15)
        assert datetime.now(UTC) >= datetime.fromisoformat(dispute["respond_by"])
        assert [json.loads(m["Body"]) for m in messages] == [{"job": "dispute_deadline", "dispute_id": dispute["id"]}]
        # Deleted once fired: just after the send, so the message can be here first.
        assert wait_until(lambda: scheduler_client().list_schedules(GroupName=scheduled)["Schedules"] == [], timeout=5)
        event = gateway.sqs_event("RefundsQueue", messages)
        process_refund_handler.lambda_handler(event, lambda_context())
        process_refund_handler.lambda_handler(event, lambda_context())  # delivered twice
    finally:
        emulator.stop()
        _drop_schedules(scheduled)
    # Then it is lost, its debit was booked once, and the merchant heard of it
    ended = gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").json
    assert (ended["status"], ended["closed_reason"]) == ("lost", "unanswered")
    assert [(e["type"], e["net"]) for e in _entries(gateway, f"&source_id={dispute['id']}")] == [("dispute", -100_000)]
    assert _balance(gateway) == (97_640 - 100_000, 0)
    assert _events(gateway, dispute["id"]) == ["dispute.created", "dispute.lost"]
    [log] = gateway.rows("SELECT id::text AS id FROM webhook_logs WHERE event = 'dispute.lost'")
    deliver_once(log["id"])  # what the webhooks consumer does with the queued delivery
    hook = receiver.wait_for_match(lambda h: h.json["event"] == "dispute.lost")
    assert hook is not None and hook.json["data"]["dispute"]["id"] == dispute["id"]
    # A negative available balance is carried forward, never settled.
    assert gateway.api("POST", RUN).status == 204


def test_the_relay_ends_an_overdue_dispute_whose_schedule_was_lost(gateway: Gateway) -> None:
    dispute = _opened(gateway, _captured(gateway, 100_000))  # no schedule group configured: none created
    _past_deadline(gateway, dispute, seconds=60)
    assert relay_outbox_handler.lambda_handler({}, lambda_context())["ended_overdue_disputes"] == 0
    _past_deadline(gateway, dispute, seconds=600)
    assert relay_outbox_handler.lambda_handler({}, lambda_context())["ended_overdue_disputes"] == 1
    assert relay_outbox_handler.lambda_handler({}, lambda_context())["ended_overdue_disputes"] == 0
    assert gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").json["closed_reason"] == "unanswered"


# --- refunds and disputes racing --------------------------------------------------------------


def _refunds_racing_disputes(merchant: Merchant, payment_id: str) -> list[bool]:
    """Six refunds and six disputes of 30,000 each on one payment, all released at once; which
    were accepted."""
    start = threading.Barrier(12)

    def refund() -> bool:
        start.wait()
        try:
            with transaction() as tx:
                refunds.create_refund(tx, merchant, payment_id, CreateRefundRequest(amount=30_000))
            return True
        except GatewayError:
            return False

    def dispute() -> bool:
        start.wait()
        try:
            disputes.open_dispute(merchant, payment_id, OpenDisputeRequest(reason="duplicate", amount=30_000))
            return True
        except GatewayError:
            return False

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(refund if n % 2 else dispute) for n in range(12)]
        return [f.result() for f in futures]


def test_racing_refunds_and_disputes_never_exceed_the_payment(gateway: Gateway) -> None:
    """Fails with the payment's row lock taken out of opening a dispute: racing requests all read
    what the payment has left before any writes."""
    merchant = _merchant()
    for _ in range(5):
        payment = _captured(gateway, 100_000)
        outcomes = _refunds_racing_disputes(merchant, payment["id"])
        assert outcomes.count(True) == 3, outcomes  # 3 x 30,000 fit in 100,000; a fourth does not
        [held] = gateway.rows(
            "SELECT p.amount_refunded + coalesce((SELECT sum(amount) FROM disputes d WHERE d.payment_id = p.id), 0)"
            " AS total FROM payments p WHERE p.id = %s",
            (payment["id"],),
        )
        assert held["total"] == 90_000
        # Each dispute opened was booked, once.
        assert gateway.count("balance_transactions WHERE type = 'dispute'") == gateway.count("disputes")


# --- the list and the routes ----------------------------------------------------------------


def test_the_list_filters_pages_and_refuses_bad_parameters(gateway: Gateway) -> None:
    first, second = _captured(gateway, 100_000), _captured(gateway, 50_000)
    a, b, c = _opened(gateway, first, 10_000), _opened(gateway, first, 20_000), _opened(gateway, second)
    assert _accept(gateway, b).status == 200
    listed = gateway.api("GET", "/api/v1/disputes").json
    assert [d["id"] for d in listed["data"]] == [c["id"], b["id"], a["id"]]
    assert (listed["total"], listed["has_more"], listed["total_capped"]) == (3, False, False)
    assert [d["id"] for d in gateway.api("GET", "/api/v1/disputes?status=open").json["data"]] == [c["id"], a["id"]]
    by_payment = gateway.api("GET", f"/api/v1/disputes?payment_id={first['id']}").json["data"]
    assert [d["id"] for d in by_payment] == [b["id"], a["id"]]
    page = gateway.api("GET", "/api/v1/disputes?limit=1").json
    assert page["has_more"] and [d["id"] for d in page["data"]] == [c["id"]]
    after = gateway.api("GET", f"/api/v1/disputes?limit=2&starting_after={c['id']}").json
    assert [d["id"] for d in after["data"]] == [b["id"], a["id"]] and not after["has_more"]
    assert [d["id"] for d in gateway.api("GET", f"/api/v1/disputes?search={second['id']}").json["data"]] == [c["id"]]
    for bad in ("status=closed", "limit=0", "unknown=1", "starting_after=disp_nosuchdispute00", "from=yesterday"):
        assert gateway.api("GET", f"/api/v1/disputes?{bad}").status == 400, bad


def test_the_test_routes_need_credentials_and_are_unknown_outside_the_local_runtime(
    gateway: Gateway, setting: Callable[[str, str], None]
) -> None:
    payment = _captured(gateway, 100_000)
    dispute = _opened(gateway, payment)
    assert _open(gateway, payment, **NO_CREDENTIALS).status == 401  # type: ignore[arg-type]
    assert gateway.api("GET", "/api/v1/disputes", headers=NO_CREDENTIALS).status == 401
    setting("STAGE", "prod")
    assert _error(_open(gateway, payment)) == (404, "NOT_FOUND_ERROR")
    assert _error(_resolve(gateway, dispute, "won")) == (404, "NOT_FOUND_ERROR")
    assert gateway.api("GET", f"/api/v1/disputes/{dispute['id']}").status == 200  # the merchant's routes stay


def test_a_processed_refund_and_a_dispute_share_the_payment(gateway: Gateway) -> None:
    payment = _captured(gateway, 100_000)
    assert _process(_refund(gateway, payment, 60_000)) == "processed"
    dispute = _opened(gateway, payment)
    assert dispute["amount"] == 40_000
    assert _balance(gateway) == (97_640 - 60_000 - 40_000, 0)


# --- evidence documents ---------------------------------------------------------------------


@pytest.fixture
def evidence_bucket(gateway: Gateway, setting: Callable[[str, str], None]) -> str:
    name = f"test-evidence-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=name)
    setting("EVIDENCE_BUCKET", name)
    return name


def _document(gateway: Gateway, dispute: dict[str, Any], size: int = 11, **headers: str) -> Any:
    body = {"filename": "receipt.pdf", "content_type": "application/pdf", "size": size}
    return gateway.api("POST", f"/api/v1/disputes/{dispute['id']}/documents", body, headers=headers or None)


def test_evidence_is_uploaded_with_a_presigned_put_and_named_by_the_contest(
    gateway: Gateway, evidence_bucket: str
) -> None:
    dispute = _opened(gateway, _captured(gateway, 100_000))
    reply = _document(gateway, dispute)
    assert reply.status == 201, reply.body
    document = reply.json
    assert re.match(r"^doc_[A-Za-z0-9]{16}$", document["id"]) and document["dispute_id"] == dispute["id"]
    assert datetime.fromisoformat(document["expires_at"]) - datetime.now(UTC) <= timedelta(seconds=900)
    # Not uploaded yet: a contest naming it is refused.
    refused = _contest(gateway, dispute, {"summary": "receipt attached", "documents": [document["id"]]})
    assert _error(refused) == (400, "BAD_REQUEST_ERROR") and "not been uploaded" in refused.json["error"]["description"]
    # Bytes of another size than announced (S3 refuses them, the signed Content-Length; the emulator
    # may not): the document does not count as uploaded.
    url, pdf = document["upload_url"], b"%PDF-1.7 ok"
    httpx.put(url, content=pdf + b"!", headers={"Content-Type": "application/pdf"})
    refused = _contest(gateway, dispute, {"summary": "receipt attached", "documents": [document["id"]]})
    assert _error(refused) == (400, "BAD_REQUEST_ERROR")
    assert httpx.put(url, content=pdf, headers={"Content-Type": "application/pdf"}).status_code == 200
    key = f"evidence/{_merchant().id}/{dispute['id']}/{document['id']}"
    assert boto3.client("s3").get_object(Bucket=evidence_bucket, Key=key)["Body"].read() == pdf
    contested = _contest(gateway, dispute, {"summary": "receipt attached", "documents": [document["id"]]})
    assert contested.status == 200, contested.body
    assert contested.json["evidence"] == {"summary": "receipt attached", "documents": [document["id"]]}
    # Under review, no more uploads.
    assert _error(_document(gateway, dispute)) == (409, "INVALID_STATE")


def test_a_document_of_another_dispute_or_merchant_is_refused(gateway: Gateway, evidence_bucket: str) -> None:
    payment = _captured(gateway, 100_000)
    mine, other = _opened(gateway, payment, 10_000), _opened(gateway, payment, 10_000)
    theirs = _document(gateway, other).json
    assert httpx.put(theirs["upload_url"], content=b"x" * 11, headers={"Content-Type": "application/pdf"}).is_success
    refused = _contest(gateway, mine, {"summary": "s", "documents": [theirs["id"]]})
    assert _error(refused) == (400, "BAD_REQUEST_ERROR")
    _other_merchant(gateway)
    assert _error(_document(gateway, mine, **OTHER)) == (404, "NOT_FOUND_ERROR")
    for bad in (
        {"filename": "../x", "content_type": "application/pdf", "size": 1},
        {"filename": "a.exe", "content_type": "application/x-msdownload", "size": 1},
        {"filename": "a", "content_type": "text/plain", "size": 10 * 1024 * 1024 + 1},
    ):
        assert gateway.api("POST", f"/api/v1/disputes/{mine['id']}/documents", bad).status == 400, bad


def test_a_dispute_takes_at_most_ten_documents(gateway: Gateway, evidence_bucket: str) -> None:
    dispute = _opened(gateway, _captured(gateway, 100_000))
    assert all(_document(gateway, dispute).status == 201 for _ in range(10))
    reply = _document(gateway, dispute)
    assert _error(reply) == (400, "BAD_REQUEST_ERROR") and "10" in reply.json["error"]["description"]


def test_without_an_evidence_bucket_uploads_are_unavailable(gateway: Gateway) -> None:
    dispute = _opened(gateway, _captured(gateway, 100_000))
    assert _document(gateway, dispute).status == 503
