"""Settlements: /api/v1/settlements, and in the local runtime /api/v1/test/settlements/run"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.openapi import documented
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import settlements
from gateway.models.base import Page
from gateway.models.settlements import Settlement, SettlementListQuery

router = APIGatewayHttpRouter()


@router.get("/settlements")
def list_settlements(query: Annotated[SettlementListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, SettlementListQuery)
    return settlements.list_settlements(merchant_of(router), query)


@router.get("/settlements/<settlement_id>")
def get_settlement(settlement_id: str) -> Settlement:
    return settlements.get_settlement(merchant_of(router), settlement_id)


@router.post(
    "/test/settlements/run",
    responses={
        **documented(200, Settlement, "Settled the caller's available balance now"),
        204: {"description": "Nothing to settle (none available, or a negative balance carried forward)"},
    },
)
def run_settlement() -> Response[str]:
    settled = settlements.settle(merchant_of(router).id)
    if settled is None:
        return Response(status_code=204, body="")
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=settled.model_dump_json())
