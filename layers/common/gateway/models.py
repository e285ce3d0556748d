"""Pydantic models at the boundaries: API bodies and responses, and SQS messages.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    computed_field,
    model_validator,
)

from gateway import currencies
from gateway.catalog import EVENT_TYPES


class _Model(BaseModel):
    # Each model's validator and serializer are built when it is first used, not at import: every
    # function imports this module, and each uses a few of its models (~50 ms of a cold start).
    model_config = ConfigDict(defer_build=True)


Paise = Annotated[StrictInt, Field(ge=100, le=10**12, description="amount in paise (integer)")]
# Only the currencies the gateway supports (gateway/currencies.py); the document lists them.
Currency = Annotated[
    StrictStr,
    Field(
        max_length=3,
        description="ISO 4217 code of a supported currency; amounts are in its minor unit",
        json_schema_extra={"enum": list(currencies.SUPPORTED)},
    ),
    AfterValidator(currencies.check_supported),
]


class _Request(_Model):
    model_config = ConfigDict(extra="forbid")


# Razorpay's limits: at most 15 flat key-value pairs, values up to 256 characters.
NoteKey = Annotated[StrictStr, Field(min_length=1, max_length=256)]
NoteValue = Annotated[StrictStr, Field(max_length=256)] | StrictInt | StrictBool | None
Notes = Annotated[
    dict[NoteKey, NoteValue],
    Field(
        max_length=15, description="up to 15 key-value pairs; values are strings (256 characters), integers or booleans"
    ),
]


class CreateOrderRequest(_Request):
    amount: Paise
    currency: Currency = "INR"
    receipt: Annotated[StrictStr, Field(max_length=255)] | None = None
    notes: Notes | None = None


class CardDetails(_Request):
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


class UpiPaymentRequest(_Request):
    order_id: Annotated[StrictStr, Field(max_length=64)]
    method: Literal["upi"]
    vpa: Annotated[StrictStr, Field(max_length=255)]


class CardPaymentRequest(_Request):
    order_id: Annotated[StrictStr, Field(max_length=64)]
    method: Literal["card"]
    card: CardDetails


CreatePaymentRequest = Annotated[UpiPaymentRequest | CardPaymentRequest, Field(discriminator="method")]


class CaptureRequest(_Request):
    amount: Paise


class CreateRefundRequest(_Request):
    amount: Annotated[StrictInt, Field(ge=1, le=10**12, description="amount in paise (positive integer)")]
    reason: Annotated[StrictStr, Field(max_length=500)] | None = None


def _as_utc(moment: datetime) -> datetime:
    """A time without an offset is UTC (documented), never the zone the database or process runs in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# A list filter's time: what the parser takes, as the document says it (a date-time without a leap
# second or year 0, or unix seconds), so a client following the document is never refused. Read as
# UTC when it names no offset.
QueryTime = Annotated[
    datetime,
    AfterValidator(_as_utc),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "string",
                    "format": "date-time",
                    "pattern": r"^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-5][0-9]",
                },
                {"type": "string", "pattern": r"^-?[0-9]{1,11}(\.[0-9]{1,6})?$"},
            ]
        }
    ),
]

PaymentStatus = Literal["pending", "processing", "success", "failed"]
OrderStatus = Literal["created", "attempted", "paid"]
Method = Literal["upi", "card"]
RefundStatus = Literal["pending", "processed"]
WebhookLogStatus = Literal["pending", "success", "failed", "skipped"]  # the webhook_logs CHECK constraint


