"""A payment's life through the real handlers, each in a process of its own with the environment
Lambda gives a function with `Tracing: Active`: the ids of what each function works on are on every
log line it writes, no secret or card number is, no tracing SDK is loaded at any point, and every
queue send carries the invocation's trace header (botocore's own, so SQS hands the trace on)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import AUTH, ROOT, VALID_CARD, WEBHOOK_SECRET, Gateway, WebhookReceiver

FUNCTIONS = ("api", "process_payment", "deliver_webhook")
# What no function may import: the X-Ray SDK (maintenance mode, ~0.3 s of a cold start), which a
# Powertools Tracer loads (Powertools' own package imports the Tracer class, not the SDK).
TRACING_SDKS = ("aws_xray_sdk",)


def trace_header() -> tuple[str, str]:
    trace_id = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return trace_id, f"Root={trace_id};Parent={secrets.token_hex(8)};Sampled=1"


@dataclass
class TracedRun:
    traces: dict[str, str]  # function -> trace id
    result: dict[str, Any]
    log_lines: list[dict[str, Any]]
    output: str  # everything the three processes wrote, stdout and stderr

    def lines_of(self, function: str) -> list[dict[str, Any]]:
        return [line for line in self.log_lines if line.get("service") == function]


@pytest.fixture
def traced_run(gateway: Gateway, receiver: WebhookReceiver, tmp_path: Path) -> Iterator[TracedRun]:
    headers = {function: trace_header() for function in FUNCTIONS}
    spec = {
        "database_url": gateway.database_url,
        "queues": {"urls": gateway.queues.urls, "arns": gateway.queues.arns, "names": gateway.queues.names},
        "webhook_url": receiver.url,
    }
    pythonpath = [str(ROOT), str(ROOT / "layers/common")] + [str(ROOT / "functions" / f) for f in FUNCTIONS]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(pythonpath),
        # What Lambda gives every function with `Tracing: Active`.
        "LAMBDA_TASK_ROOT": str(ROOT / "functions"),
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    result: dict[str, Any] = {}
    log_lines: list[dict[str, Any]] = []
    output = []
    for function, (_, header) in headers.items():  # one process per function, as in Lambda
        result_file = tmp_path / f"{function}.json"
        completed = subprocess.run(
            [sys.executable, "-m", "tests.integration.traced_lambda_run", function, json.dumps(spec), str(result_file)],
            cwd=ROOT,
            env={
                **env,
                "POWERTOOLS_SERVICE_NAME": function,
                "AWS_LAMBDA_FUNCTION_NAME": f"gateway-{function}",
                "_X_AMZN_TRACE_ID": header,
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
        result.update(json.loads(result_file.read_text()))
        output += [completed.stdout, completed.stderr]
        log_lines += [json.loads(line) for line in completed.stdout.splitlines() if line.startswith('{"level"')]
    yield TracedRun(
        {function: trace_id for function, (trace_id, _) in headers.items()}, result, log_lines, "".join(output)
    )


def the_api_request_line_names_the_merchant_order_and_payment(traced_run: TracedRun) -> None:
    payment_id, order_id = traced_run.result["payment_id"], traced_run.result["order_id"]
    requests = [line for line in traced_run.lines_of("api") if line["message"] == "request"]
    creates = [line for line in requests if line.get("payment_id") == payment_id]
    assert len(creates) == 1, requests
    assert creates[0]["order_id"] == order_id
    assert creates[0]["merchant_id"]
    assert creates[0]["path"] == "/api/v1/payments"
    # An invocation's ids end with it: the order's create, right after the card payment's, names its
    # order but no payment.
    order_creates = [line for line in requests if line.get("order_id") == order_id and line["path"] == "/api/v1/orders"]
    assert len(order_creates) == 1, requests
    assert "payment_id" not in order_creates[0], order_creates[0]


def consumer_log_lines_carry_the_record_ids(traced_run: TracedRun) -> None:
    payment_lines = traced_run.lines_of("process_payment")
    webhook_lines = traced_run.lines_of("deliver_webhook")
    assert payment_lines and webhook_lines
    assert {line.get("payment_id") for line in payment_lines} == {traced_run.result["payment_id"]}
    log_ids = set(traced_run.result["webhook_log_ids"])
    assert {line.get("webhook_log_id") for line in webhook_lines} == log_ids
    # The domain's ids, added while a record is worked on, are on its lines too.
    assert all(line.get("event_id") and line.get("merchant_id") for line in webhook_lines), webhook_lines


def no_secret_or_card_number_is_logged(traced_run: TracedRun) -> None:
    assert traced_run.log_lines
    for secret in (
        AUTH["x-api-secret"],
        WEBHOOK_SECRET,
        VALID_CARD["number"],
        VALID_CARD["number"].replace(" ", ""),
        f'"cvv": "{VALID_CARD["cvv"]}"',
    ):
        assert secret not in traced_run.output


def no_tracing_sdk_is_imported(traced_run: TracedRun) -> None:
    for function in FUNCTIONS:
        imported = traced_run.result[f"{function}_imported"]
        assert f"{function}_handler" in imported
        loaded = [name for name in imported if name.startswith(TRACING_SDKS)]
        assert not loaded, f"{function} imported {loaded}"


def queue_sends_carry_the_invocation_s_trace(traced_run: TracedRun) -> None:
    for function in ("api", "process_payment"):
        sent = traced_run.result[f"{function}_sent_trace_headers"]
        assert sent, f"{function} sent nothing to a queue"
        assert all(f"Root={traced_run.traces[function]}" in header for header in sent), (function, sent)


def test_a_payment_s_life_is_logged_with_its_ids_and_no_tracing_sdk(traced_run: TracedRun) -> None:
    # One run of the three functions (~8 s), five properties of it.
    the_api_request_line_names_the_merchant_order_and_payment(traced_run)
    consumer_log_lines_carry_the_record_ids(traced_run)
    no_secret_or_card_number_is_logged(traced_run)
    no_tracing_sdk_is_imported(traced_run)
    queue_sends_carry_the_invocation_s_trace(traced_run)
