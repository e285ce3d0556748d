"""Refunds: the create body, the list filters and the reply.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictInt, StrictStr

from gateway.models.base import REPLY_CONFIG, ListQuery, Model, Request

RefundStatus = Literal["pending", "processed"]


class CreateRefundRequest(Request):
    amount: Annotated[StrictInt, Field(ge=1, le=10**12, description="amount in paise (positive integer)")]
    reason: Annotated[StrictStr, Field(max_length=500)] | None = None


class RefundListQuery(ListQuery):
    status: RefundStatus | None = None
    payment_id: Annotated[str, Field(max_length=64)] | None = None


class Refund(Model):
    model_config = REPLY_CONFIG

    id: str
    payment_id: str
    amount: int
    reason: str | None
    status: RefundStatus
    created_at: datetime
    processed_at: datetime | None = None
