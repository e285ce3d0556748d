"""/api/v1/events: every business event of the last 30 days, and redelivery of one to the endpoint."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import events
from gateway.models.base import Page
from gateway.models.events import EventDetail, EventListQuery, EventRedelivery

router = APIGatewayHttpRouter()


@router.get("/")
def list_events(query: Annotated[EventListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, EventListQuery)
    return events.list_events(merchant_of(router), query)


@router.get("/<event_id>")
def get_event(event_id: str) -> EventDetail:
    return events.get_event(merchant_of(router), event_id)


@router.post("/<event_id>/redeliver", status_code=202)
def redeliver_event(event_id: str) -> EventRedelivery:
    return events.redeliver(merchant_of(router), event_id)
