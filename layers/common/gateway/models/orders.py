"""Orders: the create body, the list filters, the merchant's and the checkout's view.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr

from gateway.models.base import Currency, ListQuery, Model, Notes, Paise, Request

OrderStatus = Literal["created", "attempted", "paid"]


class CreateOrderRequest(Request):
    amount: Paise
    currency: Currency = "INR"
    receipt: Annotated[StrictStr, Field(max_length=255)] | None = None
    notes: Notes | None = None


class OrderListQuery(ListQuery):
    status: OrderStatus | None = None


class Order(Model):
    id: str
    merchant_id: str
    amount: int
    currency: str
    receipt: str | None
    notes: dict[str, Any] | None
    status: OrderStatus
    created_at: datetime


class PublicOrder(Model):
    """What a shopper's checkout may see of an order."""

    id: str
    amount: int
    currency: str
    status: OrderStatus
    merchant_name: str
