"""Payments: the create bodies (UPI, card), capture, the list filters, the merchant's and the checkout's view.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictInt, StrictStr, computed_field

from gateway.models.base import ListQuery, Model, Paise, Request

PaymentStatus = Literal["pending", "processing", "success", "failed"]
Method = Literal["upi", "card"]


class CardDetails(Request):
    """The constraints in the schema are checked by the gateway (with INVALID_CARD or EXPIRED_CARD),
    not by the parser, so the reply names the card problem precisely."""

    number: Annotated[
        StrictStr,
        Field(
            max_length=40,
            description="13 to 19 digits (spaces or dashes allowed), passing the Luhn check",
            json_schema_extra={"pattern": r"^[0-9][0-9 -]{11,38}[0-9]$"},
        ),
    ]
    expiry_month: Annotated[
        StrictStr | StrictInt, Field(description="1-12", json_schema_extra={"pattern": r"^(0?[1-9]|1[0-2])$"})
    ]
    expiry_year: Annotated[
        StrictStr | StrictInt,
        Field(description="4 digits (or 2), not in the past", json_schema_extra={"pattern": r"^[0-9]{2}([0-9]{2})?$"}),
    ]
    cvv: Annotated[
        StrictStr,
        Field(max_length=4, description="3 digits (4 for Amex)", json_schema_extra={"pattern": r"^[0-9]{3,4}$"}),
    ]
    holder_name: Annotated[StrictStr, Field(max_length=255)] | None = None


class UpiPaymentRequest(Request):
    order_id: Annotated[StrictStr, Field(max_length=64)]
    method: Literal["upi"]
    vpa: Annotated[StrictStr, Field(max_length=255)]
    amount: (
        Annotated[
            StrictInt,
            Field(
                ge=100,
                le=10**12,
                description="paise: what to pay of the order; a payment link that accepts partial payments takes part"
                " of what is left, any other order only its whole amount (the default)",
            ),
        ]
        | None
    ) = None


class CardPaymentRequest(Request):
    order_id: Annotated[StrictStr, Field(max_length=64)]
    method: Literal["card"]
    card: CardDetails
    amount: (
        Annotated[
            StrictInt,
            Field(
                ge=100,
                le=10**12,
                description="paise: what to pay of the order; a payment link that accepts partial payments takes part"
                " of what is left, any other order only its whole amount (the default)",
            ),
        ]
        | None
    ) = None


CreatePaymentRequest = Annotated[UpiPaymentRequest | CardPaymentRequest, Field(discriminator="method")]


class CaptureRequest(Request):
    amount: Paise


class PaymentListQuery(ListQuery):
    status: PaymentStatus | None = None
    method: Method | None = None
    order_id: Annotated[str, Field(max_length=64)] | None = None


_INSTRUMENT_FIELDS = ("vpa", "card_network", "card_last4")


def _instrument_fields_optional(schema: dict[str, Any]) -> None:
    """public_dict leaves out the other method's fields: `vpa` (upi) or `card_network`, `card_last4` (card)."""
    schema["required"] = [name for name in schema.get("required", []) if name not in _INSTRUMENT_FIELDS]


class Payment(Model):
    model_config = ConfigDict(
        extra="ignore", json_schema_serialization_defaults_required=True, json_schema_extra=_instrument_fields_optional
    )

    id: str
    order_id: str
    amount: int
    currency: str
    method: Method
    vpa: str | None = None
    card_network: str | None = None
    card_last4: str | None = None
    status: PaymentStatus
    captured: bool = False
    captured_at: datetime | None = None
    amount_refunded: int = 0
    error_code: str | None = None
    error_description: str | None = None
    created_at: datetime
    updated_at: datetime

    # A computed field: dumped last (after updated_at) and described in the document's reply schema.
    @computed_field(  # type: ignore[prop-decorator]
        description="From `amount_refunded` (refunds created, pending or processed): null if none, `full` if they"
        " cover the amount"
    )
    @property
    def refund_status(self) -> Literal["partial", "full"] | None:
        if not self.amount_refunded:
            return None
        return "full" if self.amount_refunded == self.amount else "partial"

    def public_dict(self) -> dict[str, Any]:
        """JSON shape for API responses and webhooks: absent instrument fields left out."""
        data = self.model_dump(mode="json")
        if self.method == "upi":
            data.pop("card_network"), data.pop("card_last4")
        else:
            data.pop("vpa")
        return data


class PublicPayment(Model):
    id: str
    order_id: str
    amount: int
    currency: str
    method: Method
    status: PaymentStatus