class _ListQuery(_Model):
    """Paging shared by every list: offset paging plus a cursor (`starting_after`) for deep pages."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=100_000)
    starting_after: Annotated[str, Field(max_length=64)] | None = None
    search: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="an exact id: payment or order (payments), refund or payment (refunds), event or payment (webhooks)",  # noqa: E501
    )
    created_from: QueryTime | None = Field(
        default=None, alias="from", description="ISO 8601 (no offset: UTC) or unix seconds"
    )
    created_to: QueryTime | None = Field(
        default=None, alias="to", description="ISO 8601 (no offset: UTC) or unix seconds"
    )

    @model_validator(mode="after")
    def _one_paging_style(self) -> Self:
        if self.starting_after is not None and self.offset:
            raise ValueError("use either offset or starting_after, not both")
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("from must not be after to")
        return self

    def filters(self) -> dict[str, Any]:
        return self.model_dump(exclude={"limit", "offset", "starting_after"})


class PaymentListQuery(_ListQuery):
    status: PaymentStatus | None = None
    method: Method | None = None
    order_id: Annotated[str, Field(max_length=64)] | None = None


class OrderListQuery(_ListQuery):
    status: OrderStatus | None = None


class RefundListQuery(_ListQuery):
    status: RefundStatus | None = None
    payment_id: Annotated[str, Field(max_length=64)] | None = None


class WebhookListQuery(_ListQuery):
    status: WebhookLogStatus | None = None
    event: Annotated[str, Field(max_length=50)] | None = None
    payment_id: Annotated[str, Field(max_length=64)] | None = None
    endpoint_id: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="one endpoint's deliveries; `default` for the merchant's default endpoint"
    )


# What an endpoint may subscribe to: these, a family (`payment.*`) or everything (`*`).
def _check_enabled_events(events: list[str]) -> list[str]:
    families = {event.split(".")[0] + ".*" for event in EVENT_TYPES}
    unknown = [event for event in events if event != "*" and event not in EVENT_TYPES and event not in families]
    if unknown:
        raise ValueError(f"unknown event type(s) {unknown}; use {', '.join(EVENT_TYPES)}, a family (payment.*) or *")
    return sorted(set(events))


EnabledEvents = Annotated[list[Annotated[StrictStr, Field(max_length=50)]], Field(min_length=1, max_length=20)]


class CreateWebhookEndpointRequest(_Request):
    url: Annotated[StrictStr, Field(max_length=2048)]
    enabled_events: EnabledEvents = Field(default_factory=lambda: ["*"])
    description: Annotated[StrictStr, Field(max_length=256)] | None = None

    @model_validator(mode="after")
    def _known_events(self) -> Self:
        self.enabled_events = _check_enabled_events(self.enabled_events)
        return self


class UpdateWebhookEndpointRequest(_Request):
    url: Annotated[StrictStr, Field(max_length=2048)] | None = None
    enabled_events: EnabledEvents | None = None
    description: Annotated[StrictStr, Field(max_length=256)] | None = None
    disabled: StrictBool | None = None

    @model_validator(mode="after")
    def _known_events(self) -> Self:
        if self.enabled_events is not None:
            self.enabled_events = _check_enabled_events(self.enabled_events)
        if not self.model_fields_set:
            raise ValueError("nothing to change: give url, enabled_events, description or disabled")
        return self


class WebhookEndpoint(_Model):
    model_config = ConfigDict(extra="ignore")

    id: str
    url: str
    enabled_events: list[str]
    description: str | None
    disabled: bool
    failing_since: datetime | None = Field(
        description="Set while its last delivery failed (its retries use the slow lane)"
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpoint):
    secret: str = Field(description="Signs this endpoint's deliveries (Standard Webhooks `whsec_`)")


EVENT_TYPE_PATTERN = r"^[a-z_]+\.(\*|[a-z_]+)$"


class EventListQuery(_ListQuery):
    type: Annotated[str, Field(max_length=50, pattern=EVENT_TYPE_PATTERN)] | None = Field(
        default=None, description="an event type (`payment.success`) or a family (`payment.*`)"
    )
    payment_id: Annotated[str, Field(max_length=64)] | None = None
    created_gte: QueryTime | None = Field(
        default=None, alias="created[gte]", description="ISO 8601 (no offset: UTC) or unix seconds"
    )
    created_lte: QueryTime | None = Field(
        default=None, alias="created[lte]", description="ISO 8601 (no offset: UTC) or unix seconds"
    )

    @model_validator(mode="after")
    def _one_time_range_style(self) -> Self:
        if (self.created_gte and self.created_from) or (self.created_lte and self.created_to):
            raise ValueError("use created[gte]/created[lte] or from/to, not both")
        self.created_from = self.created_gte or self.created_from
        self.created_to = self.created_lte or self.created_to
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("created[gte] must not be after created[lte]")
        return self

    def filters(self) -> dict[str, Any]:
        return self.model_dump(exclude={"limit", "offset", "starting_after", "created_gte", "created_lte"})


class Page(_Model):
    data: list[dict[str, Any]]
    total: int = Field(description="Matching rows, counted up to 10,000")
    total_capped: bool = Field(
        description="More than 10,000 rows match: `total` is 10,000; page on with `has_more` and `starting_after`"
    )
    limit: int
    offset: int
    has_more: bool = Field(description="Another page follows this one")


class SignInRequest(_Request):
    email: Annotated[StrictStr, Field(min_length=3, max_length=255)]
    password: Annotated[StrictStr, Field(min_length=1, max_length=1024)]


class WebhookConfigRequest(_Request):
    webhook_url: Annotated[StrictStr, Field(max_length=2048)] | None


class Order(_Model):
    id: str
    merchant_id: str
    amount: int
    currency: str
    receipt: str | None
    notes: dict[str, Any] | None
    status: OrderStatus
    created_at: datetime


# A reply's defaults are dumped like any value: its schema says every field is there (not optional).
_REPLY = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)
_INSTRUMENT_FIELDS = ("vpa", "card_network", "card_last4")


def _instrument_fields_optional(schema: dict[str, Any]) -> None:
    """public_dict leaves out the other method's fields: `vpa` (upi) or `card_network`, `card_last4` (card)."""
    schema["required"] = [name for name in schema.get("required", []) if name not in _INSTRUMENT_FIELDS]


