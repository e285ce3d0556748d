"""Disputes (issue 22, item 4): a shopper's bank claws back (part of) a captured payment.

    open ──contest (before respond_by)──▶ under_review ──network──▶ won | lost
      └──accept, or respond_by passes unanswered──▶ lost

Opening locks the payment row, as creating a refund does (gateway/domain/refunds.py), and checks
that the payment's refunds (pending or processed) plus its open, under-review and lost disputes
stay within its amount; refunds count the disputes under the same lock, so neither can overrun the
other whatever races. The books: -amount when the dispute opens, +amount (`dispute_reversal`) when
it is won, in the transaction of the state change; nothing when it is lost (the debit stands).

The deadline: after the opening commits, an EventBridge Scheduler one-time schedule (`at(…)` UTC,
deleted after it fires) puts {"job": "dispute_deadline", "dispute_id"} on the refunds queue at
respond_by; ProcessRefundFunction marks the dispute lost if it is still open. Every change is a
conditional UPDATE on the state it leaves, so a contest arriving as the deadline fires, a duplicate
message or a retry changes it once. `respond_by` is the record of truth: the relay marks lost any
open dispute whose schedule was lost (overdue by more than `stuck_after_seconds`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from gateway.adapters import dispute_store, object_store, payment_store, scheduler, tracing
from gateway.adapters.dispute_store import DisputeRow
from gateway.adapters.postgres import Tx, transaction
from gateway.domain import ledger, merchant_identity, outbox, webhook_fanout
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.errors import BadRequest, InvalidState, NotFound, ServiceUnavailable
from gateway.ids import new_id
from gateway.models.base import Page
from gateway.models.disputes import (
    ContestDisputeRequest,
    CreateDocumentRequest,
    Dispute,
    DisputeDocument,
    DisputeListQuery,
    OpenDisputeRequest,
)
from gateway.models.jobs import DisputeDeadlineJob
from gateway.settings import get_settings

logger = Logger(child=True)

# Evidence: documents per dispute, and how long an upload link lasts.
MAX_DOCUMENTS = 10
DOCUMENT_UPLOAD_SECONDS = 900
# The longest SQS message timer: a deadline message that arrives early is put back for at most this.
_MAX_QUEUE_DELAY_SECONDS = 900


def open_dispute(merchant: Merchant, payment_id: str, request: OpenDisputeRequest) -> Dispute:
    """A dispute on a captured payment of this merchant (in test mode: the test route stands in for
    the card network). Its amount defaults to what the payment's refunds and disputes leave."""
    with transaction() as tx:
        payment = payment_store.lock_payment_of_merchant(tx, merchant.id, payment_id)
        if payment is None:
            raise NotFound("Payment not found")
        if not payment.captured:
            raise BadRequest("Payment not captured: only a captured payment can be disputed")
        left = payment.amount - payment.amount_refunded - dispute_store.disputed_amount(tx, payment.id)
        amount = left if request.amount is None else request.amount
        if left <= 0 or amount > left:
            raise BadRequest("Dispute amount exceeds what the payment's refunds and disputes leave of it")
        row = dispute_store.insert_dispute(
            tx,
            new_id("disp_"),
            payment.id,
            merchant.id,
            amount,
            payment.currency,
            request.reason,
            get_settings().dispute_response_seconds,
        )
        tracing.annotate(dispute_id=row.id, payment_id=payment.id)
        ledger.book_dispute(tx, payment, row.id, amount)
        dispute = _dispute(row)
        events = _record(tx, merchant, "dispute.created", dispute)
    outbox.publish(events, background=True)
    schedule_deadline(dispute)
    logger.info("dispute opened", extra={"dispute_id": dispute.id, "amount": dispute.amount})
    return dispute


def schedule_deadline(dispute: Dispute) -> None:
    """The one-time schedule that ends an unanswered dispute at respond_by (rounded up to the
    second, the expression's unit, so it never fires before the deadline). Called after the commit:
    no call to AWS with a transaction open. Without it the relay's sweep still ends the dispute."""
    settings = get_settings()
    if not (settings.dispute_schedule_group and settings.refunds_queue_arn and settings.dispute_scheduler_role_arn):
        logger.warning("no dispute schedule group configured; the relay ends the dispute when overdue")
        return
    at = dispute.respond_by
    if at.microsecond:
        at = at.replace(microsecond=0) + timedelta(seconds=1)
    try:
        scheduler.schedule_sqs_message(
            name=f"dispute-{dispute.id}-deadline",
            at=at,
            group=settings.dispute_schedule_group,
            queue_arn=settings.refunds_queue_arn,
            role_arn=settings.dispute_scheduler_role_arn,
            body=DisputeDeadlineJob(job="dispute_deadline", dispute_id=dispute.id).model_dump_json(),
        )
    except scheduler.SchedulerUnavailable:
        # respond_by is committed: the relay ends the dispute once it is overdue.
        logger.warning("deadline schedule not created; the relay ends the dispute", extra={"dispute_id": dispute.id})


