"""Disputes: the test route's body, the contest's evidence, the list filters and the reply.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictInt, StrictStr

from gateway.models.base import REPLY_CONFIG, ListQuery, Model, Request

DisputeStatus = Literal["open", "under_review", "won", "lost"]
# The card networks' reason families, as Stripe names them.
DisputeReason = Literal[
    "fraudulent",
    "duplicate",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "credit_not_processed",
    "general",
]
ClosedReason = Literal["accepted", "unanswered", "decided"]
DocumentId = Annotated[StrictStr, Field(min_length=1, max_length=64)]


class OpenDisputeRequest(Request):
    reason: DisputeReason
    amount: (
        Annotated[
            StrictInt,
            Field(
                ge=1,
                le=10**12,
                description="paise; default: what is left of the payment after its refunds and other disputes",
            ),
        ]
        | None
    ) = None


class Evidence(Request):
    summary: Annotated[StrictStr, Field(min_length=1, max_length=5000, description="the merchant's case")]
    documents: list[DocumentId] = Field(
        default_factory=list,
        max_length=10,
        description="ids of documents uploaded for this dispute (POST /api/v1/disputes/{id}/documents)",
    )


class ContestDisputeRequest(Request):
    evidence: Evidence


class ResolveDisputeRequest(Request):
    outcome: Literal["won", "lost"]


class DisputeListQuery(ListQuery):
    status: DisputeStatus | None = None
    payment_id: Annotated[str, Field(max_length=64)] | None = None


class Dispute(Model):
    """A shopper's bank disputing (part of) a captured payment. The amount is debited from the
    balance when the dispute opens and credited back if it is won."""

    model_config = REPLY_CONFIG

    id: str
    payment_id: str
    amount: int = Field(description="paise")
    currency: str
    reason: DisputeReason
    status: DisputeStatus
    respond_by: datetime = Field(description="contest before this, or the dispute is lost")
    evidence: Evidence | None = Field(description="what the merchant submitted with its contest")
    evidence_submitted_at: datetime | None
    closed_reason: ClosedReason | None = Field(
        description="accepted by the merchant, unanswered by respond_by, or decided after review"
    )
    closed_at: datetime | None
    created_at: datetime


class CreateDocumentRequest(Request):
    filename: Annotated[StrictStr, Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$")]
    content_type: Literal["application/pdf", "image/png", "image/jpeg", "text/plain"]
    size: Annotated[StrictInt, Field(ge=1, le=10 * 1024 * 1024, description="bytes, at most 10 MiB")]


class DisputeDocument(Model):
    """An evidence file: PUT its bytes to `upload_url` (with the same Content-Type) before it expires."""

    model_config = REPLY_CONFIG

    id: str
    dispute_id: str
    filename: str
    content_type: str
    size: int
    upload_url: str
    expires_at: datetime
