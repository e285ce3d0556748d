"""The SQS messages the consumers take: what each function needs of the models, and little else.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Literal

from pydantic import AliasChoices, Field

from gateway.models.base import Model


class BankReply(Model):
    """The simulated bank's answer to one claim, delivered after the bank's wait by an SQS message
    timer, so no invocation waits for it (issue 21)."""

    claimed_at: datetime  # the claim it answers: a reply to a claim taken over since is dropped
    approved: bool
    # A decline's code (gateway.domain.test_values.DECLINE_REASONS); absent: the generic decline.
    error_code: str | None = None


class PaymentJob(Model):
    payment_id: str
    # Outbox rows of events the request recorded and left for the consumer to send (one queue call
    # per request); committed with the payment, so the relay sends them if this message is lost.
    # Messages written before the field had this name carry it as `events`.
    event_outbox_ids: list[int] = Field(
        default_factory=list, validation_alias=AliasChoices("event_outbox_ids", "events")
    )
    # Absent on the request's message (claim the payment, ask the bank); present on the delayed one.
    bank_reply: BankReply | None = None


class WebhookJob(Model):
    # A log's uuid, checked here so that a malformed record fails alone, not its whole batch's statement.
    webhook_log_id: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )


class PaymentLinkExpiryJob(Model):
    """On the payments queue, put there by the link's one-time schedule at its expire_by."""

    payment_link_id: str


class RefundJob(Model):
    refund_id: str


class ReportJob(Model):
    report_id: str


class DisputeDeadlineJob(Model):
    """What a dispute's one-time schedule puts on the refunds queue at its respond_by: mark the
    dispute lost if it is still open (gateway/domain/disputes.py). `job` tells it from a RefundJob."""

    job: Literal["dispute_deadline"]
    dispute_id: str
