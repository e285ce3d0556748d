"""Events: the list filters, an event with its deliveries, a redelivery.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from gateway.models.base import ListQuery, Model, QueryTime
from gateway.models.webhooks import WebhookLog

EVENT_TYPE_PATTERN = r"^[a-z_]+\.(\*|[a-z_]+)$"


class EventListQuery(ListQuery):
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


class Event(Model):
    """A stored business event; `data` is what every delivery of it carries."""

    id: str
    type: str
    payment_id: str | None
    created_at: datetime
    data: dict[str, Any]


class EventDetail(Event):
    deliveries: list[WebhookLog] = Field(description="Every attempt series for this event, oldest first")


class EventRedelivery(Model):
    event_id: str
    delivery_ids: list[str] = Field(description="A new delivery per subscribed endpoint (GET /api/v1/webhooks/{id})")
    status: Literal["pending"]
    message: str
