"""/api/v1/orders"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import current_merchant
from gateway.domain import payments
from gateway.models import CreateOrderRequest, Order

router = APIGatewayHttpRouter()


@router.post("/", status_code=201)
def create_order(body: CreateOrderRequest) -> Order:
    return payments.create_order(current_merchant(router), body)


@router.get("/<order_id>")
def get_order(order_id: str) -> Order:
    return payments.get_order(current_merchant(router), order_id)
