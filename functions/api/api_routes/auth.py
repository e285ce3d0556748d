"""Merchant authentication from the request headers, and the caller's request budget."""

from __future__ import annotations

from contextvars import ContextVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.viewer import viewer_address
from gateway.adapters import tracing
from gateway.domain import merchants, rate_limits
from gateway.domain.merchants import Merchant

logger = Logger(service="api")  # the API handler's logger: its keys are on every line it writes

# The budget the authenticated request left, for the RateLimit-* headers of its reply.
_budget: ContextVar[rate_limits.Budget | None] = ContextVar("budget", default=None)


def current_merchant(router: APIGatewayHttpRouter) -> Merchant:
    """Private API: key and secret (merchant servers) or a dashboard session (Bearer token); the
    request is counted against that credential's read or write budget (429 once it is spent)."""
    event = router.current_event
    kind = rate_limits.kind_of(event.http_method)
    authorization = event.headers.get("authorization") or ""
    if authorization.lower().startswith("bearer "):
        merchant, budget = merchants.authenticate_session(authorization[7:].strip(), kind)
    else:
        merchant, budget = merchants.authenticate(
            event.headers.get("x-api-key"), event.headers.get("x-api-secret"), kind
        )
    _budget.set(budget)
    _identify(merchant)
    return merchant


def checkout_merchant(router: APIGatewayHttpRouter) -> Merchant:
    """Public checkout endpoints: the public key only, counted against the key's checkout budget and
    the caller address's (429 once either is spent)."""
    event = router.current_event
    address = viewer_address(event.headers, event.request_context.http.source_ip)
    merchant, budget = merchants.authenticate_public(
        event.headers.get("x-api-key"), address, rate_limits.kind_of(event.http_method)
    )
    _budget.set(budget)
    _identify(merchant)
    return merchant


def _identify(merchant: Merchant) -> None:
    logger.append_keys(merchant_id=merchant.id)  # on every later line of this request
    tracing.annotate(merchant_id=merchant.id)


def rate_limit_headers() -> dict[str, str]:
    """RateLimit-* for the current reply (none for routes that did not authenticate); forgets them."""
    budget = _budget.get()
    _budget.set(None)
    return budget.headers() if budget else {}
