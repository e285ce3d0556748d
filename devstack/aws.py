"""The SQS + Scheduler endpoint: embedded moto server by default, any endpoint via AWS_ENDPOINT_URL."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

import boto3

from devstack.template import Topology

DEFAULT_REGION = "us-east-1"


def set_local_credentials() -> None:
    """Emulators accept any credentials; never let local runs pick up real ones."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedEmulator:
    """moto in server mode on loopback: a real HTTP SQS/Scheduler API, in this process."""

    def __init__(self, port: int) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per SQS call is noise

        self.port = port
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()


@dataclass
class QueueSet:
    urls: dict[str, str]  # logical id -> URL
    arns: dict[str, str]  # logical id -> ARN
    names: dict[str, str]  # logical id -> queue name


def sqs_client() -> Any:
    return boto3.client("sqs")


def scheduler_client() -> Any:
    return boto3.client("scheduler")


def create_queues(topology: Topology, prefix: str) -> QueueSet:
    """Creates the template's queues (dead-letter queues first) with their redrive policies."""
    sqs = sqs_client()
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    names: dict[str, str] = {}
    ordered = sorted(topology.queues.values(), key=lambda spec: spec.dead_letter_queue_id is not None)
    for spec in ordered:
        name = f"{prefix}-{spec.logical_id}"
        attributes = {"VisibilityTimeout": str(spec.visibility_timeout)}
        if spec.dead_letter_queue_id:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[spec.dead_letter_queue_id], "maxReceiveCount": spec.max_receive_count}
            )
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        # create_queue does not update an existing queue: make a re-run converge on the template.
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[spec.logical_id], arns[spec.logical_id], names[spec.logical_id] = url, arn, name
    return QueueSet(urls, arns, names)


def create_schedule_group(name: str) -> None:
    scheduler = scheduler_client()
    with contextlib.suppress(scheduler.exceptions.ConflictException):
        scheduler.create_schedule_group(Name=name)
