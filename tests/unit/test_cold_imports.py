"""What each function loads at a cold start: its handler imported in a fresh interpreter (its own
folder and the layer's code first on the path, the environment Lambda gives a traced function), and
the third-party packages that came with it compared to what that function uses. A package that joins
a function's cold start without being used there (the X-Ray SDK, httpx in the API, Powertools'
OpenAPI machinery in a queue consumer) fails here; benchmarks/bench_cold_starts.py has the timings."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.support import ROOT, TOPOLOGY

# The top-level modules each of the layer's requirements brings (with its own dependencies). The
# runtime's boto3 and what it loads (botocore, urllib3, certifi, …) are not watched: every function
# has them, in Lambda for free.
LAYER_MODULES: dict[str, tuple[str, ...]] = {
    "aws-lambda-powertools": ("aws_lambda_powertools",),
    "pydantic": ("pydantic", "pydantic_core", "annotated_types", "typing_inspection", "typing_extensions"),
    "psycopg": ("psycopg", "psycopg_binary"),
    "httpx": ("httpx", "anyio", "idna", "sniffio"),
    "httpcore": ("httpcore", "h11"),
    "argon2-cffi": ("argon2", "_argon2_cffi_bindings", "cffi", "pycparser"),
    "PyJWT": ("jwt",),
}
# Gone from the layer; no function may load them again.
NEVER = ("aws_xray_sdk", "wrapt", "pydantic_settings", "dotenv")

BASE = ("aws-lambda-powertools", "pydantic", "psycopg")
USES: dict[str, tuple[str, ...]] = {
    "ApiFunction": (*BASE, "argon2-cffi", "PyJWT"),
    "ProcessPaymentFunction": BASE,
    "ProcessRefundFunction": BASE,
    # httpcore is imported by the first post, not at import; allowed there all the same.
    "DeliverWebhookFunction": (*BASE, "httpcore"),
    "RelayOutboxFunction": BASE,
    "GenerateReportFunction": BASE,
    # The CloudFormation reply goes out over httpx (over httpcore).
    "MigrateFunction": (*BASE, "httpx", "httpcore"),
    "AdminFunction": (*BASE, "argon2-cffi", "PyJWT"),
}
# Parts of an allowed package that a function must not load at its cold start.
CONSUMER_NEVER = (
    "aws_lambda_powertools.event_handler",  # the resolver and its OpenAPI machinery: the API's
    "aws_lambda_powertools.utilities.parser",  # ~130 ms of pydantic models
    "aws_lambda_powertools.utilities.batch",  # its data classes and parser models (gateway.adapters.sqs instead)
)
NOT_AT_START: dict[str, tuple[str, ...]] = {
    # Request validation only; the OpenAPI document's models load when the document is asked for.
    "ApiFunction": ("aws_lambda_powertools.event_handler.openapi.models", "aws_lambda_powertools.utilities.parser"),
    # Settlement runs once a day; the other 1,439 runs a day never load it.
    "RelayOutboxFunction": (*CONSUMER_NEVER, "gateway.domain.settlements"),
}
# The queue consumers record events for a merchant; authentication, sign-in and credentials are the
# API's (gateway.domain.merchant_identity holds what they need).
QUEUE_CONSUMERS = (
    "ProcessPaymentFunction",
    "ProcessRefundFunction",
    "DeliverWebhookFunction",
    "GenerateReportFunction",
)
NOT_IN_QUEUE_CONSUMERS = (
    "gateway.domain.merchants",
    "gateway.models.merchants",
    "gateway.adapters.passwords",
    "gateway.adapters.session_tokens",
    "gateway.adapters.sign_in_attempts",
)

PROBE = """
import importlib, json, sys
sys.path[:0] = [FOLDER, LAYER]
sys.path[:] = [p for p in sys.path if p not in ('', ROOT)]
importlib.import_module(MODULE)
import gc
print(json.dumps({"modules": sorted(sys.modules), "collecting": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


def cold_modules(function_id: str) -> list[str]:
    return list(cold_start(function_id)["modules"])


@functools.cache
def cold_start(function_id: str) -> dict[str, Any]:
    spec = TOPOLOGY.functions[function_id]
    constants = {
        "FOLDER": str(ROOT / spec.code_uri),
        "LAYER": str(ROOT / "layers" / "common"),
        "ROOT": str(ROOT),
        "MODULE": spec.module,
    }
    probe = "".join(f"{name} = {value!r}\n" for name, value in constants.items()) + PROBE
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        # What Lambda sets for a function with `Tracing: Active`: tracing code paths as in AWS.
        "LAMBDA_TASK_ROOT": str(ROOT / spec.code_uri),
        "AWS_LAMBDA_FUNCTION_NAME": function_id,
        "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1",
    }
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    found: dict[str, Any] = json.loads(completed.stdout.splitlines()[-1])
    return found


def requirement_names() -> set[str]:
    lines = (ROOT / "layers" / "common" / "requirements.txt").read_text().splitlines()
    return {re.split(r"[\[=<>~! ]", line.strip())[0] for line in lines if line.strip() and not line.startswith("#")}


def no_deps_requirements() -> list[str]:
    lines = (ROOT / "layers" / "common" / "requirements-no-deps.txt").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.strip().startswith("#")]


def test_every_layer_requirement_is_watched() -> None:
    # A new dependency needs its modules here, so that the test below sees who loads it.
    assert requirement_names() == set(LAYER_MODULES)
    assert no_deps_requirements() == [], "a no-deps requirement is back: watch its modules in LAYER_MODULES"


@pytest.mark.parametrize("function_id", sorted(TOPOLOGY.functions))
def test_a_cold_start_loads_only_the_packages_its_function_uses(function_id: str) -> None:
    modules = cold_modules(function_id)
    top_level = {name.split(".")[0] for name in modules}
    assert TOPOLOGY.functions[function_id].module in top_level
    owner = {module: requirement for requirement, names in LAYER_MODULES.items() for module in names}
    loaded = {owner[name] for name in top_level if name in owner}
    unused = loaded - set(USES[function_id])
    assert not unused, f"{function_id} loads {sorted(unused)} at its cold start without using them"
    forbidden = [name for name in modules if name.split(".")[0] in NEVER]
    assert not forbidden, f"{function_id} loads {forbidden[:5]}"
    not_now = NOT_AT_START.get(function_id, CONSUMER_NEVER if function_id != "ApiFunction" else ())
    early = [name for name in modules if name.startswith(not_now)] if not_now else []
    assert not early, f"{function_id} loads {early[:5]} at its cold start"


@pytest.mark.parametrize("function_id", QUEUE_CONSUMERS)
def test_a_queue_consumer_loads_no_authentication_code(function_id: str) -> None:
    loaded = [name for name in cold_modules(function_id) if name in NOT_IN_QUEUE_CONSUMERS]
    assert not loaded, f"{function_id} loads {loaded} at its cold start"


@pytest.mark.parametrize("function_id", sorted(TOPOLOGY.functions))
def test_the_collector_runs_again_once_a_handler_is_built(function_id: str) -> None:
    # Paused while the handler module is built (gateway.adapters.init_gc); a handler that forgot
    # init_gc.resume() at its end would never collect a reference cycle again.
    state = cold_start(function_id)
    assert state["collecting"], f"{function_id}: the garbage collector is still paused after INIT"
    assert state["frozen"] > 0, f"{function_id}: INIT's objects were not frozen (init_gc.resume)"
