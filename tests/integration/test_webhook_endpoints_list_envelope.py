"""One list shape everywhere (issue 25, item 12): every GET list route in the OpenAPI document is
documented as the `Page` envelope and answers it, `GET /api/v1/webhook_endpoints` included (it
answered a bare array). Through the real API handler and Postgres."""

from __future__ import annotations

from typing import Any

from tests.support import Gateway

ENVELOPE = {"data", "total", "total_capped", "limit", "offset", "has_more"}
PAGE_REF = "#/components/schemas/Page"


def _answer_schema(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    return dict(content.get("application/json", {}).get("schema", {}))


def _is_list(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "array" or schema.get("$ref") == PAGE_REF


def test_every_list_route_in_the_openapi_document_answers_the_envelope(gateway: Gateway, receiver: Any) -> None:
    document = gateway.api("GET", "/api/v1/openapi.json").json
    assert set(document["components"]["schemas"]["Page"]["properties"]) == ENVELOPE
    # Something in every list: a captured payment (in the books, settled) with a refund, an endpoint.
    assert gateway.api("POST", "/api/v1/webhook_endpoints", {"url": receiver.url}).status == 201
    payment = gateway.create_payment(gateway.create_order()["id"])
    assert gateway.process_payment_jobs() == 1
    capture = {"amount": payment["amount"]}
    assert gateway.api("POST", f"/api/v1/payments/{payment['id']}/capture", capture).status == 200
    assert gateway.api("POST", "/api/v1/test/settlements/run").status == 200  # a settlement to list
    assert gateway.api("POST", f"/api/v1/payments/{payment['id']}/refunds", {"amount": 100}).status == 201
    window = {"type": "payments", "from": "2000-01-01", "to": "2000-02-01"}
    assert gateway.api("POST", "/api/v1/reports", window).status == 202  # a report to list
    assert gateway.api("POST", "/api/v1/payment_links", {"amount": 10_000}).status == 201  # a link to list
    dispute = gateway.api("POST", f"/api/v1/test/payments/{payment['id']}/dispute", {"reason": "general"})
    assert dispute.status in (200, 201), dispute.body  # a dispute to list
    path_values = {"payment_id": payment["id"]}

    lists = []
    for path, operations in document["paths"].items():
        if "get" not in operations or not _is_list(schema := _answer_schema(operations["get"])):
            continue
        lists.append(path)
        assert schema == {"$ref": PAGE_REF}, f"GET {path} is documented as {schema}, not the list envelope"
        reply = gateway.api("GET", path.format(**path_values))
        assert reply.status == 200, (path, reply.body)
        assert isinstance(reply.json, dict) and set(reply.json) == ENVELOPE, (path, reply.body[:200])
        assert isinstance(reply.json["data"], list) and len(reply.json["data"]) <= reply.json["limit"]
        assert reply.json["data"], f"GET {path}: nothing listed, the check means little"

    assert "/api/v1/webhook_endpoints" in lists
    # orders, payments, a payment's refunds, refunds, webhooks, events, endpoints, the books, settlements,
    # reports, payment links, disputes
    assert {"/api/v1/settlements", "/api/v1/reports", "/api/v1/payment_links", "/api/v1/disputes"} <= set(lists)
    assert len(lists) >= 12, lists


def test_the_endpoint_list_is_one_page_with_every_endpoint(gateway: Gateway, receiver: Any) -> None:
    created = [
        gateway.api("POST", "/api/v1/webhook_endpoints", {"url": f"{receiver.url}?n={n}"}).json["id"] for n in range(3)
    ]
    page = gateway.api("GET", "/api/v1/webhook_endpoints").json
    assert [endpoint["id"] for endpoint in page["data"]] == created
    assert "secret" not in page["data"][0]  # the list never shows secrets
    assert (page["total"], page["total_capped"], page["offset"], page["has_more"]) == (3, False, 0, False)
    assert page["limit"] == 16  # every endpoint a merchant may have fits one page
