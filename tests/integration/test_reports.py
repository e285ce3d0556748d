"""Reports through the real parts: the API on Postgres, the job on the SQS endpoint, the consumer's
CSV on the endpoint's S3, downloaded from this host through its presigned link."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import generate_report_handler
import httpx
import pytest

from gateway.adapters import report_store
from gateway.domain import reports
from gateway.models.jobs import ReportJob
from tests.integration.test_ledger import OTHER, _capture, _other_merchant, _paid, _process, _refund
from tests.support import TEST_MERCHANT_ID, Gateway, fake_message, lambda_context, wait_until

REP_ID = re.compile(r"^rep_[A-Za-z0-9]{16}$")
WINDOW = {"from": "2000-01-01T00:00:00Z", "to": "2000-12-31T00:00:00Z"}
PAYMENT_HEADER = [
    "id", "order_id", "receipt", "amount", "currency", "method", "status", "vpa", "card_network", "card_last4",
    "captured", "captured_at", "amount_refunded", "error_code", "error_description", "created_at",
]  # fmt: skip


def _request(gateway: Gateway, kind: str = "payments", window: dict[str, str] = WINDOW, **headers: str) -> Any:
    reply = gateway.api("POST", "/api/v1/reports", {"type": kind, **window}, headers=headers)
    assert reply.status == 202, reply.body
    return reply.json


def _consume(gateway: Gateway) -> list[dict[str, Any]]:
    """The queued report jobs through the consumer's real handler, as Lambda's poller hands them."""
    messages = gateway.receive("ReportsQueue")
    reply = generate_report_handler.lambda_handler(gateway.sqs_event("ReportsQueue", messages), lambda_context())
    assert reply == {"batchItemFailures": []}
    return messages


def _report(gateway: Gateway, report_id: str, **headers: str) -> Any:
    reply = gateway.api("GET", f"/api/v1/reports/{report_id}", headers=headers)
    assert reply.status == 200, reply.body
    return reply.json


def _download(report: dict[str, Any]) -> list[list[str]]:
    reply = httpx.get(report["download_url"])
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert len(reply.content) == report["size_bytes"]
    return list(csv.reader(io.StringIO(reply.content.decode())))


def _objects(report_id: str) -> list[str]:
    """The report's files (the session's bucket holds other tests' reports too)."""
    listed = boto3.client("s3").list_objects_v2(Bucket=_bucket(), Prefix=f"reports/{TEST_MERCHANT_ID}/{report_id}")
    return [item["Key"] for item in listed.get("Contents", [])]


def _bucket() -> str:
    return os.environ["REPORTS_BUCKET"]


def _ready_events(gateway: Gateway) -> int:
    return int(gateway.rows("SELECT count(*) AS n FROM events WHERE type = 'report.ready'")[0]["n"])


def _dated(gateway: Gateway, table: str, row_id: str, when: str) -> None:
    gateway.execute(f"UPDATE {table} SET created_at = %s WHERE id = %s", (when, row_id))


@pytest.fixture
def in_window(gateway: Gateway) -> Iterator[list[dict[str, Any]]]:
    """Three payments inside WINDOW (one with a hostile receipt), one before and one after it."""
    made = []
    for n, receipt in enumerate(["r-1", '=HYPERLINK("http://x")', "plain"]):
        order = gateway.create_order(10_000 + n, receipt=receipt)
        made.append(gateway.create_payment(order["id"]))
        _dated(gateway, "payments", made[-1]["id"], f"2000-03-0{n + 1}T10:00:00Z")
    for when in ("1999-12-31T23:59:59Z", "2000-12-31T00:00:00Z"):  # to is exclusive
        outside = gateway.create_payment(gateway.create_order()["id"])
        _dated(gateway, "payments", outside["id"], when)
    yield made


def test_a_report_is_written_once_and_downloads_every_row_of_its_window(
    gateway: Gateway, in_window: list[dict[str, Any]]
) -> None:
    created = _request(gateway)
    assert REP_ID.match(created["id"]) and created["status"] == "pending"
    assert created["type"] == "payments"
    assert [datetime.fromisoformat(created[edge]) for edge in ("from", "to")] == [
        datetime.fromisoformat(WINDOW[edge]) for edge in ("from", "to")
    ]
    assert created["download_url"] is None

    [message] = _consume(gateway)  # the job went through the outbox to the reports queue
    report = _report(gateway, created["id"])
    assert report["status"] == "ready" and report["row_count"] == 3 and report["completed_at"]
    assert report["download_url"].startswith("http://127.0.0.1:") and report["download_expires_at"]

    rows = _download(report)
    assert rows[0] == PAYMENT_HEADER
    by_id = {row[0]: dict(zip(PAYMENT_HEADER, row, strict=True)) for row in rows[1:]}
    assert list(by_id) == [p["id"] for p in in_window], "every row of the window, oldest first, nothing else"
    for payment in in_window:
        row = by_id[payment["id"]]
        assert row["amount"] == str(payment["amount"]), "money as integer paise"
        assert (row["currency"], row["method"], row["vpa"]) == ("INR", "upi", "shopper@okhdfc")
        assert row["created_at"].endswith("+00:00")
    assert by_id[in_window[1]["id"]]["receipt"] == '\'=HYPERLINK("http://x")', "a formula is neutralised"

    # A duplicate delivery (and two more racing) writes no second file and no second event.
    duplicate = gateway.sqs_event("ReportsQueue", [fake_message(message["Body"])])
    with ThreadPoolExecutor(max_workers=3) as pool:
        replies = list(
            pool.map(lambda _: generate_report_handler.lambda_handler(duplicate, lambda_context()), range(3))
        )
    assert replies == [{"batchItemFailures": []}] * 3
    assert _objects(created["id"]) == [f"reports/{TEST_MERCHANT_ID}/{created['id']}.csv"]
    [event] = gateway.api("GET", "/api/v1/events?type=report.ready").json["data"]
    assert event["data"]["report"]["id"] == created["id"] and event["data"]["report"]["download_url"] is None
    assert gateway.rows("SELECT attempts FROM reports") == [{"attempts": 1}]