class Payment(_Model):
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


class PublicOrder(_Model):
    """What a shopper's checkout may see of an order."""

    id: str
    amount: int
    currency: str
    status: OrderStatus
    merchant_name: str


class PublicPayment(_Model):
    id: str
    order_id: str
    amount: int
    currency: str
    method: Method
    status: PaymentStatus


class Refund(_Model):
    model_config = _REPLY

    id: str
    payment_id: str
    amount: int
    reason: str | None
    status: RefundStatus
    created_at: datetime
    processed_at: datetime | None = None


class WebhookLog(_Model):
    model_config = _REPLY

    id: str
    event_id: str
    event: str
    payment_id: str | None = None
    endpoint_id: str | None = Field(default=None, description="null: the merchant's default endpoint")
    status: WebhookLogStatus
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_retry_at: datetime | None
    response_code: int | None


class Event(_Model):
    """A stored business event; `data` is what every delivery of it carries."""

    id: str
    type: str
    payment_id: str | None
    created_at: datetime
    data: dict[str, Any]


class EventDetail(Event):
    deliveries: list[WebhookLog] = Field(description="Every attempt series for this event, oldest first")


class EventRedelivery(_Model):
    event_id: str
    delivery_ids: list[str] = Field(description="A new delivery per subscribed endpoint (GET /api/v1/webhooks/{id})")
    status: Literal["pending"]
    message: str


class WebhookAttempt(_Model):
    attempted_at: datetime
    response_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None


class WebhookLogDetail(WebhookLog):
    payload: dict[str, Any]
    last_error: str | None = None
    attempt_history: list[WebhookAttempt]


class WebhookRetryReply(_Model):
    id: str
    status: Literal["pending"]
    message: str


class SessionMerchant(_Model):
    id: str
    name: str
    email: str
    api_key: str


class Session(_Model):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_at: datetime
    merchant: SessionMerchant


class ApiCredentials(_Model):
    """What the dashboard may show at any time: the key, and the secret's last four characters."""

    api_key: str
    api_secret_hint: str


class NewApiSecret(_Model):
    """A rotated secret, shown once: only its hash is kept."""

    api_key: str
    api_secret: str


class MerchantStats(_Model):
    total_transactions: int
    total_amount: int = Field(description="paise, successful payments")
    success_rate: float = Field(description="percent of finished payments that succeeded")


class WebhookConfig(_Model):
    webhook_url: str | None
    webhook_secret: str


class TestMerchant(_Model):
    id: str
    email: str
    api_key: str
    seeded: bool


class JobsStatus(_Model):
    pending: int
    processing: int
    completed: int
    failed: int
    worker_status: str


class Health(_Model):
    status: Literal["healthy", "unhealthy"]
    database: str
    queue: str
    timestamp: datetime


# --- SQS messages --------------------------------------------------------------------------


class BankReply(_Model):
    """The simulated bank's answer to one claim, delivered after the bank's wait by an SQS message
    timer, so no invocation waits for it (issue 21)."""

    claimed_at: datetime  # the claim it answers: a reply to a claim taken over since is dropped
    approved: bool


class PaymentJob(_Model):
    payment_id: str
    # Outbox rows of events the request recorded and left for the consumer to send (one queue call
    # per request); committed with the payment, so the relay sends them if this message is lost.
    # Messages written before the field had this name carry it as `events`.
    event_outbox_ids: list[int] = Field(
        default_factory=list, validation_alias=AliasChoices("event_outbox_ids", "events")
    )
    # Absent on the request's message (claim the payment, ask the bank); present on the delayed one.
    bank_reply: BankReply | None = None


class WebhookJob(_Model):
    # A log's uuid, checked here so that a malformed record fails alone, not its whole batch's statement.
    webhook_log_id: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )


class RefundJob(_Model):
    refund_id: str


# --- Operator and deploy events (direct Lambda invocations) -----------------------------------


class CreateMerchantCommand(_Request):
    """What `scripts/create-merchant` sends to the admin function."""

    action: Literal["create_merchant"]
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    email: Annotated[StrictStr, Field(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    password: Annotated[StrictStr, Field(min_length=12, max_length=1024)]


class NewMerchant(_Model):
    """Shown once, to the operator who created the merchant: the secret is not retrievable later
    except by signing in to the dashboard as that merchant."""

    id: str
    name: str
    email: str
    api_key: str
    api_secret: str
    webhook_secret: str


class CustomResourceEvent(_Model):
    """A CloudFormation custom resource request (the fields this gateway uses)."""

    model_config = ConfigDict(extra="ignore")

    RequestType: Literal["Create", "Update", "Delete"]
    ResponseURL: str
    StackId: str
    RequestId: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None
    ResourceProperties: dict[str, Any] = Field(default_factory=dict)
