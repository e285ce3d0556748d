"""/api/v1/webhooks: delivery logs, attempt details and manual retries."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import webhook_logs
from gateway.models.base import Page
from gateway.models.webhooks import WebhookListQuery, WebhookLogDetail, WebhookRetryReply

router = APIGatewayHttpRouter()


@router.get("/")
def list_webhook_logs(query: Annotated[WebhookListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, WebhookListQuery)
    return webhook_logs.list_logs(merchant_of(router), query)


@router.get("/<webhook_id>")
def get_webhook_log(webhook_id: str) -> WebhookLogDetail:
    return webhook_logs.get_log(merchant_of(router), webhook_id)


@router.post("/<webhook_id>/retry")
def retry_webhook(webhook_id: str) -> WebhookRetryReply:
    return webhook_logs.retry(merchant_of(router), webhook_id)