def add_document(merchant: Merchant, dispute_id: str, request: CreateDocumentRequest) -> DisputeDocument:
    """An evidence document of an open dispute: its row, and a presigned PUT of exactly its type and
    size into the evidence bucket (valid DOCUMENT_UPLOAD_SECONDS). The key names the merchant, the
    dispute and the document, never the merchant's filename."""
    bucket = get_settings().evidence_bucket
    if not bucket:
        raise ServiceUnavailable("Evidence uploads are not configured (EVIDENCE_BUCKET)")
    with transaction() as tx:
        # The dispute's row lock: concurrent uploads count each other against the cap.
        dispute = dispute_store.lock_dispute_of_merchant(tx, merchant.id, dispute_id)
        if dispute is None:
            raise NotFound("Dispute not found")
        if dispute.status != "open":
            raise InvalidState(f"Dispute is {dispute.status}: evidence is uploaded while it is open")
        if dispute_store.count_documents(tx, dispute_id) >= MAX_DOCUMENTS:
            raise BadRequest(f"A dispute takes at most {MAX_DOCUMENTS} documents")
        document_id = new_id("doc_")
        row = dispute_store.insert_document(
            tx,
            document_id,
            dispute_id,
            merchant.id,
            request.filename,
            request.content_type,
            request.size,
            f"evidence/{merchant.id}/{dispute_id}/{document_id}",
        )
    # Computed locally (no call to S3), after the commit.
    url = object_store.presign_put(
        bucket, row.object_key, DOCUMENT_UPLOAD_SECONDS, content_type=row.content_type, content_length=row.size
    )
    return DisputeDocument(
        id=row.id,
        dispute_id=row.dispute_id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        upload_url=url,
        expires_at=row.created_at + timedelta(seconds=DOCUMENT_UPLOAD_SECONDS),
    )


def _documents_uploaded(merchant: Merchant, dispute_id: str, document_ids: list[str]) -> None:
    """Every document a contest names was created for this dispute and its bytes are in the bucket,
    of the size announced. Read, then the bucket asked with no transaction open."""
    with transaction() as tx:
        _existing(tx, merchant, dispute_id)
        rows = {d.id: d for d in dispute_store.documents_of_dispute(tx, dispute_id, document_ids)}
    for document_id in dict.fromkeys(document_ids):
        row = rows.get(document_id)
        if row is None:
            raise BadRequest(f"evidence.documents: {document_id} is not a document of this dispute")
        stored = object_store.head_object(get_settings().evidence_bucket, row.object_key)
        if stored is None or stored.size != row.size:
            raise BadRequest(f"evidence.documents: {document_id} has not been uploaded")


def contest(merchant: Merchant, dispute_id: str, request: ContestDisputeRequest) -> Dispute:
    """open → under_review with the merchant's evidence, only before respond_by."""
    evidence = request.evidence
    if evidence.documents:
        _documents_uploaded(merchant, dispute_id, evidence.documents)
    with transaction() as tx:
        _existing(tx, merchant, dispute_id)
        row = dispute_store.submit_evidence(tx, merchant.id, dispute_id, evidence.model_dump(mode="json"))
        if row is None:
            if _existing(tx, merchant, dispute_id).status != "open":
                raise _refused(tx, merchant, dispute_id, "only an open dispute can be contested")
            raise InvalidState("Dispute's respond_by has passed: it can no longer be contested")
        dispute = _dispute(row)
        events = _record(tx, merchant, "dispute.under_review", dispute)
    outbox.publish(events, background=True)
    return dispute


def accept(merchant: Merchant, dispute_id: str) -> Dispute:
    """open → lost: the merchant concedes; the debit booked at opening stands."""
    with transaction() as tx:
        _existing(tx, merchant, dispute_id)
        row = dispute_store.accept(tx, merchant.id, dispute_id)
        if row is None:
            raise _refused(tx, merchant, dispute_id, "only an open dispute can be accepted")
        dispute = _dispute(row)
        events = _record(tx, merchant, "dispute.lost", dispute)
    outbox.publish(events, background=True)
    return dispute


