"""Reports: /api/v1/reports (a CSV of payments, refunds, the books or settlements, made in the background)"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.idempotent import idempotent_create
from api_routes.openapi import documented
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import reports
from gateway.models.base import Page
from gateway.models.reports import CreateReportRequest, Report, ReportListQuery

router = APIGatewayHttpRouter()


@router.post(
    "/reports",
    status_code=202,
    responses=documented(202, Report, "Accepted (pending): the file is written in the background"),
)
def create_report(body: CreateReportRequest) -> Response[str]:
    merchant = merchant_of(router)
    return idempotent_create(router, merchant, lambda tx: reports.create_report(tx, merchant, body), status=202)


@router.get("/reports")
def list_reports(query: Annotated[ReportListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, ReportListQuery)
    return reports.list_reports(merchant_of(router), query)


@router.get("/reports/<report_id>")
def get_report(report_id: str) -> Report:
    return reports.get_report(merchant_of(router), report_id)
