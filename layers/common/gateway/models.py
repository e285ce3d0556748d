"""Pydantic models at the boundaries: API bodies and responses, and SQS messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

Paise = Annotated[StrictInt, Field(ge=100, le=10**12, description="amount in paise (integer)")]
Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateOrderRequest(_Request):
    amount: Paise
    currency: Currency = "INR"
    receipt: Annotated[StrictStr, Field(max_length=255)] | None = None
    notes: dict[str, Any] | None = None


class CardDetails(_Request):
    number: Annotated[StrictStr, Field(max_length=40)]
    expiry_month: StrictStr | StrictInt
    expiry_year: StrictStr | StrictInt
    cvv: Annotated[StrictStr, Field(max_length=4)]
    holder_name: Annotated[StrictStr, Field(max_length=255)] | None = None


class UpiPaymentRequest(_Request):
    order_id: Annotated[StrictStr, Field(max_length=64)]
    method: Literal["upi"]
    vpa: Annotated[StrictStr, Field(max_length=255)]


class CardPaymentRequest(_Request):
    order_id: Annotated[StrictStr, Field(max_length=64)]
    method: Literal["card"]
    card: CardDetails


CreatePaymentRequest = Annotated[UpiPaymentRequest | CardPaymentRequest, Field(discriminator="method")]


class WebhookConfigRequest(_Request):
    webhook_url: Annotated[StrictStr, Field(max_length=2048)] | None


class Order(BaseModel):
    id: str
    merchant_id: str
    amount: int
    currency: str
    receipt: str | None
    notes: dict[str, Any] | None
    status: str
    created_at: datetime


class Payment(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    order_id: str
    amount: int
    currency: str
    method: str
    vpa: str | None = None
    card_network: str | None = None
    card_last4: str | None = None
    status: str
    captured: bool = False
    error_code: str | None = None
    error_description: str | None = None
    created_at: datetime
    updated_at: datetime

    def public_dict(self) -> dict[str, Any]:
        """JSON shape for API responses and webhooks: absent instrument fields left out."""
        data = self.model_dump(mode="json")
        if self.method == "upi":
            data.pop("card_network"), data.pop("card_last4")
        else:
            data.pop("vpa")
        return data


class WebhookConfig(BaseModel):
    webhook_url: str | None
    webhook_secret: str


class TestMerchant(BaseModel):
    id: str
    email: str
    api_key: str
    seeded: bool


class JobsStatus(BaseModel):
    pending: int
    processing: int
    completed: int
    failed: int
    worker_status: str


class Health(BaseModel):
    status: Literal["healthy", "unhealthy"]
    database: str
    queue: str
    timestamp: datetime


# --- SQS messages --------------------------------------------------------------------------


class PaymentJob(BaseModel):
    payment_id: str


class WebhookJob(BaseModel):
    webhook_log_id: str


class RefundJob(BaseModel):
    refund_id: str
