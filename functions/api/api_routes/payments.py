"""/api/v1/payments"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.idempotent import idempotent_create
from api_routes.openapi import documented
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import payments
from gateway.models.base import Page
from gateway.models.payments import CaptureRequest, CreatePaymentRequest, Payment, PaymentListQuery, PublicPayment

router = APIGatewayHttpRouter()

_CREATED_PAYMENT = documented(201, Payment, "Created (pending)")


@router.post("/", status_code=201, responses=_CREATED_PAYMENT)
def create_payment(body: Annotated[CreatePaymentRequest, Body()]) -> Response[str]:
    merchant = merchant_of(router)
    return idempotent_create(
        router,
        merchant,
        lambda tx: payments.create_payment(tx, merchant, body),
        "PaymentsCreated",
        {"method": body.method},
    )


@router.post(
    "/public",
    status_code=201,
    responses=documented(201, PublicPayment, "Created (pending)"),
)
def create_public_payment(body: Annotated[CreatePaymentRequest, Body()]) -> Response[str]:
    merchant = merchant_of(router)
    return idempotent_create(
        router,
        merchant,
        lambda tx: payments.create_payment(tx, merchant, body, public=True),
        "PaymentsCreated",
        {"method": body.method},
    )


@router.get("/")
def list_payments(query: Annotated[PaymentListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, PaymentListQuery)
    return payments.list_payments(merchant_of(router), query)


@router.get(
    "/<payment_id>",
    responses=documented(200, Payment, "The payment"),
)
def get_payment(payment_id: str) -> dict[str, Any]:
    return payments.get_payment(merchant_of(router), payment_id).public_dict()


@router.get("/<payment_id>/public")
def get_public_payment(payment_id: str) -> PublicPayment:
    payment = payments.get_payment(merchant_of(router), payment_id)
    return payments.public_payment(payment)


@router.post(
    "/<payment_id>/capture",
    responses=documented(200, Payment, "Captured"),
)
def capture_payment(payment_id: str, body: CaptureRequest) -> dict[str, Any]:
    return payments.capture_payment(merchant_of(router), payment_id, body).public_dict()
