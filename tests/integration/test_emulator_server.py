"""The embedded SQS/Scheduler endpoint: moto's application served with keep-alive, same answers."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlsplit

import pytest
from moto.core import utils as moto_utils

from devstack.emulator_server import _unix_time, _unix_time_millis
from devstack.sqs_json import QueueCallFailed, SqsJsonClient


def test_calls_share_one_connection(aws_endpoint: str) -> None:
    parts = urlsplit(aws_endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=5)
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS.ListQueues",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    try:
        conn.request("POST", "/", body=b"{}", headers=headers)
        first = conn.getresponse()
        first.read()
        socket_after_first = conn.sock
        conn.request("POST", "/", body=b"{}", headers=headers)
        second = conn.getresponse()
        second.read()
    finally:
        conn.close()
    # Before: werkzeug's development server answered "Connection: close" to every call.
    assert (first.status, second.status) == (200, 200)
    assert (first.getheader("connection") or "").lower() != "close"
    assert socket_after_first is not None and conn.sock is None  # closed by us, not by the server


def test_the_runtime_client_round_trips_a_message(aws_endpoint: str) -> None:
    client = SqsJsonClient(aws_endpoint, "us-east-1")
    url = client.call("CreateQueue", {"QueueName": "runtime-client"})["QueueUrl"]
    client.call("SendMessage", {"QueueUrl": url, "MessageBody": '{"n":1}'})
    [message] = client.receive(url, 10, 1)
    assert message["Body"] == '{"n":1}'
    client.delete_batch(url, [message["ReceiptHandle"]])
    assert client.receive(url, 10, 0) == []
    with pytest.raises(QueueCallFailed, match="HTTP 400"):
        client.call("SendMessage", {"QueueUrl": url + "-missing", "MessageBody": "x"})


def test_the_fast_clock_reads_what_moto_reads() -> None:
    assert abs(_unix_time() - moto_utils.unix_time()) < 0.05
    assert abs(_unix_time_millis() - moto_utils.unix_time_millis()) < 50
    assert abs(_unix_time() - time.time()) < 0.05
