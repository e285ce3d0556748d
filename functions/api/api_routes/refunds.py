"""Refunds: /api/v1/payments/{id}/refunds and /api/v1/refunds"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.idempotent import idempotent_create
from api_routes.openapi import documented
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import refunds
from gateway.models.base import Page
from gateway.models.refunds import CreateRefundRequest, Refund, RefundListQuery

router = APIGatewayHttpRouter()


@router.post("/payments/<payment_id>/refunds", status_code=201, responses=documented(201, Refund, "Created (pending)"))
def create_refund(payment_id: str, body: CreateRefundRequest) -> Response[str]:
    merchant = merchant_of(router)
    return idempotent_create(
        router, merchant, lambda tx: refunds.create_refund(tx, merchant, payment_id, body), "RefundsCreated"
    )


@router.get("/payments/<payment_id>/refunds")
def refunds_of_payment(payment_id: str) -> Page:
    return refunds.refunds_of_payment(merchant_of(router), payment_id)


@router.get("/refunds")
def list_refunds(query: Annotated[RefundListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, RefundListQuery)
    return refunds.list_refunds(merchant_of(router), query)


@router.get("/refunds/<refund_id>")
def get_refund(refund_id: str) -> Refund:
    return refunds.get_refund(merchant_of(router), refund_id)
