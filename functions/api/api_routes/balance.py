"""The books: /api/v1/balance and /api/v1/balance_transactions"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import ledger
from gateway.models.base import Page
from gateway.models.ledger import Balance, BalanceTransactionListQuery

router = APIGatewayHttpRouter()


@router.get("/balance")
def get_balance() -> Balance:
    return ledger.balance(merchant_of(router))


@router.get("/balance_transactions")
def list_balance_transactions(query: Annotated[BalanceTransactionListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, BalanceTransactionListQuery)
    return ledger.list_balance_transactions(merchant_of(router), query)
