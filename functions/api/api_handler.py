"""The merchant-facing API Lambda: wiring only (routes live in `api_routes`).

Every request passes, in this order: CORS preflight, the request guard (size, framing, bounded
JSON), authentication by the route's access (api_routes/access.py), the resolver (validation, the
route), then the reply's CORS, RateLimit-* and version headers and the ApiLatency metric. These run
around `app.resolve`, not as Powertools middlewares, on purpose: in Powertools 3.x a route's stack is
request validation first, then the registered middlewares (`_build_middleware_stack`), so
authentication as a middleware would answer an anonymous caller with the route's validation errors
(the route's schema); and middlewares run only for a matched route, while preflights, 404 and 405
replies need the same headers and the metric. The merchant reaches a route through the resolver's
context (`auth.merchant_of(router)`).
"""

from __future__ import annotations

# First: the collector waits until this module is built (init_gc.resume() at its end).
from gateway.adapters import init_gc

# isort: split
import functools
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths

from api_routes import (
    auth,
    balance,
    cors,
    disputes,
    errors,
    events,
    merchant,
    openapi,
    orders,
    payment_links,
    payments,
    refunds,
    reports,
    request_guard,
    settlements,
    system,
    versions,
    webhook_endpoints,
    webhooks,
)
from api_routes.access import Route, app_routes, routes_at, routes_of
from gateway.adapters import (
    metrics,
    runtime_hooks,  # noqa: F401  (SnapStart hooks)
    tracing,
)
from gateway.errors import GatewayError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="api")

# Bodies are parsed once, by the request guard's bounded parser (no 4,300-digit integers reach int()).
app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=request_guard.parsed_body)
app.include_router(system.router)
app.include_router(orders.router, prefix="/api/v1/orders")
app.include_router(payments.router, prefix="/api/v1/payments")
app.include_router(refunds.router, prefix="/api/v1")
app.include_router(balance.router, prefix="/api/v1")
app.include_router(settlements.router, prefix="/api/v1")
app.include_router(reports.router, prefix="/api/v1")
app.include_router(payment_links.router, prefix="/api/v1/payment_links")
app.include_router(payment_links.test_router, prefix="/api/v1/test/payment_links")
app.include_router(disputes.router, prefix="/api/v1")
app.include_router(merchant.router, prefix="/api/v1/merchant")
app.include_router(merchant.auth_router, prefix="/api/v1/auth")
app.include_router(webhooks.router, prefix="/api/v1/webhooks")
app.include_router(events.router, prefix="/api/v1/events")
app.include_router(webhook_endpoints.router, prefix="/api/v1/webhook_endpoints")
errors.register(app, logger)

OPENAPI: dict[str, Any] = {
    "title": "Payment Gateway API",
    "version": versions.CURRENT,
    "description": "Orders, UPI and card payments, captures and webhooks. Amounts are integer paise. "
    'Errors are {"error": {"code", "description"}}. POSTs that create accept an Idempotency-Key header.',
    "security": [{"apiKey": [], "apiSecret": []}],
}
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "name": "X-Api-Key", "in": "header"},
    "apiSecret": {"type": "apiKey", "name": "X-Api-Secret", "in": "header"},
}


# The document and the Swagger UI are built on their first request, not at every cold start:
# Powertools' OpenAPI models (what `enable_swagger` imports) cost ~0.3 s of CPU to import.
@functools.cache  # once per container: the routes do not change
def document() -> str:
    from aws_lambda_powertools.event_handler.openapi.models import APIKey

    schemes = {name: APIKey.model_validate(scheme) for name, scheme in SECURITY_SCHEMES.items()}
    schema = app.get_openapi_json_schema(**OPENAPI, security_schemes=dict(schemes))
    queries = openapi.query_models(app_routes(app))
    return json.dumps(openapi.describe(schema, queries, ROUTES))


@app.get("/api/v1/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, document())


@functools.cache
def swagger_page() -> str:
    """Swagger UI (Powertools' page and bundled assets) on the served document, once per container."""
    from aws_lambda_powertools.event_handler.openapi import swagger_ui as assets
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    folder = Path(assets.__file__).parent
    return generate_swagger_html(
        document().replace("</", "<\\/"),  # the document sits inside a <script>
        (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (folder / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )


@app.get("/api/v1/docs", include_in_schema=False)
def swagger_ui() -> Response[str]:
    return Response(200, "text/html", swagger_page())


# Every route with who may call it (api_routes/access.py), for CORS, the document and the metric.
ROUTES = routes_of(app)
ROUTE_FAMILIES = frozenset(route.family for route in ROUTES)


def route_family(matched: list[Route]) -> str:
    """`payments` for /api/v1/payments/pay_1/refunds: the dimension of ApiLatency (few values, as
    CloudWatch bills per distinct dimension set)."""
    return matched[0].family if matched else "other"


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracing.traced
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = time.perf_counter()
    caller: auth.Caller | None = None
    matched = routes_at(ROUTES, event.get("rawPath") or "")  # once: CORS, authentication, the metric
    response = cors.preflight(event, matched)
    if response is None:
        refused = request_guard.check(event)
        if refused is None:
            try:  # every route, as api_routes/access.py says (private unless listed), before its input
                caller = auth.authenticate(event, matched)
            except GatewayError as error:
                refused = error
        if refused is not None:
            response = errors.as_event_response(refused)
        else:
            if caller is not None:
                app.append_context(merchant=caller.merchant)
            response = app.resolve(event, context)
    cors.add_headers(event, response, matched)
    headers = response.setdefault("headers", {})
    for name, value in (caller.budget.headers() if caller else {}).items():
        headers.setdefault(name, value)  # a 429 carries its own
    request_id = logger.get_correlation_id() or context.aws_request_id
    headers["X-Request-Id"] = request_id
    headers[versions.HEADER] = versions.answered_in(event)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    metrics.emit("ApiLatency", duration_ms, "Milliseconds", {"route": route_family(matched)})
    logger.info(
        "request",
        extra={
            "method": event.get("requestContext", {}).get("http", {}).get("method"),
            "path": event.get("rawPath"),
            "status": response.get("statusCode"),
            "duration_ms": duration_ms,
        },
    )
    return response


init_gc.resume()  # INIT is over
