"""/api/v1/payments"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import current_merchant
from gateway.domain import payments
from gateway.models import CreatePaymentRequest

router = APIGatewayHttpRouter()


@router.post("/", status_code=201)
def create_payment(body: Annotated[CreatePaymentRequest, Body()]) -> dict[str, Any]:
    return payments.create_payment(current_merchant(router), body).public_dict()


@router.get("/<payment_id>")
def get_payment(payment_id: str) -> dict[str, Any]:
    return payments.get_payment(current_merchant(router), payment_id).public_dict()
