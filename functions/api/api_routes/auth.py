"""Merchant authentication from the request headers."""

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from gateway.domain import merchants
from gateway.domain.merchants import Merchant


def current_merchant(router: APIGatewayHttpRouter) -> Merchant:
    headers = router.current_event.headers
    return merchants.authenticate(headers.get("x-api-key"), headers.get("x-api-secret"))
