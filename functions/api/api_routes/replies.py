"""Responses shared by routes: idempotent creates replayed byte for byte, strict query parsing."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from gateway.adapters import metrics
from gateway.adapters.postgres import Tx
from gateway.domain import idempotency
from gateway.domain.merchants import Merchant
from gateway.errors import BadRequest


def idempotent_create(
    router: APIGatewayHttpRouter,
    merchant: Merchant,
    work: Callable[[Tx], idempotency.Outcome],
    created_metric: str = "",
    created_dimensions: dict[str, str] | None = None,
) -> Response[str]:
    """Runs a create under its Idempotency-Key; a first (not replayed) creation counts `created_metric`."""
    event = router.current_event
    key = idempotency.validate_key(event.headers.get("idempotency-key"))
    request = idempotency.Request(method=event.http_method, path=event.path, body=event.json_body)
    reply = idempotency.execute(merchant.id, key, request, 201, work)
    headers = {"Idempotent-Replayed": "true"} if reply.replayed else {}
    if created_metric and reply.status == 201 and not reply.replayed:
        metrics.emit(created_metric, dimensions=created_dimensions)
    return Response(reply.status, content_types.APPLICATION_JSON, reply.body, headers=headers)


def reject_unknown_query_parameters(router: APIGatewayHttpRouter, model: type[BaseModel]) -> None:
    """Powertools drops parameters a model does not declare; a typo must be an error, not a no-op."""
    known = {field.alias or name for name, field in model.model_fields.items()}
    unknown = sorted(set(router.current_event.query_string_parameters or {}) - known)
    if unknown:
        raise BadRequest(f"Unknown query parameter(s): {', '.join(unknown)}")


def documented(status: int, model: type[BaseModel], description: str) -> dict[int, OpenAPIResponse]:
    """OpenAPI metadata for routes that build their own Response (replayable or shaped bodies)."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}
