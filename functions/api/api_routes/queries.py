"""Query parameters as strictly as bodies: a parameter no model declares is an error."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from gateway.errors import BadRequest


def reject_unknown_query_parameters(router: APIGatewayHttpRouter, model: type[BaseModel]) -> None:
    """Powertools drops parameters a model does not declare; a typo must be an error, not a no-op."""
    known = {field.alias or name for name, field in model.model_fields.items()}
    unknown = sorted(set(router.current_event.query_string_parameters or {}) - known)
    if unknown:
        raise BadRequest(f"Unknown query parameter(s): {', '.join(unknown)}")
