"""`python -m devstack.sam_local` (make sam-local-env): the `--env-vars` file for `sam local`.

`sam local start-api` and `sam local invoke` run each function in a Docker container with the
template's environment, whose references (queue URLs, the schedule group, the database secret)
mean nothing outside AWS. This writes env.json: for every function, the environment the local
runtime would give it, with the database, the SQS/Scheduler endpoint and the queue URLs addressed
as containers reach the host (host.docker.internal). The queues, buckets and schedule group are created on
the endpoint (idempotently, with the names `make dev` uses), so `make dev`'s consumers, or
LocalStack's, see what the containers send.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from devstack import emulator
from devstack.runtime import ROOT, LocalRuntime, RuntimeOptions, stack_name_for

CONTAINER_HOST = "host.docker.internal"


def container_environment(
    endpoint_url: str, database_url: str, stack_name: str, host: str = CONTAINER_HOST
) -> dict[str, dict[str, str]]:
    """Each function's environment, as containers on this machine must see it."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    emulator.set_local_credentials()
    runtime = LocalRuntime(RuntimeOptions(stack_name=stack_name), log=lambda _: None)
    queues = emulator.create_queues(runtime.topology, stack_name)
    runtime.database_url, runtime.endpoint_url = database_url, endpoint_url
    buckets = emulator.create_buckets(runtime.topology, stack_name)
    runtime.resolve_environment(queues, buckets)

    def for_container(value: str) -> str:
        return value.replace("127.0.0.1", host).replace("localhost", host)

    return {
        function_id: {key: for_container(value) for key, value in environment.items()}
        for function_id, environment in runtime.function_environment.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        help="the SQS/Scheduler endpoint as this machine reaches it (make dev's, or LocalStack's)",
    )
    parser.add_argument(
        "--database-url",
        default=f"postgresql://postgres:postgres@{CONTAINER_HOST}:5432/postgres",
        help="a Postgres containers can reach over TCP (make dev's embedded one listens on a socket only)",
    )
    parser.add_argument("--stack-name", default=stack_name_for(ROOT / ".data"), help="default: make dev's")
    parser.add_argument("--out", type=Path, default=ROOT / "env.json")
    args = parser.parse_args()
    environment = container_environment(args.endpoint_url, args.database_url, args.stack_name)
    args.out.write_text(json.dumps(environment, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out} ({len(environment)} functions; queues of stack {args.stack_name} on {args.endpoint_url})")


if __name__ == "__main__":
    main()
