"""Rules the database enforces, so concurrent requests cannot both pass a check (issue 25, item 7)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from gateway.adapters.postgres import transaction
from gateway.domain import merchants, webhook_endpoints
from gateway.domain.merchant_identity import Merchant, merchant_in
from gateway.errors import BadRequest, MerchantExists
from gateway.models.merchants import CreateMerchantCommand
from gateway.models.webhooks import CreateWebhookEndpointRequest
from tests.support import TEST_MERCHANT_ID, Gateway


def test_forty_concurrent_endpoint_creations_make_at_most_sixteen(gateway: Gateway) -> None:
    merchant = _test_merchant()

    def create(n: int) -> str:
        request = CreateWebhookEndpointRequest(url=f"http://127.0.0.1:9/hooks/{n}")
        try:
            webhook_endpoints.create(merchant, request)
        except BadRequest:
            return "refused"
        return "created"

    # When 40 creations race for one merchant
    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(create, range(40)))
    # Then the database let exactly the cap through, and refused the rest in the envelope's terms
    live = gateway.rows("SELECT count(*) AS n FROM webhook_endpoints WHERE deleted_at IS NULL AND NOT is_default")[0][
        "n"
    ]
    assert live == webhook_endpoints.MAX_ENDPOINTS, outcomes
    assert outcomes.count("created") == webhook_endpoints.MAX_ENDPOINTS
    assert outcomes.count("refused") == 40 - webhook_endpoints.MAX_ENDPOINTS


def test_a_deleted_endpoint_frees_its_place(gateway: Gateway) -> None:
    merchant = _test_merchant()
    made = [
        webhook_endpoints.create(merchant, CreateWebhookEndpointRequest(url=f"http://127.0.0.1:9/{n}"))
        for n in range(webhook_endpoints.MAX_ENDPOINTS)
    ]
    webhook_endpoints.delete(merchant, made[0].id)
    assert webhook_endpoints.create(merchant, CreateWebhookEndpointRequest(url="http://127.0.0.1:9/again")).id


def test_two_onboardings_of_one_email_in_different_cases_make_one_merchant(gateway: Gateway) -> None:
    def onboard(email: str) -> str:
        command = CreateMerchantCommand(
            action="create_merchant", name="Case Shop", email=email, password="correct horse battery"
        )
        try:
            merchants.create_merchant(command)
        except MerchantExists:
            return "exists"
        return "created"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(onboard, ["Case@Shop.test", "case@shop.test", "CASE@shop.TEST", "case@SHOP.test"]))
    assert sorted(outcomes) == ["created", "exists", "exists", "exists"]
    rows = gateway.rows("SELECT email FROM merchants WHERE lower(email) = 'case@shop.test'")
    assert len(rows) == 1


def _test_merchant() -> Merchant:
    with transaction() as tx:
        return merchant_in(tx, TEST_MERCHANT_ID)


def test_the_database_itself_refuses_a_second_merchant_for_an_email_in_another_case(gateway: Gateway) -> None:
    # Whatever code path writes it, not only the onboarding's own check
    insert = (
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, api_secret_hint, webhook_secret)"
        " VALUES ('Shop', %s, %s, 'x', 'x', 'whsec_eA==')"
    )
    gateway.execute(insert, ("Direct@Shop.test", "key_direct_1"))
    with pytest.raises(psycopg.errors.UniqueViolation):
        gateway.execute(insert, ("direct@shop.test", "key_direct_2"))
