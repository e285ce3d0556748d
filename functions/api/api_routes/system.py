"""Health and the local/test helper routes."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from gateway.domain import merchants, operations
from gateway.errors import NotFound
from gateway.models import JobsStatus, TestMerchant
from gateway.settings import get_settings

router = APIGatewayHttpRouter()


@router.get("/health")
def health() -> Response[str]:
    report = operations.health()
    return Response(
        status_code=200 if report.status == "healthy" else 503,
        content_type=content_types.APPLICATION_JSON,
        body=report.model_dump_json(),
    )


def _require_test_routes() -> None:
    if not get_settings().test_routes_enabled:
        raise NotFound("No such route")


@router.get("/api/v1/test/merchant")
def test_merchant() -> TestMerchant:
    _require_test_routes()
    return merchants.test_merchant()


@router.get("/api/v1/test/jobs/status")
def jobs_status() -> JobsStatus:
    _require_test_routes()
    return operations.jobs_status()
