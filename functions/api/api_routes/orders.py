"""/api/v1/orders"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.idempotent import idempotent_create
from api_routes.openapi import documented
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import payments
from gateway.models.base import Page
from gateway.models.orders import CreateOrderRequest, Order, OrderListQuery, PublicOrder

router = APIGatewayHttpRouter()


@router.post("/", status_code=201, responses=documented(201, Order, "Created"))
def create_order(body: CreateOrderRequest) -> Response[str]:
    merchant = merchant_of(router)
    return idempotent_create(router, merchant, lambda tx: payments.create_order(tx, merchant, body))


@router.get("/")
def list_orders(query: Annotated[OrderListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, OrderListQuery)
    return payments.list_orders(merchant_of(router), query)


@router.get("/<order_id>")
def get_order(order_id: str) -> Order:
    return payments.get_order(merchant_of(router), order_id)


@router.get("/<order_id>/public")
def get_public_order(order_id: str) -> PublicOrder:
    return payments.get_public_order(merchant_of(router), order_id)
