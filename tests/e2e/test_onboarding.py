"""Merchant onboarding against the running local stack, with the same command as in AWS:
scripts/create-merchant, through the stack's Lambda Invoke API, then the new merchant's own calls."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.e2e_support import LocalStack, create_merchant

pytestmark = pytest.mark.e2e


def test_a_merchant_created_with_the_cli_takes_payments_and_signs_in(local_stack: LocalStack) -> None:
    email = f"owner-{uuid.uuid4().hex[:6]}@shop.test"
    created = create_merchant(local_stack, email, "a long dashboard password")
    assert created.returncode == 0, created.stderr
    merchant = json.loads(created.stdout)
    assert merchant["email"] == email and "a long dashboard password" not in created.stdout + created.stderr

    api = httpx.Client(
        base_url=local_stack.url,
        headers={"X-Api-Key": merchant["api_key"], "X-Api-Secret": merchant["api_secret"]},
        timeout=10,
    )
    order = api.post("/api/v1/orders", json={"amount": 25_000})
    assert order.status_code == 201 and order.json()["merchant_id"] == merchant["id"]
    login = httpx.post(
        f"{local_stack.url}/api/v1/auth/login", json={"email": email, "password": "a long dashboard password"}
    )
    assert login.status_code == 200 and login.json()["merchant"]["api_key"] == merchant["api_key"]

    # The same email again is refused, with a clear message and a failing exit code.
    again = create_merchant(local_stack, email.upper(), "another long password")
    assert again.returncode == 1 and "MERCHANT_EXISTS" in again.stderr


def test_the_lambda_api_answers_unknown_functions_as_aws_does(local_stack: LocalStack) -> None:
    reply = httpx.post(f"{local_stack.lambda_endpoint}/2015-03-31/functions/NoSuchFunction/invocations", json={})
    assert reply.status_code == 404
    assert reply.headers["x-amzn-errortype"] == "ResourceNotFoundException"
