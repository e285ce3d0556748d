"""What every request must be before routing: a Gateway-Version we have (when it names one), a
JSON body (when it has one, declared `Content-Type: application/json`) that is not nested absurdly
deep and holds no integer beyond 64 bits nor NaN/Infinity, and no text Postgres cannot store (NUL) or
UTF-8 cannot encode (an unpaired surrogate) anywhere in the path, query or body. Each is a 400 or 415
in the envelope; before, they surfaced as 500s from the JSON parser or the database.

The body is parsed here, once, by `loads` (integers bounded before they are converted: CPython's
int() of a 5,000-digit string raises ValueError, and its cost grows with the square of the length);
the resolver's `json_body_deserializer` is `parsed_body`, which hands routes that parse."""

from __future__ import annotations

import base64
import binascii
import json
from contextvars import ContextVar
from typing import Any
from urllib.parse import unquote

from api_routes import versions
from gateway.errors import BadRequest, GatewayError, UnsupportedMediaType

MAX_JSON_DEPTH = 32
# The widest integer any field holds: a signed 64-bit one (amounts are bounded far below it).
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1
_MAX_INTEGER_DIGITS = len(str(MAX_INTEGER))
_BODY_METHODS = {"POST", "PUT", "PATCH"}
JSON_MEDIA_TYPE = "application/json"

# The text of the current request's body and what it parsed to (one request at a time per context).
_parsed: ContextVar[tuple[str, Any] | None] = ContextVar("parsed_body", default=None)


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INTEGER_DIGITS:
        raise BadRequest("Request body contains an integer outside the signed 64-bit range")
    value = int(text)
    if not MIN_INTEGER <= value <= MAX_INTEGER:
        raise BadRequest("Request body contains an integer outside the signed 64-bit range")
    return value


def _no_constant(name: str) -> Any:
    raise BadRequest(f"Request body contains {name}, which is not JSON")


def loads(text: str) -> Any:
    """JSON as the API accepts it: ValueError (JSONDecodeError) when malformed, BadRequest when an
    integer is beyond 64 bits, a NaN/Infinity appears or it nests past the parser's recursion."""
    try:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError as exc:  # thousands of levels: the parser gives up before we could count
        raise BadRequest(f"Request body is nested deeper than {MAX_JSON_DEPTH} levels") from exc


def parsed_body(text: str) -> Any:
    """The resolver's JSON deserializer: the value `check` parsed for this body, else a bounded parse."""
    cached = _parsed.get()
    if cached is not None and cached[0] == text:
        return cached[1]
    return loads(text)


def is_json(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


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
    _parsed.set(None)
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
    if not body or method not in _BODY_METHODS:
        return
    # One rule, here and on AWS: a body is JSON, and says so. A body without a Content-Type is as
    # unreadable as one in any other type (415); a request without a body needs none.
    headers = event.get("headers") or {}
    content_type = headers.get("content-type") or ""
    if not is_json(content_type):
        raise UnsupportedMediaType("Request bodies must be JSON (Content-Type: application/json)")
    headers["content-type"] = content_type.strip().lower()  # media types ignore case; Powertools' check does not
    text = _decoded(body) if event.get("isBase64Encoded") else body
    try:
        parsed = loads(text)  # a BadRequest (a huge integer, NaN) goes straight out
    except ValueError:
        return  # the route's own parsing answers malformed JSON with its usual 400
    _check_json(parsed)
    _parsed.set((text, parsed))


def _decoded(body: str) -> str:
    """A body API Gateway handed over base64-encoded, as the text the route will read."""
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("Request body must be UTF-8 encoded JSON") from exc
