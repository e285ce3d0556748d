"""Creates under an Idempotency-Key: replayed byte for byte, counted once."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from gateway.adapters import metrics
from gateway.adapters.postgres import Tx
from gateway.domain import idempotency
from gateway.domain.merchant_identity import Merchant


def idempotent_create(
    router: APIGatewayHttpRouter,
    merchant: Merchant,
    work: Callable[[Tx], idempotency.Outcome],
    created_metric: str = "",
    created_dimensions: dict[str, str] | None = None,
    status: int = 201,
) -> Response[str]:
    """Runs a create under its Idempotency-Key; a first (not replayed) creation counts `created_metric`.
    `status`: the reply's (201 Created; 202 Accepted for work done in the background)."""
    event = router.current_event
    key = idempotency.validate_key(event.headers.get("idempotency-key"))
    request = idempotency.Request(method=event.http_method, path=event.path, body=event.json_body)
    reply = idempotency.execute(merchant.id, key, request, status, work)
    headers = {"Idempotent-Replayed": "true"} if reply.replayed else {}
    if created_metric and reply.status == status and not reply.replayed:
        metrics.emit(created_metric, dimensions=created_dimensions)
    return Response(reply.status, content_types.APPLICATION_JSON, reply.body, headers=headers)
