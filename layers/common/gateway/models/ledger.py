"""The books: a balance transaction, the list filters, the balance.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from gateway.models.base import REPLY_CONFIG, ListQuery, Model

EntryType = Literal["payment", "refund", "dispute", "dispute_reversal", "adjustment", "settlement"]


class BalanceTransactionListQuery(ListQuery):
    type: EntryType | None = None
    source_id: (
        Annotated[str, Field(max_length=64, description="the payment, refund, ... that moved the money")] | None
    ) = None
    settlement_id: Annotated[str, Field(max_length=64, description="entries paid out by this settlement")] | None = None


class BalanceTransaction(Model):
    """One money movement: signed paise, positive when the merchant is credited."""

    model_config = REPLY_CONFIG

    id: str
    type: EntryType
    source_id: str = Field(description="the payment, refund, dispute or settlement that moved the money")
    amount: int
    fee: int = Field(description="the gateway's fee (paise)")
    tax: int = Field(description="GST on the fee, 18 % (paise)")
    net: int = Field(description="amount - fee - tax")
    currency: str
    available_on: datetime = Field(description="from then on the net is available (settleable); pending before")
    settlement_id: str | None = Field(description="the settlement that paid this entry out; null until settled")
    created_at: datetime


class Balance(Model):
    """Unsettled money: available (its entries' available_on has passed) and pending (not yet)."""

    currency: str
    available: int = Field(description="paise; negative when debits exceed what is available")
    pending: int = Field(description="paise")
