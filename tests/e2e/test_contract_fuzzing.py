"""Contract fuzzing: schemathesis generates requests from the served OpenAPI document (valid and
invalid ones) and sends them to a running local stack with the test merchant's credentials. Every
answer must be: not a 5xx, a status the document lists for that operation, and a body matching the
schema it documents for that status. Totals are printed at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e_support import LocalStack, running_stack
from tests.support import AUTH

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 90
# Operations fuzzed apart, as a throwaway merchant signed in to the dashboard (see the second test):
# those that set a webhook URL (the test merchant's events would then go to whatever host was
# generated) and rolling the API secret (every later key-and-secret request would be refused).
EXCLUDED = {
    ("PUT", "/api/v1/merchant/webhook"),
    ("POST", "/api/v1/webhook_endpoints"),
    ("PATCH", "/api/v1/webhook_endpoints/{endpoint_id}"),
    ("POST", "/api/v1/merchant/credentials/rotate"),
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(Path(tmp_path_factory.mktemp("fuzz")), {}) as stack:
        # The fuzzer sends faster than the default budget; 429s would hide what it came to find.
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            conn.execute("UPDATE merchants SET rate_limit_reads = 1000000, rate_limit_writes = 1000000")
        yield stack


def test_every_answer_is_documented_and_never_a_server_error(fuzz_stack: LocalStack) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_stack.url}/api/v1/openapi.json")
    headers = {"X-Api-Key": AUTH["x-api-key"], "X-Api-Secret": AUTH["x-api-secret"]}
    sent: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzed = [op for op in operations if (op.method.upper(), op.path) not in EXCLUDED]
    assert len(fuzzed) == len(operations) - len(EXCLUDED)

    total = _fuzz(fuzz_stack, fuzzed, headers, sent, failures)
    print(f"\ncontract fuzzing: {len(fuzzed)} operations, {total} requests; status codes: {dict(sorted(sent.items()))}")
    assert failures == []
    assert total >= 2000
    assert httpx.get(f"{fuzz_stack.url}/health", timeout=5).status_code == 200


def test_url_setters_and_secret_rotation_fuzzed_as_a_throwaway_merchant(fuzz_stack: LocalStack) -> None:
    """The operations the first test leaves out, as a merchant of their own that has no payments (so
    no event is ever delivered to a generated URL: nothing leaves this machine) and that signs in to
    the dashboard: a Bearer session survives the rotations of its API secret."""
    from gateway.adapters.passwords import hash_password

    with psycopg.connect(fuzz_stack.database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO merchants (name, email, api_key, api_secret_hash, api_secret_hint, webhook_secret,"
            " password_hash, rate_limit_reads, rate_limit_writes)"
            " VALUES ('Throwaway', 'throwaway@fuzz.test', 'key_fuzz_throwaway', 'x', 'x', 'whsec_ZnV6eg==', %s,"
            " 1000000, 1000000)",
            (hash_password("throwaway password"),),
        )
        # The first test's generated sign-ins have locked this machine's address out.
        conn.execute("DELETE FROM sign_in_failures")
    login = httpx.post(
        f"{fuzz_stack.url}/api/v1/auth/login",
        json={"email": "throwaway@fuzz.test", "password": "throwaway password"},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    schema = schemathesis.openapi.from_url(f"{fuzz_stack.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    chosen = [op for op in operations if (op.method.upper(), op.path) in EXCLUDED]
    assert len(chosen) == len(EXCLUDED)
    sent: Counter[int] = Counter()
    failures: list[str] = []
    total = _fuzz(fuzz_stack, chosen, headers, sent, failures)
    print(
        f"\nthrowaway merchant: {len(chosen)} operations, {total} requests; status codes: {dict(sorted(sent.items()))}"
    )
    assert failures == []
    assert sent[200] + sent[201] > 0, "no generated request was valid: the operations were not exercised"
    with psycopg.connect(fuzz_stack.database_url, autocommit=True) as conn:
        deliveries = conn.execute(
            "SELECT count(*) FROM webhook_logs l JOIN merchants m ON m.id = l.merchant_id WHERE m.email = %s",
            ("throwaway@fuzz.test",),
        ).fetchone()
    assert deliveries == (0,)


def _fuzz(
    stack: LocalStack, operations: list[Any], headers: dict[str, str], sent: Counter[int], failures: list[str]
) -> int:
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: Any) -> None:
            try:
                response = case.call_and_validate(base_url=stack.url, headers=headers, checks=CHECKS, timeout=10)
            except (Exception, BaseExceptionGroup) as failure:  # collected: none stops the run
                failures.append(f"{case.method} {case.formatted_path}: {str(failure)[:400]}")
                status = getattr(getattr(failure, "response", None), "status_code", 0)
                sent[status] += 1
                return
            sent[response.status_code] += 1

        call()

    return sum(sent.values())
