"""Authentication for every request, before routing: no route can forget it.

The route a request goes to says who may call it (api_routes/access.py: private unless listed):
the merchant's key and secret or a dashboard session, the publishable key, or nothing. It runs
before the route's input is validated, so a caller without credentials learns nothing of a route's
schema (401, not 400). The merchant is in the resolver's context for the route (`merchant_of`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.access import LOCAL_ACCESS, Access, Route, route_for
from api_routes.viewer import viewer_address
from gateway.adapters import tracing
from gateway.domain import merchants, rate_limits
from gateway.domain.merchant_identity import Merchant
from gateway.errors import NotFound
from gateway.settings import get_settings

logger = Logger(service="api")  # the API handler's logger: its keys are on every line it writes


class Caller(NamedTuple):
    merchant: Merchant
    budget: rate_limits.Budget  # what the request left of it: the reply's RateLimit-* headers


def authenticate(event: dict[str, Any], matched: list[Route]) -> Caller | None:
    """The caller, as the access of its route (among `matched`, the routes its path matches)
    requires; None: the route needs no credentials, or there is no such route and routing answers
    404/405. Raises AuthenticationFailed, RateLimited."""
    http = event.get("requestContext", {}).get("http", {})
    method = str(http.get("method", "")).upper()
    route = route_for(matched, method)
    if route is None:
        return None
    if route.access in LOCAL_ACCESS and not get_settings().test_routes_enabled:
        raise NotFound("No such route")
    if route.access in (Access.NONE, Access.LOCAL_ONLY, Access.SIGN_IN):
        return None
    headers = event.get("headers") or {}
    kind = rate_limits.kind_of(method)
    if route.access is Access.PUBLISHABLE_KEY:
        address = viewer_address(headers, str(http.get("sourceIp", "")))
        merchant, budget = merchants.authenticate_public(headers.get("x-api-key"), address, kind)
    elif route.access is Access.PAYMENT_LINK:
        address = viewer_address(headers, str(http.get("sourceIp", "")))
        found = route.rule.match(event.get("rawPath") or "")
        link_id = found.groupdict().get("payment_link_id", "") if found else ""
        merchant, budget = merchants.authenticate_payment_link(link_id, address, kind)
    else:
        authorization = headers.get("authorization") or ""
        if authorization.lower().startswith("bearer "):
            merchant, budget = merchants.authenticate_session(authorization[7:].strip(), kind)
        else:
            merchant, budget = merchants.authenticate(headers.get("x-api-key"), headers.get("x-api-secret"), kind)
    logger.append_keys(merchant_id=merchant.id)  # on every later line of this request
    tracing.annotate(merchant_id=merchant.id)
    return Caller(merchant, budget)


def merchant_of(router: APIGatewayHttpRouter) -> Merchant:
    """The caller of a private or checkout route (the handler put it in the resolver's context)."""
    merchant: Merchant = router.context["merchant"]
    return merchant
