"""Reports: a merchant's rows of one type in a window, as a CSV on S3 (issue 22, item 3).

Creating one (POST /api/v1/reports) inserts a pending report and stages its job on the reports
queue in one transaction (the transactional outbox, as payments do). The queue's consumer
(functions/generate_report) then:

1. claims the report (pending -> generating, a random token, attempts + 1): a duplicate delivery
   finds it generating under a live claim, or ready, and does nothing, so there is one file and one
   event. A claim older than CLAIM_LEASE_SECONDS (the consumer died) is taken over.
2. streams the rows from a server-side cursor (chunks of CHUNK_ROWS) through the CSV writer into a
   multipart upload of fixed-size parts: memory holds one chunk and one part, whatever the window
   holds. The object appears only when the upload completes; a failure aborts it.
3. marks it ready with its row count and size, and records `report.ready`, in one transaction and
   only under its own claim; the event is published after the commit (the relay as backstop).

A failure is retried (the claim released, the record failed, SQS delivers it again) until the
report's MAX_ATTEMPTS-th attempt, which marks it failed with the reason.

Cells (OWASP "CSV Injection"): a text cell whose first character is `=`, `+`, `-`, `@`, a tab or a
carriage return would be run as a formula by a spreadsheet, so it is written with a single quote in
front (`'=HYPERLINK(…)`). Numeric columns (paise, counts) are written as plain integers and are not
touched: -5000 is a number to a spreadsheet, not a formula, and quoting it would turn the books'
debits into text. A text cell that happens to look like a number (a receipt "-5000") is text, and
neutralised like any other.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from gateway.adapters import object_store, report_store
from gateway.adapters.postgres import Tx, transaction
from gateway.adapters.report_store import ReportRow
from gateway.domain import merchant_identity, outbox, webhook_fanout
from gateway.domain.idempotency import Outcome
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.errors import GatewayError, NotFound
from gateway.ids import new_id
from gateway.models.base import Page
from gateway.models.jobs import ReportJob
from gateway.models.reports import CreateReportRequest, Report, ReportListQuery
from gateway.settings import get_settings

logger = Logger(child=True)  # the consumer puts the report's id on each line (tracing.record_scope)

# Rows fetched from the cursor, and written to the CSV, at a time.
CHUNK_ROWS = 2_000
# A claim older than this belongs to a consumer that died: > GenerateReportFunction's 120 s timeout.
CLAIM_LEASE_SECONDS = 180
# Attempts before a report is marked failed (ReportsQueue delivers a record up to 5 times).
MAX_ATTEMPTS = 3
CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def create_report(tx: Tx, merchant: Merchant, request: CreateReportRequest) -> Outcome:
    row = report_store.insert_report(
        tx, new_id("rep_"), merchant.id, request.type, request.window_from, request.window_to
    )
    messages = [outbox.stage(tx, "reports", ReportJob(report_id=row.id))]
    return Outcome(_report(row).model_dump(mode="json", by_alias=True), messages)


def get_report(merchant: Merchant, report_id: str) -> Report:
    with transaction() as tx:
        row = report_store.report_of_merchant(tx, merchant.id, report_id)
    if row is None:
        raise NotFound("Report not found")
    return _report(row, with_link=True)


def list_reports(merchant: Merchant, query: ReportListQuery) -> Page:
    with transaction() as tx:
        result = report_store.list_reports(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(
        result,
        query.limit,
        query.offset,
        lambda row: _report(row, with_link=True).model_dump(mode="json", by_alias=True),
        "report",
    )


def _report(row: ReportRow, *, with_link: bool = False) -> Report:
    report = Report.model_validate(row, from_attributes=True)
    if with_link and row.status == "ready" and row.object_key:
        seconds = get_settings().report_link_seconds
        # Signed here, without a call to S3: a link per reply, valid for minutes.
        report.download_url = object_store.presign_get(
            get_settings().reports_bucket, row.object_key, seconds, filename=f"{row.id}.csv", content_type=CONTENT_TYPE
        )
        report.download_expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
    return report


def object_key(row: ReportRow) -> str:
    """Where a report's file lives: under reports/ (the bucket's 7-day expiry), per merchant."""
    return f"reports/{row.merchant_id}/{row.id}.csv"


# --- the file -----------------------------------------------------------------------------


def cell(value: Any) -> str | int:
    """One CSV cell: integers (paise, counts) as they are, times in ISO 8601 UTC, booleans as
    true/false, nothing as an empty cell, text neutralised against formulas (module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def write_csv(header: Iterable[str], chunks: Iterable[list[tuple[Any, ...]]], write: Callable[[bytes], object]) -> int:
    """The header and every row, a chunk at a time, as UTF-8 CSV (RFC 4180: CRLF, quoted where
    needed) handed to `write`; returns the number of rows. Holds one chunk's text at most."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    rows = 0
    for chunk in chunks:
        writer.writerows([cell(value) for value in row] for row in chunk)
        rows += len(chunk)
        write(text.getvalue().encode())
        text.seek(0)
        text.truncate()
    write(text.getvalue().encode())  # the header alone, when there are no rows
    return rows


# --- the consumer ---------------------------------------------------------------------------


def generate(job: ReportJob, part_size: int = object_store.DEFAULT_PART_SIZE) -> str | None:
    """Writes the report's file and marks it ready: "ready", "failed" (its last attempt failed), or
    None when there was nothing to do (a duplicate delivery, a claim another consumer took over).
    Raises to have the record delivered again after a failure that leaves attempts."""
    token = uuid.uuid4().hex
    with transaction() as tx:
        row = report_store.claim(tx, job.report_id, token, CLAIM_LEASE_SECONDS)
    if row is None:
        logger.info("report unknown, done, or being generated under a live claim")
        return None
    key = object_key(row)
    try:
        with object_store.MultipartUpload(get_settings().reports_bucket, key, CONTENT_TYPE, part_size) as upload:
            chunks = report_store.stream_rows(row.type, row.merchant_id, row.window_from, row.window_to, CHUNK_ROWS)
            count = write_csv(report_store.header(row.type), chunks, upload.write)
    except Exception as exc:
        return _failed(row, token, exc)
    with transaction() as tx:
        ready = report_store.mark_ready(tx, row.id, token, key, count, upload.size)
        if ready is None:  # the claim lapsed and another consumer holds it: it records the outcome
            logger.warning("report claim lapsed before it was marked ready")
            return None
        merchant = merchant_identity.merchant_in(tx, row.merchant_id)
        # The event carries the report without a link (a link expires in minutes, the event is kept
        # 30 days): GET /api/v1/reports/{id} signs a fresh one.
        data = {"report": _report(ready).model_dump(mode="json", by_alias=True)}
        events = webhook_fanout.record_event(tx, merchant, "report.ready", data)
    outbox.publish(events, background=True)
    logger.info("report ready", extra={"rows": count, "bytes": upload.size})
    return "ready"


def _failed(row: ReportRow, token: str, exc: Exception) -> str:
    # The reason a merchant reads: the gateway's own description, or the kind of failure (an
    # exception's text may hold anything: SQL, a path, a value).
    reason = exc.description if isinstance(exc, GatewayError) else f"internal error ({type(exc).__name__})"
    if row.attempts < MAX_ATTEMPTS:
        logger.warning("report attempt failed; delivered again", extra={"attempt": row.attempts, "reason": reason})
        with transaction() as tx:
            report_store.release(tx, row.id, token)
        raise exc
    logger.exception("report failed", extra={"attempts": row.attempts, "reason": reason})
    with transaction() as tx:
        report_store.mark_failed(tx, row.id, token, reason)
    return "failed"
