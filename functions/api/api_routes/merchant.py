"""/api/v1/merchant: the caller's own settings."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import current_merchant
from gateway.domain import merchants
from gateway.models import WebhookConfig, WebhookConfigRequest

router = APIGatewayHttpRouter()


@router.get("/webhook")
def get_webhook() -> WebhookConfig:
    return merchants.webhook_config(current_merchant(router))


@router.put("/webhook")
def put_webhook(body: WebhookConfigRequest) -> WebhookConfig:
    return merchants.update_webhook(current_merchant(router), body)
