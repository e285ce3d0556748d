"""Settlements: the list filters and the reply.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Literal

from pydantic import Field

from gateway.models.base import REPLY_CONFIG, ListQuery, Model

SettlementStatus = Literal["created", "processed"]


class SettlementListQuery(ListQuery):
    status: SettlementStatus | None = None


class Settlement(Model):
    """A merchant's available entries paid out together (their entries carry its id as settlement_id)."""

    model_config = REPLY_CONFIG

    id: str
    amount: int = Field(description="paise: the sum of the settled entries' nets")
    fees: int = Field(description="paise: the sum of their fees")
    tax: int = Field(description="paise: the sum of their GST")
    entries: int = Field(description="how many entries it settled (its own settlement entry aside)")
    currency: str
    status: SettlementStatus
    created_at: datetime
    processed_at: datetime | None = None
