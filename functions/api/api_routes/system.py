"""Health and the local runtime's helper routes (api_routes/access.py hides them everywhere else)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from gateway.domain import health as health_checks
from gateway.domain import merchants
from gateway.models.merchants import TestMerchant
from gateway.models.operations import JobsStatus

router = APIGatewayHttpRouter()


@router.get("/health")
def health() -> Response[str]:
    report = health_checks.health()
    return Response(
        status_code=200 if report.status == "healthy" else 503,
        content_type=content_types.APPLICATION_JSON,
        body=report.model_dump_json(),
    )


@router.get("/api/v1/test/merchant")
def test_merchant() -> TestMerchant:
    return merchants.test_merchant()


@router.get("/api/v1/test/jobs/status")
def jobs_status() -> JobsStatus:
    return health_checks.jobs_status()
