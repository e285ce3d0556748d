"""Traces as X-Ray receives them: a payment's life through the real handlers with tracing on, the
segments read off a UDP socket standing in for the X-Ray daemon (the SDK's only output in Lambda),
and the log lines off the functions' stdout."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import AUTH, ROOT, WEBHOOK_SECRET, Gateway, WebhookReceiver

FUNCTIONS = ("api", "process_payment", "deliver_webhook")


@dataclass
class XRayDaemon:
    """Collects the segment documents the X-Ray SDK sends: `{"format": "json", "version": 1}\\n{doc}`."""

    sock: socket.socket = field(default_factory=lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    documents: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    def start(self) -> XRayDaemon:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()
        return self

    @property
    def address(self) -> str:
        host, port = self.sock.getsockname()
        return f"{host}:{port}"

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                datagram = self.sock.recv(65_536)
            except TimeoutError:
                continue
            self.raw.append(datagram)
            header, _, body = datagram.partition(b"\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            self.documents.append(json.loads(body))

    def stop(self) -> None:
        time.sleep(0.3)  # the last datagrams of the finished process
        self._stop.set()
        self._thread.join()
        self.sock.close()

    def in_trace(self, trace_id: str) -> list[dict[str, Any]]:
        return [doc for doc in self.documents if doc.get("trace_id") == trace_id]


def trace_header() -> tuple[str, str]:
    trace_id = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return trace_id, f"Root={trace_id};Parent={secrets.token_hex(8)};Sampled=1"


@dataclass
class TracedRun:
    traces: dict[str, str]  # function -> trace id
    result: dict[str, Any]
    daemon: XRayDaemon
    log_lines: list[dict[str, Any]]

    def annotated(self, function: str, key: str) -> list[dict[str, Any]]:
        return [doc for doc in self.daemon.in_trace(self.traces[function]) if key in doc.get("annotations", {})]


@pytest.fixture
def traced_run(gateway: Gateway, receiver: WebhookReceiver, tmp_path: Path) -> Iterator[TracedRun]:
    daemon = XRayDaemon().start()
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
        "AWS_XRAY_DAEMON_ADDRESS": daemon.address,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    result: dict[str, Any] = {}
    log_lines: list[dict[str, Any]] = []
    try:
        for function, (_, header) in headers.items():  # one process per function, as in Lambda
            result_file = tmp_path / f"{function}.json"
            completed = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tests.integration.traced_lambda_run",
                    function,
                    json.dumps(spec),
                    str(result_file),
                ],
                cwd=ROOT,
                env={**env, "POWERTOOLS_SERVICE_NAME": function, "_X_AMZN_TRACE_ID": header},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert completed.returncode == 0, completed.stderr[-4000:]
            result.update(json.loads(result_file.read_text()))
            log_lines += [json.loads(line) for line in completed.stdout.splitlines() if line.startswith('{"level"')]
    finally:
        daemon.stop()
    yield TracedRun({function: trace_id for function, (trace_id, _) in headers.items()}, result, daemon, log_lines)


def the_api_trace_names_the_merchant_and_payment_and_its_queue_send(traced_run: TracedRun) -> None:
    payment_id, order_id = traced_run.result["payment_id"], traced_run.result["order_id"]
    annotated = traced_run.annotated("api", "payment_id")
    assert [doc["annotations"]["payment_id"] for doc in annotated] == [payment_id]
    assert annotated[0]["annotations"]["order_id"] == order_id
    assert annotated[0]["annotations"]["merchant_id"]
    # The handler's subsegment, under the segment Lambda made from the trace header.
    assert annotated[0]["name"] == "## lambda_handler"
    sends = [
        doc
        for doc in traced_run.daemon.in_trace(traced_run.traces["api"])
        if doc.get("aws", {}).get("operation") == "SendMessage"
    ]
    assert sends, "the job's send to SQS is not in the API's trace"
    assert all(doc["namespace"] == "aws" for doc in sends)


def each_queue_record_has_a_subsegment_with_its_ids(traced_run: TracedRun) -> None:
    payment_id = traced_run.result["payment_id"]
    processed = traced_run.annotated("process_payment", "payment_id")
    assert [(doc["name"], doc["annotations"]["payment_id"]) for doc in processed] == [
        ("## process payment", payment_id)
    ]
    delivered = traced_run.annotated("deliver_webhook", "webhook_log_id")
    assert sorted(doc["annotations"]["webhook_log_id"] for doc in delivered) == sorted(
        traced_run.result["webhook_log_ids"]
    )
    assert all(doc["name"] == "## deliver webhook" and doc["annotations"]["event_id"] for doc in delivered)


def consumer_log_lines_carry_the_record_id(traced_run: TracedRun) -> None:
    payment_lines = [line for line in traced_run.log_lines if line.get("service") == "process_payment"]
    webhook_lines = [line for line in traced_run.log_lines if line.get("service") == "deliver_webhook"]
    assert payment_lines and webhook_lines
    assert {line.get("payment_id") for line in payment_lines} == {traced_run.result["payment_id"]}
    assert {line.get("webhook_log_id") for line in webhook_lines} <= set(traced_run.result["webhook_log_ids"])
    assert None not in {line.get("webhook_log_id") for line in webhook_lines}


def no_secret_reaches_the_traces(traced_run: TracedRun) -> None:
    sent = b"".join(traced_run.daemon.raw)
    assert traced_run.daemon.documents
    for secret in (AUTH["x-api-secret"], WEBHOOK_SECRET, "4111111111111111", "4111 1111 1111 1111"):
        assert secret.encode() not in sent


def test_a_payment_s_life_is_traced_and_logged_with_its_ids(traced_run: TracedRun) -> None:
    # One run of the three functions (~8 s), four properties of it.
    the_api_trace_names_the_merchant_and_payment_and_its_queue_send(traced_run)
    each_queue_record_has_a_subsegment_with_its_ids(traced_run)
    consumer_log_lines_carry_the_record_id(traced_run)
    no_secret_reaches_the_traces(traced_run)
