"""The served OpenAPI document, made to describe what the API really answers.

Powertools generates paths and bodies from the routes' types; this adds what it cannot know: every
error status a route can answer (in the error envelope; its generic 422 only where an idempotency
key reused with another body gets one), which routes need no credentials or only the public key,
the schema of replies routes build themselves (/health), and the event types an endpoint may
subscribe to (`EventType`, for clients such as the dashboard; scripts/dashboard_types.py), and the
test values with the outcome each asks for (`TestValue`, its `examples` the table).

Query parameters declared as one model (`Annotated[OrderListQuery, Query()]`) are flattened by
Powertools into parameters with only a basic type; their schemas here come from the model itself
(bounds, lengths, enums, patterns), the same model that validates them, so the document and the
validation cannot disagree.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from api_routes.access import Access, Route
from gateway.catalog import EVENT_TYPES
from gateway.domain.test_values import TEST_VALUES
from gateway.models.ledger import BalanceTransaction
from gateway.models.operations import Health

QueryModels = dict[tuple[str, str], type[BaseModel]]

ENVELOPE = "#/components/schemas/ErrorEnvelope"
ERROR_ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "description"],
            "additionalProperties": False,
            "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
        }
    },
}
EVENT_TYPE_SCHEMA = {
    "title": "EventType",
    "description": "An event an endpoint may subscribe to (`enabled_events` also takes a family, `payment.*`, or `*`)",
    "type": "string",
    "enum": list(EVENT_TYPES),
}
TEST_VALUE_SCHEMA = {
    "title": "TestValue",
    "description": "In test mode, a UPI address (`vpa`) or card number that decides its payment's outcome"
    " (any expiry in the future, any CVV); outside test mode an ordinary value. The examples are every test value.",
    "type": "object",
    "required": ["value", "method", "status", "error_code", "error_description"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "string", "description": "the `vpa`, or the card's `number`"},
        "method": {"type": "string", "enum": ["upi", "card"]},
        "status": {"type": "string", "enum": ["success", "failed"]},
        "error_code": {"type": ["string", "null"]},
        "error_description": {"type": ["string", "null"]},
    },
    "examples": [
        {
            "value": value.value,
            "method": value.method,
            "status": value.status,
            "error_code": value.error_code,
            "error_description": value.error_description,
        }
        for value in TEST_VALUES
    ],
}
IDEMPOTENT_CREATES = {
    ("post", "/api/v1/orders"),
    ("post", "/api/v1/payments"),
    ("post", "/api/v1/payments/public"),
    ("post", "/api/v1/payments/{payment_id}/refunds"),
    ("post", "/api/v1/payment_links"),
}
# Changes of an object's state that its current state may not allow (409 INVALID_STATE).
STATE_CHANGES = {
    ("post", "/api/v1/disputes/{dispute_id}/accept"),
    ("post", "/api/v1/disputes/{dispute_id}/contest"),
    ("post", "/api/v1/disputes/{dispute_id}/documents"),
    ("post", "/api/v1/test/disputes/{dispute_id}/resolve"),
}
_INVALID_STATE = "The object's state does not allow this change; the description names its state (INVALID_STATE)"
_ERRORS = {
    "400": "Malformed or invalid request (BAD_REQUEST_ERROR, INVALID_VPA, INVALID_CARD, EXPIRED_CARD, ...)",
    "401": "Missing or invalid credentials (AUTHENTICATION_ERROR)",
    "404": "No such object for this merchant, or no such route (NOT_FOUND_ERROR)",
    "409": "A request with this Idempotency-Key is still in progress (IDEMPOTENCY_KEY_IN_PROGRESS), or a"
    " payment link's reference_id is taken (CONFLICT_ERROR)",
    "413": "Request body too large",
    "415": "Request body not declared as JSON: another Content-Type, or none (UNSUPPORTED_MEDIA_TYPE)",
    "422": "Idempotency-Key already used with a different request (IDEMPOTENCY_KEY_REUSED)",
    "429": "Past the caller's request budget, the merchant's redelivery budget, or a sign-in lockout (RATE_LIMITED);"
    " see Retry-After",
    "503": "A dependency (database, queue) is unavailable, or the database is resuming; see Retry-After",
}


def _error(status: str, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or _ERRORS[status],
        "content": {"application/json": {"schema": {"$ref": ENVELOPE}}},
    }


def query_models(routes: Iterable[Any]) -> QueryModels:
    """(method, OpenAPI path) -> the model a route's query parameters are validated by."""
    found: QueryModels = {}
    for route in routes:
        for hint in typing.get_type_hints(route.func, include_extras=True).values():
            if typing.get_origin(hint) is not typing.Annotated:
                continue
            model, *metadata = typing.get_args(hint)
            if isinstance(model, type) and issubclass(model, BaseModel) and any(isinstance(m, Query) for m in metadata):
                found[(route.method.lower(), re.sub(r"<(\w+)>", r"{\1}", route.path))] = model
    return found


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field's schema as a query parameter's: absent is how a query says null."""
    if "anyOf" not in schema:
        return schema
    branches = [branch for branch in schema["anyOf"] if branch != {"type": "null"}]
    merged = {
        key: value for key, value in schema.items() if key != "anyOf" and not (key == "default" and value is None)
    }
    if len(branches) == 1:
        merged.update(branches[0])
    else:
        merged["anyOf"] = branches
    return merged


def _describe_query(operation: dict[str, Any], model: type[BaseModel]) -> None:
    properties = model.model_json_schema(by_alias=True, mode="validation").get("properties", {})
    for parameter in operation.get("parameters", []):
        schema = properties.get(parameter["name"]) if parameter.get("in") == "query" else None
        if schema is None:
            continue
        schema = _without_null(schema)
        schema.pop("title", None)
        description = schema.pop("description", None)
        if description:
            parameter["description"] = description
        parameter["schema"] = schema
    rules = [
        "`offset` and `starting_after` are alternatives (not both)",
        "a time range's start may not be after its end",
        "`starting_after` must name an object of this list",
    ]
    operation.setdefault("description", "Also refused (400): " + "; ".join(rules) + ".")


def describe(generated: str, queries: QueryModels | None = None, routes: list[Route] | None = None) -> dict[str, Any]:
    """The generated document, with what Powertools cannot know: each operation's error statuses and
    security as its route's access says (api_routes/access.py), the list queries' constraints."""
    access = {(route.method.lower(), route.document_path): route.access for route in routes or []}
    document: dict[str, Any] = json.loads(generated)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["ErrorEnvelope"] = ERROR_ENVELOPE_SCHEMA
    schemas["Health"] = Health.model_json_schema()
    schemas["EventType"] = EVENT_TYPE_SCHEMA
    schemas["TestValue"] = TEST_VALUE_SCHEMA
    # A list's rows are typed as plain objects (the Page envelope); an entry has no route of its own
    # that would put its schema in the document, and the dashboard's Balance page types its rows by it.
    schemas["BalanceTransaction"] = BalanceTransaction.model_json_schema(mode="serialization")
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if queries and (method, path) in queries:
                _describe_query(operation, queries[(method, path)])
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            if "204" in responses:  # no body (Powertools documents every answer as JSON)
                responses["204"].pop("content", None)
            who = access.get((method, path), Access.PRIVATE)
            credentials = who in (Access.PRIVATE, Access.LOCAL_PRIVATE, Access.PUBLISHABLE_KEY, Access.SIGN_IN)
            budgeted = credentials or who is Access.PAYMENT_LINK
            statuses = ["400", "404", "503"] + (["401"] if credentials else []) + (["429"] if budgeted else [])
            if method in ("post", "put", "patch"):
                statuses += ["413", "415"]
            if (method, path) in IDEMPOTENT_CREATES:
                statuses += ["409", "422"]
            for status in statuses:
                responses.setdefault(status, _error(status))
            if (method, path) in STATE_CHANGES:
                responses.setdefault("409", _error("409", _INVALID_STATE))
            if who in (Access.NONE, Access.LOCAL_ONLY, Access.SIGN_IN, Access.PAYMENT_LINK):
                operation["security"] = []
            elif who is Access.PUBLISHABLE_KEY:
                operation["security"] = [{"apiKey": []}]
    health = document["paths"]["/health"]["get"]["responses"]
    for status, description in (("200", "Healthy"), ("503", "Unhealthy: a dependency is down")):
        health[status] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
        }
    return document


def documented(status: int, model: type[BaseModel], description: str) -> dict[int, OpenAPIResponse]:
    """OpenAPI metadata for routes that build their own Response (replayable or shaped bodies)."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}
