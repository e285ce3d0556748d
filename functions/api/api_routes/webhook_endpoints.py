"""/api/v1/webhook_endpoints: endpoints beyond the default one, each with its own secret and filter."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from gateway.domain import webhook_endpoints
from gateway.models.base import Page
from gateway.models.webhooks import (
    CreateWebhookEndpointRequest,
    UpdateWebhookEndpointRequest,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)

router = APIGatewayHttpRouter()


@router.get("/")
def list_webhook_endpoints() -> Page:
    return webhook_endpoints.list_all(merchant_of(router))


@router.post("/", status_code=201)
def create_webhook_endpoint(body: CreateWebhookEndpointRequest) -> WebhookEndpointWithSecret:
    return webhook_endpoints.create(merchant_of(router), body)


@router.get("/<endpoint_id>")
def get_webhook_endpoint(endpoint_id: str) -> WebhookEndpointWithSecret:
    return webhook_endpoints.get(merchant_of(router), endpoint_id)


@router.patch("/<endpoint_id>")
def update_webhook_endpoint(endpoint_id: str, body: UpdateWebhookEndpointRequest) -> WebhookEndpoint:
    return webhook_endpoints.update(merchant_of(router), endpoint_id, body)


@router.post("/<endpoint_id>/secret")
def rotate_webhook_endpoint_secret(endpoint_id: str) -> WebhookEndpointWithSecret:
    return webhook_endpoints.rotate_secret(merchant_of(router), endpoint_id)


@router.delete("/<endpoint_id>", status_code=204, responses={204: {"description": "Deleted"}})
def delete_webhook_endpoint(endpoint_id: str) -> Response[str]:
    webhook_endpoints.delete(merchant_of(router), endpoint_id)
    return Response(status_code=204, body="")
