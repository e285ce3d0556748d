"""The merchant-facing API Lambda: wiring only (routes live in `api_routes`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from api_routes import errors, merchant, orders, payments, system

logger = Logger(service="api")

app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(system.router)
app.include_router(orders.router, prefix="/api/v1/orders")
app.include_router(payments.router, prefix="/api/v1/payments")
app.include_router(merchant.router, prefix="/api/v1/merchant")
errors.register(app, logger)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
