"""SnapStart's life cycle, played locally: INIT (the handlers imported with the gateway's settings,
the database used once) → the before-snapshot hook → fork (each child is a container restored from
the same snapshot) → the after-restore hook → real requests against Postgres and the queue.

Nothing opened before the snapshot may be used after it: the child's database session must be a
new one (another backend pid, another connection object), no TCP connection to the database or
the queue endpoint may survive the hook, and two restored containers must not draw the same
random numbers."""

from __future__ import annotations

import ast
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

import boto3
import psutil
import pytest

from deploy.translate import translate
from gateway.adapters import postgres, sqs, webhook_http
from stack.template import load_template
from tests.support import ROOT, TOPOLOGY, Gateway, lambda_context

CHILD_TIMEOUT_SECONDS = 60


def backend_pid() -> int:
    row = postgres.single_statement(lambda tx: tx.one("SELECT pg_backend_pid() AS pid"))
    assert row is not None
    return int(row["pid"])


def open_connections_to(ports: set[int]) -> list[Any]:
    """This process's established TCP connections to any of `ports`."""
    return [
        c
        for c in psutil.Process().net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port in ports
    ]


def in_restored_container(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Runs `work` in a forked child (a container restored from the snapshot this process now is)
    and returns what it reported; the child's exceptions come back as {"error": ...}."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads: the child only runs `work`
        pid = os.fork()
    if pid == 0:  # the restored container: whatever happens, it never returns into pytest
        try:
            os.close(read_end)
            try:
                report = work()
            except BaseException as exc:
                report = {"error": f"{type(exc).__name__}: {exc}"}
            os.write(write_end, json.dumps(report, default=str).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        # poll, not select: select() refuses descriptors numbered 1024 and up.
        waiting = select.poll()
        waiting.register(read_end, select.POLLIN)
        if not waiting.poll(CHILD_TIMEOUT_SECONDS * 1000):
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"the restored container did not answer within {CHILD_TIMEOUT_SECONDS} s")
        chunks = []
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    report: dict[str, Any] = json.loads(b"".join(chunks) or b'{"error": "no report"}')
    return report


def test_nothing_opened_before_the_snapshot_is_used_after_it(gateway: Gateway) -> None:
    # INIT: the SnapStart function's handler (the API's) as Lambda imports it before the snapshot, and
    # the consumers' beside it: the worst case, every module that holds a client or a connection loaded.
    import api_handler  # noqa: F401
    import deliver_webhook_handler  # noqa: F401
    import process_payment_handler
    import process_refund_handler  # noqa: F401

    from gateway.adapters import runtime_hooks

    assert runtime_hooks.REGISTERED is False  # no snapshot_restore_py outside Lambda's runtime

    # The worst INIT: it used the database and the queue, and built the webhook client.
    order = gateway.create_order()
    assert order["id"]
    sqs.depth(gateway.queues.urls["PaymentsQueue"])
    webhook_http._client()
    pid_before = backend_pid()
    connection_before = postgres._local.conn
    database_port = urlsplit(gateway.database_url).port or 5432
    queue_port = urlsplit(os.environ["AWS_ENDPOINT_URL"]).port or 80
    ports = {database_port, queue_port}
    assert open_connections_to(ports), "INIT should hold connections for this test to mean anything"

    runtime_hooks.before_snapshot()

    # The generator's state in the snapshot, identical in every container restored from it.
    random.seed(1234)
    snapshot_state = random.getstate()

    def restored() -> dict[str, Any]:
        # CPython reseeds `random` in a forked child by itself (os.register_at_fork); a restore from
        # a snapshot does not: put the snapshot's state back, as Lambda's restore would have it.
        random.setstate(snapshot_state)
        runtime_hooks.after_restore()
        drawn = random.random()
        new_order = gateway.create_order()
        gateway.create_payment(new_order["id"])
        queue = boto3.client("sqs")
        messages = queue.receive_message(
            QueueUrl=gateway.queues.urls["PaymentsQueue"], MaxNumberOfMessages=10, WaitTimeSeconds=2
        ).get("Messages", [])
        reply = process_payment_handler.lambda_handler(
            gateway.sqs_event("PaymentsQueue", messages), cast(Any, lambda_context("ProcessPaymentFunction"))
        )
        return {
            "random": drawn,
            "backend_pid": backend_pid(),
            "same_connection_object": postgres._local.conn is connection_before,
            "jobs": len(messages),
            "failures": reply["batchItemFailures"],
        }

    started = time.perf_counter()
    first = in_restored_container(restored)
    second = in_restored_container(restored)
    elapsed = time.perf_counter() - started

    for report in (first, second):
        assert "error" not in report, report
        assert report["same_connection_object"] is False, "the connection from before the snapshot was used after it"
        assert report["backend_pid"] != pid_before, "a connection opened before the snapshot was used after it"
        assert report["jobs"] >= 1 and report["failures"] == []
    assert first["backend_pid"] != second["backend_pid"]
    # The snapshot itself (this process, as the hook left it): no socket, no cached client.
    assert connection_before.closed
    assert sqs._client.cache_info().currsize == 0
    assert webhook_http._client.cache_info().currsize == 0
    assert open_connections_to(ports) == []
    assert first["random"] != second["random"], "random was not reseeded after the restore"
    print(
        f"snapshot hooks: before-snapshot closed backend {pid_before}; restored containers used backends "
        f"{first['backend_pid']} and {second['backend_pid']}, drew {first['random']:.6f} and "
        f"{second['random']:.6f}; both requests and payment jobs in {elapsed:.2f} s"
    )


def test_every_snapstart_function_registers_the_hooks() -> None:
    """Lambda runs only the hooks of modules the handler imported during INIT."""
    translated = translate(load_template(ROOT / "template.yaml"))
    snapstart = {
        logical_id
        for logical_id, r in translated["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and "SnapStart" in r["Properties"]
    }
    assert snapstart
    missing = []
    for function_id in sorted(snapstart):
        spec = TOPOLOGY.functions[function_id]
        tree = ast.parse((ROOT / spec.code_uri / f"{spec.module}.py").read_text())
        imported = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "gateway.adapters"
            and any(alias.name == "runtime_hooks" for alias in node.names)
            for node in tree.body
        ) or any(
            isinstance(node, ast.Import) and any(a.name == "gateway.adapters.runtime_hooks" for a in node.names)
            for node in tree.body
        )
        if not imported:
            missing.append(f"{spec.code_uri}{spec.module}.py")
    assert missing == [], f"add `from gateway.adapters import runtime_hooks  # noqa: F401` to {missing}"


PRIMED_PROBE = """
import sys, time
sys.path[:0] = [FOLDER, LAYER]
import boto3, botocore.loaders
import api_handler  # INIT, as Lambda runs it before the snapshot
from gateway.adapters import runtime_hooks
runtime_hooks.before_snapshot()

def refuse(*args, **kwargs):
    raise AssertionError(f"botocore read {args[-1]} after the snapshot")

# The restored container: botocore may not parse its data files again.
botocore.loaders.JSONFileLoader.load_file = refuse
started = time.perf_counter()
boto3.client("sqs")
boto3.client("secretsmanager")
print(f"{(time.perf_counter() - started) * 1000:.1f}")
"""


def test_a_restored_container_builds_its_clients_without_parsing_botocore_data() -> None:
    # INIT makes no client (they are built on first use), so without the hook every restored
    # container's first request would parse botocore's JSON: ~60 ms here, 2-3x that at 512 MB.
    spec = TOPOLOGY.functions["ApiFunction"]
    constants = {"FOLDER": str(ROOT / spec.code_uri), "LAYER": str(ROOT / "layers" / "common")}
    probe = "".join(f"{name} = {value!r}\n" for name, value in constants.items()) + PRIMED_PROBE
    env = {
        "PATH": os.environ["PATH"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    print(f"snapshot hooks: SQS and Secrets Manager clients after the restore in {completed.stdout.strip()} ms")
