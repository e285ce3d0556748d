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

from tests.e2e.conftest import LocalStack, running_stack
from tests.support import AUTH

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 90
# Operations left out: those that set a webhook URL (their generated URLs would send deliveries to
# arbitrary hosts) and rolling the API secret (every later request would be refused).
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

    for operation in fuzzed:

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
                response = case.call_and_validate(base_url=fuzz_stack.url, headers=headers, checks=CHECKS, timeout=10)
            except (Exception, BaseExceptionGroup) as failure:  # collected: none stops the run
                failures.append(f"{case.method} {case.formatted_path}: {str(failure)[:400]}")
                status = getattr(getattr(failure, "response", None), "status_code", 0)
                sent[status] += 1
                return
            sent[response.status_code] += 1

        call()

    total = sum(sent.values())
    print(f"\ncontract fuzzing: {len(fuzzed)} operations, {total} requests; status codes: {dict(sorted(sent.items()))}")
    assert failures == []
    assert total >= 2000
    assert httpx.get(f"{fuzz_stack.url}/health", timeout=5).status_code == 200