def test_racing_deliveries_of_a_pending_report_generate_it_once(gateway: Gateway, in_window: Any) -> None:
    created = _request(gateway)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: reports.generate(ReportJob(report_id=created["id"])), range(4)))
    assert outcomes.count("ready") == 1 and outcomes.count(None) == 3
    assert _ready_events(gateway) == 1 and len(_objects(created["id"])) == 1


def test_the_books_keep_debits_as_numbers_and_text_is_neutralised(gateway: Gateway) -> None:
    payment = _paid(gateway, 100_000)
    assert _capture(gateway, payment).status == 200
    refund = _refund(gateway, payment, 5_000)
    gateway.execute("UPDATE refunds SET reason = %s WHERE id = %s", ("-1+1 @SUM(A1) \t", refund["id"]))
    assert _process(refund) == "processed"
    today = datetime.now(UTC)
    now = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    books, refunds = _request(gateway, "balance_transactions", now), _request(gateway, "refunds", now)
    _consume(gateway)
    entries = _download(_report(gateway, books["id"]))
    assert entries[0][:8] == ["id", "type", "source_id", "amount", "fee", "tax", "net", "currency"]
    assert [row[1:7] for row in entries[1:]] == [
        ["payment", payment["id"], "100000", "2000", "360", "97640"],
        ["refund", refund["id"], "-5000", "0", "0", "-5000"],  # a debit stays a number
    ]
    [header, row] = _download(_report(gateway, refunds["id"]))
    assert header == ["id", "payment_id", "amount", "reason", "status", "created_at", "processed_at"]
    assert row[:5] == [refund["id"], payment["id"], "5000", "'-1+1 @SUM(A1) \t", "processed"]


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "-5000"],
)
def test_every_formula_trigger_is_neutralised_in_text_cells(value: str) -> None:
    assert reports.cell(value) == "'" + value
    assert reports.cell("a=1") == "a=1" and reports.cell(-5000) == -5000 and reports.cell(True) == "true"


def test_an_empty_window_is_a_header_only_file(gateway: Gateway) -> None:
    created = _request(gateway, "settlements")
    _consume(gateway)
    report = _report(gateway, created["id"])
    assert report["row_count"] == 0
    assert _download(report) == [
        ["id", "amount", "fees", "tax", "entries", "currency", "status", "created_at", "processed_at"]
    ]


