"""Payment links: the create body, the list filters, the merchant's and the shopper's view.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from gateway.models.base import REPLY_CONFIG, Currency, ListQuery, Model, Notes, Paise, Request

PaymentLinkStatus = Literal["created", "partially_paid", "paid", "expired", "cancelled"]


class Customer(Request):
    name: Annotated[StrictStr, Field(max_length=255)] | None = None
    email: Annotated[StrictStr, Field(max_length=255)] | None = None
    contact: Annotated[StrictStr, Field(max_length=32)] | None = None


class CreatePaymentLinkRequest(Request):
    amount: Paise
    currency: Currency = "INR"
    description: Annotated[StrictStr, Field(max_length=2048)] | None = None
    customer: Customer | None = None
    expire_by: (
        Annotated[
            StrictInt,
            Field(
                ge=0,
                le=10**11,
                description="unix seconds: the link expires then (at least 15 minutes and at most 1 year ahead)",
            ),
        ]
        | None
    ) = None
    accept_partial: StrictBool = False
    first_min_partial_amount: (
        Annotated[
            StrictInt,
            Field(ge=100, le=10**12, description="paise: the least a first payment may be (accept_partial only)"),
        ]
        | None
    ) = None
    reference_id: (
        Annotated[
            StrictStr, Field(min_length=1, max_length=40, description="the merchant's own id, unique per merchant")
        ]
        | None
    ) = None
    notes: Notes | None = None
    callback_url: (
        Annotated[
            StrictStr,
            Field(max_length=2048, description="where the shopper is sent after paying, with signed parameters"),
        ]
        | None
    ) = None


class PaymentLinkListQuery(ListQuery):
    status: PaymentLinkStatus | None = None
    reference_id: Annotated[str, Field(min_length=1, max_length=40)] | None = None


class PaymentLink(Model):
    model_config = REPLY_CONFIG

    id: str
    short_url: str = Field(description="the page on the checkout origin where the shopper pays")
    status: PaymentLinkStatus
    amount: int = Field(description="paise")
    amount_paid: int = Field(description="paise: the sum of its successful payments")
    currency: str
    order_id: str = Field(description="the order behind the link: paying it pays the link")
    description: str | None = None
    customer: dict[str, Any] | None = None
    expire_by: int | None = Field(default=None, description="unix seconds")
    accept_partial: bool
    first_min_partial_amount: int | None = None
    reference_id: str | None = None
    notes: dict[str, Any] | None = None
    callback_url: str | None = None
    created_at: datetime
    updated_at: datetime


class PublicPaymentLinkQuery(Request):
    payment_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="a successful payment of this link: the reply then carries the signed `callback_url`",
    )


class PublicPaymentLink(Model):
    """What the shopper's checkout may see of a link: no customer, notes or reference."""

    model_config = REPLY_CONFIG

    id: str
    status: PaymentLinkStatus
    amount: int
    amount_paid: int
    amount_due: int = Field(description="paise: what is left to pay")
    currency: str
    description: str | None = None
    merchant_name: str
    order_id: str
    key: str = Field(description="the merchant's publishable key: the checkout pays the order with it")
    accept_partial: bool
    first_min_partial_amount: int | None = Field(
        default=None, description="paise: the least the next payment may be (while nothing is paid)"
    )
    expire_by: int | None = None
    has_callback: bool = Field(description="the shopper is sent back to the merchant after paying")
    callback_url: str | None = Field(
        default=None, description="with `payment_id` of a successful payment: the merchant's URL with signed parameters"
    )
