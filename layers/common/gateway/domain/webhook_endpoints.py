"""A merchant's webhook endpoints beyond its default one (Stripe's webhook endpoints, Svix's
endpoints): each with its own URL, secret and event filter, delivered and retried on its own."""

from __future__ import annotations

from typing import Any

from gateway.adapters import endpoint_store
from gateway.adapters.postgres import transaction
from gateway.domain.merchant_identity import Merchant
from gateway.domain.merchants import new_webhook_secret, validate_webhook_url
from gateway.errors import BadRequest, NotFound
from gateway.ids import new_id
from gateway.models.base import Page
from gateway.models.webhooks import (
    CreateWebhookEndpointRequest,
    UpdateWebhookEndpointRequest,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)
from gateway.settings import get_settings

# Stripe allows 16 endpoints per account: enough for real fan-out, and a bound on one event's deliveries.
# The database enforces it (migration 0015's trigger), so concurrent creations cannot pass it.
MAX_ENDPOINTS = 16


def create(merchant: Merchant, request: CreateWebhookEndpointRequest) -> WebhookEndpointWithSecret:
    url = validate_webhook_url(request.url)
    with transaction() as tx:
        row = endpoint_store.insert_webhook_endpoint(
            tx, new_id("we_"), merchant.id, url, new_webhook_secret(), request.enabled_events, request.description
        )
        if row is None:
            raise BadRequest(f"A merchant may have at most {MAX_ENDPOINTS} webhook endpoints")
    return WebhookEndpointWithSecret.model_validate(row, from_attributes=True)


def list_all(merchant: Merchant) -> Page:
    """Every endpoint of the merchant, in the list envelope every list answers: one page, as a
    merchant has at most MAX_ENDPOINTS (the page's `limit`)."""
    with transaction() as tx:
        rows = endpoint_store.webhook_endpoints_of(tx, merchant.id)
    return Page(
        data=[WebhookEndpoint.model_validate(row, from_attributes=True).model_dump(mode="json") for row in rows],
        total=len(rows),
        total_capped=False,
        limit=MAX_ENDPOINTS,
        offset=0,
        has_more=False,
    )


def get(merchant: Merchant, endpoint_id: str) -> WebhookEndpointWithSecret:
    with transaction() as tx:
        row = _found(endpoint_store.webhook_endpoint_of(tx, merchant.id, _known_shape(endpoint_id)))
    return WebhookEndpointWithSecret.model_validate(row, from_attributes=True)


def update(merchant: Merchant, endpoint_id: str, request: UpdateWebhookEndpointRequest) -> WebhookEndpoint:
    changes: dict[str, Any] = request.model_dump(exclude_unset=True)
    if "url" in changes:
        if changes["url"] is None:
            raise BadRequest("url: an endpoint needs a URL (delete the endpoint instead)")
        changes["url"] = validate_webhook_url(changes["url"])
    with transaction() as tx:
        row = _found(endpoint_store.update_webhook_endpoint(tx, merchant.id, _known_shape(endpoint_id), changes))
    return WebhookEndpoint.model_validate(row, from_attributes=True)


def rotate_secret(merchant: Merchant, endpoint_id: str) -> WebhookEndpointWithSecret:
    """A new secret at once; deliveries from now on are signed with it and, for the grace period
    (WEBHOOK_SECRET_GRACE_SECONDS, 24 h by default), with the secret it replaced too, so receivers
    can be rolled without a gap."""
    with transaction() as tx:
        changes = {"secret": new_webhook_secret()}
        grace = get_settings().webhook_secret_grace_seconds
        row = _found(endpoint_store.update_webhook_endpoint(tx, merchant.id, _known_shape(endpoint_id), changes, grace))
    return WebhookEndpointWithSecret.model_validate(row, from_attributes=True)


def delete(merchant: Merchant, endpoint_id: str) -> None:
    """Its pending deliveries are skipped; its delivery log stays listable."""
    with transaction() as tx:
        if not endpoint_store.delete_webhook_endpoint(tx, merchant.id, _known_shape(endpoint_id)):
            raise NotFound("Webhook endpoint not found")


def _known_shape(endpoint_id: str) -> str:
    if len(endpoint_id) > 64:  # longer than any id: no such endpoint, without asking the database
        raise NotFound("Webhook endpoint not found")
    return endpoint_id


def _found(row: endpoint_store.EndpointRow | None) -> endpoint_store.EndpointRow:
    if row is None:
        raise NotFound("Webhook endpoint not found")
    return row