def resolve(merchant: Merchant, dispute_id: str, outcome: str) -> Dispute:
    """under_review → won (the amount is credited back) or lost (the network's decision; test mode)."""
    with transaction() as tx:
        current = _existing(tx, merchant, dispute_id)
        # The payment's lock first, as opening and refunds take it: a won dispute frees its amount.
        payment = payment_store.lock_payment_of_merchant(tx, merchant.id, current.payment_id)
        assert payment is not None  # a dispute references its payment
        row = dispute_store.decide(tx, merchant.id, dispute_id, outcome)
        if row is None:
            raise _refused(tx, merchant, dispute_id, "only a dispute under review can be resolved")
        if row.status == "won":
            ledger.book_dispute_reversal(tx, payment, row.id, row.amount)
        dispute = _dispute(row)
        events = _record(tx, merchant, f"dispute.{row.status}", dispute)
    outbox.publish(events, background=True)
    return dispute


def end_unanswered(job: DisputeDeadlineJob) -> str | None:
    """The deadline's message: open → lost once respond_by has passed. "lost" when this delivery
    ended it; None when it was contested, accepted or ended already (a duplicate), or is unknown.
    A message that arrives before respond_by is put back on the queue for the time left."""
    with transaction() as tx:
        row = dispute_store.expire(tx, job.dispute_id)
        if row is None:
            current = dispute_store.dispute_by_id(tx, job.dispute_id)
            if current is None or current.status != "open":
                logger.info("dispute deadline: already answered or closed", extra={"dispute_id": job.dispute_id})
                return None
            wait = math.ceil((current.respond_by - datetime.now(UTC)).total_seconds()) + 1
            messages = [outbox.stage(tx, "refunds", job, min(max(wait, 1), _MAX_QUEUE_DELAY_SECONDS))]
            early = True
        else:
            merchant = merchant_identity.merchant_in(tx, row.merchant_id)
            messages = _record(tx, merchant, "dispute.lost", _dispute(row))
            early = False
    outbox.publish(messages, background=True)
    if early:
        logger.info("dispute deadline message early; put back", extra={"dispute_id": job.dispute_id})
        return None
    logger.info("dispute lost: unanswered by respond_by", extra={"dispute_id": job.dispute_id})
    return "lost"


def end_overdue(limit: int = 100) -> int:
    """The relay's backstop: ends open disputes whose deadline message never came (a schedule not
    created, or lost), `stuck_after_seconds` past respond_by. Returns how many it ended."""
    with transaction() as tx:
        overdue = dispute_store.overdue(tx, get_settings().stuck_after_seconds, limit)
    ended = 0
    for dispute_id in overdue:
        ended += end_unanswered(DisputeDeadlineJob(job="dispute_deadline", dispute_id=dispute_id)) == "lost"
    return ended


def get_dispute(merchant: Merchant, dispute_id: str) -> Dispute:
    with transaction() as tx:
        return _dispute(_existing(tx, merchant, dispute_id))


def list_disputes(merchant: Merchant, query: DisputeListQuery) -> Page:
    with transaction() as tx:
        result = dispute_store.list_disputes(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(result, query.limit, query.offset, lambda row: _dispute(row).model_dump(mode="json"), "dispute")


def _existing(tx: Tx, merchant: Merchant, dispute_id: str) -> DisputeRow:
    row = dispute_store.dispute_of_merchant(tx, merchant.id, dispute_id)
    if row is None:
        raise NotFound("Dispute not found")
    return row


def _refused(tx: Tx, merchant: Merchant, dispute_id: str, rule: str) -> InvalidState:
    """The refusal of a change whose conditional UPDATE found the dispute in another state, naming
    the state it is in now (read again: a racing change may have just moved it)."""
    return InvalidState(f"Dispute is {_existing(tx, merchant, dispute_id).status}: {rule}")


def _record(tx: Tx, merchant: Merchant, event: str, dispute: Dispute) -> list[outbox.StagedMessage]:
    return webhook_fanout.record_event(tx, merchant, event, {"dispute": dispute.model_dump(mode="json")})


def _dispute(row: DisputeRow) -> Dispute:
    return Dispute.model_validate(row, from_attributes=True)
