"""/api/v1/merchant: the caller's own settings."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.openapi import documented
from api_routes.queries import reject_unknown_query_parameters
from api_routes.viewer import viewer_address
from gateway.domain import merchants, stats, webhook_fanout
from gateway.models.merchants import ApiCredentials, MerchantStats, NewApiSecret, Session, SignInRequest, StatsQuery
from gateway.models.webhooks import WebhookConfig, WebhookConfigRequest, WebhookRetryReply

router = APIGatewayHttpRouter()


@router.get("/webhook")
def get_webhook() -> WebhookConfig:
    return merchants.webhook_config(merchant_of(router))


@router.put("/webhook")
def put_webhook(body: WebhookConfigRequest) -> WebhookConfig:
    return merchants.update_webhook(merchant_of(router), body)


@router.post("/webhook/secret")
def rotate_webhook_secret() -> WebhookConfig:
    return merchants.rotate_webhook_secret(merchant_of(router))


@router.post("/webhook/test")
def send_test_webhook() -> WebhookRetryReply:
    return webhook_fanout.send_test_event(merchant_of(router))


@router.get("/credentials")
def get_credentials() -> ApiCredentials:
    return merchants.credentials(merchant_of(router))


@router.post("/credentials/rotate", responses=documented(200, NewApiSecret, "The new secret, shown this once"))
def rotate_credentials() -> Response[str]:
    rotated = merchants.rotate_api_secret(merchant_of(router))
    # The only time this secret exists outside the caller: no browser or proxy may cache it.
    return Response(
        status_code=200,
        content_type="application/json",
        body=rotated.model_dump_json(),
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/stats",
    description="Totals over all payments; with `from` and `to` (at most 366 days apart, `from` before `to`),"
    " also `series`: every UTC day of [from, to), quiet days as zeros.",
)
def merchant_stats(query: Annotated[StatsQuery, Query()]) -> MerchantStats:
    reject_unknown_query_parameters(router, StatsQuery)
    return stats.stats(merchant_of(router), query)


# Mounted at /api/v1/auth: sign-in needs no credentials but the operator's email and password.
auth_router = APIGatewayHttpRouter()


@auth_router.post("/login")
def sign_in(body: SignInRequest) -> Session:
    event = auth_router.current_event
    return merchants.sign_in(body, viewer_address(event.headers, event.request_context.http.source_ip))
