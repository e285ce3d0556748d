"""Disputes: /api/v1/disputes, and in the local runtime /api/v1/test/payments/{id}/dispute and
/api/v1/test/disputes/{id}/resolve (the card network's part, simulated)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from api_routes.auth import merchant_of
from api_routes.queries import reject_unknown_query_parameters
from gateway.domain import disputes
from gateway.models.base import Page
from gateway.models.disputes import (
    ContestDisputeRequest,
    CreateDocumentRequest,
    Dispute,
    DisputeDocument,
    DisputeListQuery,
    OpenDisputeRequest,
    ResolveDisputeRequest,
)

router = APIGatewayHttpRouter()


@router.get("/disputes")
def list_disputes(query: Annotated[DisputeListQuery, Query()]) -> Page:
    reject_unknown_query_parameters(router, DisputeListQuery)
    return disputes.list_disputes(merchant_of(router), query)


@router.get("/disputes/<dispute_id>")
def get_dispute(dispute_id: str) -> Dispute:
    return disputes.get_dispute(merchant_of(router), dispute_id)


@router.post("/disputes/<dispute_id>/accept")
def accept_dispute(dispute_id: str) -> Dispute:
    return disputes.accept(merchant_of(router), dispute_id)


@router.post("/disputes/<dispute_id>/contest")
def contest_dispute(dispute_id: str, body: ContestDisputeRequest) -> Dispute:
    return disputes.contest(merchant_of(router), dispute_id, body)


@router.post("/disputes/<dispute_id>/documents", status_code=201)
def add_document(dispute_id: str, body: CreateDocumentRequest) -> DisputeDocument:
    return disputes.add_document(merchant_of(router), dispute_id, body)


@router.post("/test/payments/<payment_id>/dispute", status_code=201)
def open_dispute(payment_id: str, body: OpenDisputeRequest) -> Dispute:
    return disputes.open_dispute(merchant_of(router), payment_id, body)


@router.post("/test/disputes/<dispute_id>/resolve")
def resolve_dispute(dispute_id: str, body: ResolveDisputeRequest) -> Dispute:
    return disputes.resolve(merchant_of(router), dispute_id, body.outcome)
