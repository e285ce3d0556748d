"""/api/v1/payment_links, the shopper's view of one on its link scope (no credentials), and in the
local runtime /api/v1/test/payment_links/{id}/expire"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.idempotent import idempotent_create
from api_routes.openapi import documented
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import payment_links
from gateway.models.base import Page
from gateway.models.payment_links import (
    CreatePaymentLinkRequest,
    PaymentLink,
    PaymentLinkListQuery,
    PublicPaymentLink,
    PublicPaymentLinkQuery,
)

router = APIGatewayHttpRouter()
test_router = APIGatewayHttpRouter()  # /api/v1/test/payment_links: the local runtime only


@router.post("/", status_code=201, responses=documented(201, PaymentLink, "Created"))
def create_payment_link(body: CreatePaymentLinkRequest) -> Response[str]:
    merchant = merchant_of(router)
    return idempotent_create(router, merchant, lambda tx: payment_links.create_link(tx, merchant, body))


@router.get("/")
def list_payment_links(query: Annotated[PaymentLinkListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, PaymentLinkListQuery)
    return payment_links.list_links(merchant_of(router), query)


@router.get("/<payment_link_id>")
def get_payment_link(payment_link_id: str) -> PaymentLink:
    return payment_links.get_link(merchant_of(router), payment_link_id)


@router.post("/<payment_link_id>/cancel")
def cancel_payment_link(payment_link_id: str) -> PaymentLink:
    return payment_links.cancel(merchant_of(router), payment_link_id)


@router.get("/<payment_link_id>/public")
def get_public_payment_link(
    payment_link_id: str, query: Annotated[PublicPaymentLinkQuery, Query()]
) -> PublicPaymentLink:
    reject_unknown_query_parameters(router, PublicPaymentLinkQuery)
    return payment_links.public_link(merchant_of(router), payment_link_id, query.payment_id)


@test_router.post("/<payment_link_id>/expire")
def expire_payment_link(payment_link_id: str) -> PaymentLink:
    """Its expire_by is now: the link expires as its schedule would expire it (payment_link.expired)."""
    return payment_links.expire_now(merchant_of(test_router), payment_link_id)
