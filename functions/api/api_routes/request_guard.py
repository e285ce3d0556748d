"""What every request must be before routing: a Gateway-Version we have (when it names one), a
JSON body (when it has one) that is not nested absurdly deep, and no text Postgres cannot store
(NUL) or UTF-8 cannot encode (an unpaired surrogate) anywhere in the path, query or body. Each is a
400 or 415 in the envelope; before, they surfaced as 500s from the JSON parser or the database."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from api_routes import versions
from gateway.errors import BadRequest, GatewayError, UnsupportedMediaType

MAX_JSON_DEPTH = 32
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_json(value: Any, depth: int = 1) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(f"Request body is nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        if _bad_text(value):
            raise BadRequest("Request body contains a NUL character or an unpaired surrogate")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, depth)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


def check(event: dict[str, Any]) -> GatewayError | None:
    """The reason to refuse this request before it reaches a route, or None."""
    try:
        _check_request(event)
    except GatewayError as error:
        return error
    return None


def _check_request(event: dict[str, Any]) -> None:
    versions.requested(event)
    path = unquote(event.get("rawPath") or "")
    parameters = list((event.get("queryStringParameters") or {}).items())
    parameters += list((event.get("pathParameters") or {}).items())
    if _bad_text(path) or any(_bad_text(unquote(str(k))) or _bad_text(str(v)) for k, v in parameters):
        raise BadRequest("The path or a query parameter contains a NUL character or an unpaired surrogate")
    body = event.get("body")
    method = event.get("requestContext", {}).get("http", {}).get("method", "")
    if not body or method not in _BODY_METHODS or event.get("isBase64Encoded"):
        return
    content_type = (event.get("headers") or {}).get("content-type", "application/json")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("Request bodies must be JSON (Content-Type: application/json)")
    try:
        parsed = json.loads(body)
    except RecursionError as exc:  # thousands of levels: the parser gives up before we could count
        raise BadRequest(f"Request body is nested deeper than {MAX_JSON_DEPTH} levels") from exc
    except ValueError:
        return  # the route's own parsing answers malformed JSON with its usual 400
    _check_json(parsed)
