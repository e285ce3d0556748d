"""The one place where errors become HTTP responses in the `{"error":{"code","description"}}` envelope."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from api_routes.access import LOCAL_ACCESS, access_of, app_routes
from gateway.adapters import failures
from gateway.errors import (
    BadRequest,
    GatewayError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    UnsupportedMediaType,
)
from gateway.settings import get_settings


def error_response(error: GatewayError) -> Response[str]:
    return Response(
        status_code=error.status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error.envelope(), separators=(",", ":")),
        headers=error.headers,
    )


def as_event_response(error: GatewayError) -> dict[str, Any]:
    """The same envelope as a payload-2.0 reply, for requests refused before routing."""
    body = json.dumps(error.envelope(), separators=(",", ":"))
    headers = {"Content-Type": content_types.APPLICATION_JSON, **error.headers}
    return {"statusCode": error.status_code, "headers": headers, "body": body}


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """Names the offending fields; never echoes input values (they may be card numbers)."""
    parts = []
    for error in errors[:5]:
        location = ".".join(str(part) for part in error.get("loc", ())[1:]) or "body"
        if error.get("type") == "json_invalid":
            return "Request body is not valid JSON"
        parts.append(f"{location}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "Invalid request"


def allowed_methods(app: APIGatewayHttpResolver, path: str) -> list[str]:
    """The methods routed for this path (none: the path is unknown). Local-only routes are unknown
    outside the local runtime."""
    local = get_settings().test_routes_enabled
    return sorted(
        {
            route.method
            for route in app_routes(app)
            if route.rule.match(path) and (local or access_of(route.method, route.path) not in LOCAL_ACCESS)
        }
    )


def register(app: APIGatewayHttpResolver, logger: Logger) -> None:
    @app.exception_handler(GatewayError)
    def handle_gateway_error(error: GatewayError) -> Response[str]:
        if error.status_code >= 500:
            logger.error("request failed", extra={"code": error.code, "description": error.description})
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(error: RequestValidationError) -> Response[str]:
        return error_response(BadRequest(describe_validation_errors(list(error.errors()))))

    @app.exception_handler(UnicodeDecodeError)
    def handle_undecodable_body(_: UnicodeDecodeError) -> Response[str]:
        return error_response(BadRequest("Request body must be UTF-8 encoded JSON"))

    @app.exception_handler(RequestUnsupportedContentType)
    def handle_unsupported_content_type(_: RequestUnsupportedContentType) -> Response[str]:
        return error_response(UnsupportedMediaType("Request bodies must be JSON (Content-Type: application/json)"))

    @app.not_found
    def handle_not_found(_: NotFoundError) -> Response[str]:
        """No route: 405 with `Allow` when the path has routes for other methods (RFC 9110), else 404."""
        allowed = allowed_methods(app, app.current_event.path)
        if allowed:
            method = app.current_event.http_method.upper()
            return error_response(
                MethodNotAllowed(
                    f"{method} is not allowed here; use {', '.join(allowed)}", {"Allow": ", ".join(allowed)}
                )
            )
        return error_response(NotFound("No such route"))

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response[str]:
        failures.log_error(logger, "unhandled error", error)
        return error_response(InternalError("Internal error"))
