"""`make sam-local-env`: env.json points every function at what a container can reach on the host."""

from __future__ import annotations

import uuid

from devstack.sam_local import container_environment
from tests.support import TOPOLOGY


def test_every_function_gets_host_reachable_endpoints(aws_endpoint: str) -> None:
    stack = f"samlocal-{uuid.uuid4().hex[:6]}"
    database = "postgresql://postgres:postgres@host.docker.internal:5432/postgres"
    environment = container_environment(aws_endpoint, database, stack)

    assert set(environment) == set(TOPOLOGY.functions)
    for function_id, variables in environment.items():
        assert variables["DATABASE_URL"] == database, function_id
        assert variables["AWS_ENDPOINT_URL"].startswith("http://host.docker.internal:"), function_id
        assert not any("127.0.0.1" in value or "localhost" in value for value in variables.values()), function_id
        # Every variable the template declares is there, resolved (no CloudFormation left in it).
        assert set(TOPOLOGY.functions[function_id].environment) <= set(variables), function_id
        assert not any(value.startswith("{") for value in variables.values()), function_id
    queue_urls = [v for env in environment.values() for k, v in env.items() if k.endswith("_QUEUE_URL")]
    assert queue_urls and all(f"/{stack}-" in url for url in queue_urls)
