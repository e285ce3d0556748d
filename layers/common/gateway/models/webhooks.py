"""Webhooks: endpoints, the default URL's configuration, the delivery log and its attempts.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, StrictBool, StrictStr, model_validator

from gateway.catalog import EVENT_TYPES
from gateway.models.base import REPLY_CONFIG, ListQuery, Model, Request

WebhookLogStatus = Literal["pending", "success", "failed", "skipped"]  # the webhook_logs CHECK constraint


class WebhookListQuery(ListQuery):
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


class CreateWebhookEndpointRequest(Request):
    url: Annotated[StrictStr, Field(max_length=2048)]
    enabled_events: EnabledEvents = Field(default_factory=lambda: ["*"])
    description: Annotated[StrictStr, Field(max_length=256)] | None = None

    @model_validator(mode="after")
    def _known_events(self) -> Self:
        self.enabled_events = _check_enabled_events(self.enabled_events)
        return self


class UpdateWebhookEndpointRequest(Request):
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


class WebhookEndpoint(Model):
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


class WebhookConfigRequest(Request):
    webhook_url: Annotated[StrictStr, Field(max_length=2048)] | None


class WebhookConfig(Model):
    webhook_url: str | None
    webhook_secret: str


class WebhookLog(Model):
    model_config = REPLY_CONFIG

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


class WebhookAttempt(Model):
    attempted_at: datetime
    response_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None


class WebhookLogDetail(WebhookLog):
    payload: dict[str, Any]
    last_error: str | None = None
    attempt_history: list[WebhookAttempt]


class WebhookRetryReply(Model):
    id: str
    status: Literal["pending"]
    message: str
