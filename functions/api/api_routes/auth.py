"""Merchant authentication from the request headers."""

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from gateway.domain import merchants
from gateway.domain.merchants import Merchant


def current_merchant(router: APIGatewayHttpRouter) -> Merchant:
    """Private API: key and secret (merchant servers) or a dashboard session (Bearer token)."""
    headers = router.current_event.headers
    authorization = headers.get("authorization") or ""
    if authorization.lower().startswith("bearer "):
        return merchants.authenticate_session(authorization[7:].strip())
    return merchants.authenticate(headers.get("x-api-key"), headers.get("x-api-secret"))


def checkout_merchant(router: APIGatewayHttpRouter) -> Merchant:
    """Public checkout endpoints: the public key only."""
    return merchants.authenticate_public(router.current_event.headers.get("x-api-key"))