def test_a_failed_generation_is_retried_then_failed_with_its_reason_and_leaves_no_file(
    gateway: Gateway, in_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed = report_store.stream_rows

    def breaks_midway(*args: Any) -> Iterator[list[tuple[Any, ...]]]:
        chunks = streamed(*args)
        yield next(chunks)
        raise RuntimeError("SELECT … secret detail")

    monkeypatch.setattr(report_store, "stream_rows", breaks_midway)
    created = _request(gateway)
    [message] = gateway.receive("ReportsQueue")
    event = gateway.sqs_event("ReportsQueue", [message])
    # Attempts 1 and 2: the record fails (SQS delivers it again), the report is pending again.
    for attempt in (1, 2):
        with pytest.raises(Exception, match="All 1 records failed"):
            generate_report_handler.lambda_handler(event, lambda_context())
        assert gateway.rows("SELECT status, attempts FROM reports") == [{"status": "pending", "attempts": attempt}]
    # The last attempt marks it failed, with a reason that names the failure's kind only.
    assert generate_report_handler.lambda_handler(event, lambda_context()) == {"batchItemFailures": []}
    report = _report(gateway, created["id"])
    assert report["status"] == "failed" and report["download_url"] is None
    assert report["failure_reason"] == "internal error (RuntimeError)"
    assert _objects(created["id"]) == []
    uploads = boto3.client("s3").list_multipart_uploads(Bucket=_bucket()).get("Uploads", [])
    assert [u for u in uploads if created["id"] in u["Key"]] == [], "the parts sent were aborted"
    assert _ready_events(gateway) == 0
    # And a later delivery changes nothing.
    assert reports.generate(ReportJob(report_id=created["id"])) is None


def test_an_unreachable_bucket_fails_the_report_with_the_object_stores_reason(
    gateway: Gateway, setting: Callable[[str, str], None]
) -> None:
    created = _request(gateway)
    gateway.execute("UPDATE reports SET attempts = %s", (reports.MAX_ATTEMPTS - 1,))
    setting("REPORTS_BUCKET", "no-such-bucket-here")
    _consume(gateway)
    report = _report(gateway, created["id"])
    assert (report["status"], report["failure_reason"]) == ("failed", "Object store call failed: NoSuchBucket")


def test_the_download_link_expires(gateway: Gateway, setting: Callable[[str, str], None], in_window: Any) -> None:
    # Signed times are whole seconds: a 2 s link works for at least 1 s after it is made.
    setting("REPORT_LINK_SECONDS", "2")
    created = _request(gateway)
    _consume(gateway)
    report = _report(gateway, created["id"])
    assert len(_download(report)) == 4
    # ...and is refused once its time is up (within 2 s; waited for, not slept through).
    expired = wait_until(
        lambda: (answer := httpx.get(report["download_url"])).status_code != 200 and answer, timeout=6, interval=0.05
    )
    assert expired and expired.status_code == 403 and b"expired" in expired.content
    assert httpx.get(_report(gateway, created["id"])["download_url"]).status_code == 200, "a new GET, a new link"


def test_create_is_idempotent_with_a_key(gateway: Gateway) -> None:
    key = {"Idempotency-Key": "report-1"}
    first = gateway.api("POST", "/api/v1/reports", {"type": "refunds", **WINDOW}, headers=key)
    again = gateway.api("POST", "/api/v1/reports", {"type": "refunds", **WINDOW}, headers=key)
    assert first.status == again.status == 202
    assert again.body == first.body and again.headers.get("Idempotent-Replayed") == "true"
    assert gateway.count("reports") == 1 and len(gateway.receive("ReportsQueue")) == 1
    other = gateway.api("POST", "/api/v1/reports", {"type": "payments", **WINDOW}, headers=key)
    assert other.status == 422 and other.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_another_merchants_report_is_404_and_unlisted(gateway: Gateway) -> None:
    _other_merchant(gateway)
    theirs = _request(gateway, **OTHER)
    assert _report(gateway, theirs["id"], **OTHER)["id"] == theirs["id"]
    mine = gateway.api("GET", f"/api/v1/reports/{theirs['id']}")
    assert mine.status == 404 and mine.json["error"]["code"] == "NOT_FOUND_ERROR"
    assert gateway.api("GET", "/api/v1/reports").json["data"] == []


def test_the_list_filters_and_pages(gateway: Gateway) -> None:
    made = [_request(gateway, kind)["id"] for kind in ("payments", "refunds", "settlements")]
    page = gateway.api("GET", "/api/v1/reports?limit=2").json
    assert [r["id"] for r in page["data"]] == made[::-1][:2] and page["has_more"] and page["total"] == 3
    rest = gateway.api("GET", f"/api/v1/reports?limit=2&starting_after={made[1]}").json["data"]
    assert [r["id"] for r in rest] == [made[0]]
    assert [r["id"] for r in gateway.api("GET", "/api/v1/reports?type=refunds").json["data"]] == [made[1]]
    assert gateway.api("GET", "/api/v1/reports?status=ready").json["data"] == []
    for bad in ("type=orders", "status=done", "limit=0", "colour=red", "starting_after=rep_nope"):
        reply = gateway.api("GET", f"/api/v1/reports?{bad}")
        assert reply.status == 400 and reply.json["error"]["code"] == "BAD_REQUEST_ERROR", (bad, reply.body)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "orders", **WINDOW},  # no such report
        {"type": "payments", "from": "2000-02-01T00:00:00Z", "to": "2000-01-01T00:00:00Z"},  # from after to
        {"type": "payments", "from": "2000-01-01T00:00:00Z", "to": "2000-01-01T00:00:00Z"},  # an empty window
        {"type": "payments", "from": "2000-01-01T00:00:00Z", "to": "2001-01-02T00:00:01Z"},  # over 366 days
        {"type": "payments", "from": "2000-01-01T00:00:00Z"},  # no to
        {"type": "payments", "from": "yesterday", "to": "2000-01-01T00:00:00Z"},
        {"type": "payments", **WINDOW, "format": "xlsx"},  # unknown field
    ],
)
def test_bad_requests_are_400_in_the_envelope(gateway: Gateway, body: dict[str, Any]) -> None:
    reply = gateway.api("POST", "/api/v1/reports", body)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["code"] == "BAD_REQUEST_ERROR" and reply.json["error"]["description"]
    assert gateway.count("reports") == 0


def test_the_routes_need_credentials(gateway: Gateway) -> None:
    for method, path in (("GET", "/api/v1/reports"), ("POST", "/api/v1/reports"), ("GET", "/api/v1/reports/rep_x")):
        reply = gateway.api(
            method, path, {"type": "payments", **WINDOW}, headers={"x-api-key": None, "x-api-secret": None}
        )
        assert reply.status == 401, (method, path)
