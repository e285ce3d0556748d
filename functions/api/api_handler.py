"""The merchant-facing API Lambda: wiring only (routes live in `api_routes`)."""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import APIKey
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from api_routes import cors, errors, merchant, openapi, orders, payments, refunds, request_guard, system, webhooks

logger = Logger(service="api")

app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(system.router)
app.include_router(orders.router, prefix="/api/v1/orders")
app.include_router(payments.router, prefix="/api/v1/payments")
app.include_router(refunds.router, prefix="/api/v1")
app.include_router(merchant.router, prefix="/api/v1/merchant")
app.include_router(merchant.auth_router, prefix="/api/v1/auth")
app.include_router(webhooks.router, prefix="/api/v1/webhooks")
errors.register(app, logger)

OPENAPI: dict[str, Any] = {
    "title": "Payment Gateway API",
    "version": "1.0.0",
    "description": "Orders, UPI and card payments, captures and webhooks. Amounts are integer paise. "
    'Errors are {"error": {"code", "description"}}. POSTs that create accept an Idempotency-Key header.',
    "security_schemes": {
        "apiKey": APIKey.model_validate({"type": "apiKey", "name": "X-Api-Key", "in": "header"}),
        "apiSecret": APIKey.model_validate({"type": "apiKey", "name": "X-Api-Secret", "in": "header"}),
    },
    "security": [{"apiKey": [], "apiSecret": []}],
}
app.enable_swagger(path="/api/v1/docs", **OPENAPI)


_document: str | None = None


@app.get("/api/v1/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    global _document
    if _document is None:  # once per container: the routes do not change
        _document = json.dumps(openapi.describe(app.get_openapi_json_schema(**OPENAPI)))
    return Response(200, content_types.APPLICATION_JSON, _document)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = time.perf_counter()
    refused = request_guard.check(event)
    response = cors.preflight(event) or (errors.as_event_response(refused) if refused else app.resolve(event, context))
    cors.add_headers(event, response)
    request_id = logger.get_correlation_id() or context.aws_request_id
    response.setdefault("headers", {})["X-Request-Id"] = request_id
    logger.info(
        "request",
        extra={
            "method": event.get("requestContext", {}).get("http", {}).get("method"),
            "path": event.get("rawPath"),
            "status": response.get("statusCode"),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return response
