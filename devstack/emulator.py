"""The local runtime's SQS + Scheduler + S3 endpoint: the embedded moto emulator (devstack.emulator_server)
by default, any endpoint via AWS_ENDPOINT_URL (LocalStack: stack/localstack.py); the boto3 clients the
runtime uses on it, and the template's queues, schedule group and buckets created there."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from gateway.adapters import time_bounds
from stack.template import Topology, make_resolver

DEFAULT_REGION = "us-east-1"
# The account local resources are in (ARNs, pseudo parameter AWS::AccountId).
ACCOUNT_ID = "000000000000"
_ROOT = str(Path(__file__).resolve().parent.parent)


def set_local_credentials() -> None:
    """Emulators accept any credentials; never let local runs pick up real ones."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])


def ensure_port_free(port: int, what: str) -> None:
    with socket.socket() as probe:
        # As servers do: a port whose old connections linger in TIME_WAIT is free to listen on.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SystemExit(
                f"devstack: port {port} for the {what} is in use ({exc.strerror}); stop what holds it"
            ) from exc


class EmbeddedEmulator:
    """moto's SQS/Scheduler API over HTTP on loopback (devstack.emulator_server: moto's application
    under a keep-alive server), in its own process (so its CPU work does not compete with the
    runtime's pollers for one interpreter lock)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        ensure_port_free(self.port, "SQS/Scheduler emulator")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "devstack.emulator_server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=_ROOT,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([_ROOT, os.environ.get("PYTHONPATH", "")])},
            # Its own session: Ctrl-C reaches the runtime's process group, and the runtime stops
            # the emulator after its pollers.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"devstack: the SQS/Scheduler emulator did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None


@dataclass
class QueueSet:
    urls: dict[str, str]  # logical id -> URL
    arns: dict[str, str]  # logical id -> ARN
    names: dict[str, str]  # logical id -> queue name


# The runtime's own calls (pollers, the scheduler emulator) have the gateway's background bound: a
# connection the endpoint stopped answering on is dropped after the 1 s long-poll plus a margin.
_RUNTIME_CALLS = time_bounds.QUEUE_BACKGROUND.boto_config()


def sqs_client() -> Any:
    return boto3.client("sqs", config=_RUNTIME_CALLS)


def scheduler_client() -> Any:
    return boto3.client("scheduler", config=_RUNTIME_CALLS)


def create_queues(topology: Topology, prefix: str, fresh: bool = False) -> QueueSet:
    """Creates the template's queues (dead-letter queues first) with their redrive policies. `fresh`:
    the names are new (a test's own prefix), so no existing queue needs its attributes converged."""
    sqs = sqs_client()
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    names: dict[str, str] = {}
    ordered = sorted(topology.queues.values(), key=lambda spec: spec.dead_letter_queue_id is not None)
    for spec in ordered:
        name = f"{prefix}-{spec.logical_id}"
        # Every attribute the template sets (retention, visibility, encryption, ...), as CloudFormation would.
        attributes = dict(spec.attributes)
        if spec.dead_letter_queue_id:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[spec.dead_letter_queue_id], "maxReceiveCount": spec.max_receive_count}
            )
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        if not fresh:
            # create_queue does not update an existing queue: make a re-run converge on the template.
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[spec.logical_id], arns[spec.logical_id], names[spec.logical_id] = url, arn, name
    return QueueSet(urls, arns, names)


VALID_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def bucket_name(prefix: str, logical_id: str) -> str:
    """S3 names are lower case, 3 to 63 characters."""
    return f"{prefix}-{logical_id}".lower()[:63]


def create_buckets(topology: Topology, prefix: str, account_id: str = ACCOUNT_ID) -> dict[str, str]:
    """Creates the buckets the functions use (Topology.buckets); logical id -> bucket name: the
    template's BucketName where it sets one (resolved as for a stack named `prefix` in this account
    and the endpoint's region, as the runtime resolves the functions' environment), else one from
    the prefix. An existing bucket of this stack is kept with its objects, as a redeploy keeps them."""
    s3 = boto3.client("s3", config=_RUNTIME_CALLS)
    region = s3.meta.region_name
    pseudo = {
        "AWS::StackName": prefix,
        "AWS::AccountId": account_id,
        "AWS::Region": region,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    resolve = make_resolver(pseudo, {})
    names = {}
    for logical_id in topology.buckets:
        fixed = topology.bucket_names.get(logical_id)
        name = bucket_name(prefix, logical_id) if fixed is None else str(resolve(fixed))
        if not VALID_BUCKET_NAME.fullmatch(name):
            # CloudFormation would fail the deploy: fail here too rather than run with another name.
            raise ValueError(f"{logical_id}'s name {name!r} is not a valid S3 bucket name (lower case, 3-63)")
        options: dict[str, Any] = {}
        if region != "us-east-1":
            options["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=name, **options)
        names[logical_id] = name
    return names


def put_bucket_cors(name: str, configuration: Any) -> None:
    """The bucket answers CORS (preflights included) as configured, as S3 does."""
    boto3.client("s3", config=_RUNTIME_CALLS).put_bucket_cors(Bucket=name, CORSConfiguration=configuration)


def create_schedule_group(name: str) -> None:
    scheduler = scheduler_client()
    with contextlib.suppress(scheduler.exceptions.ConflictException):
        scheduler.create_schedule_group(Name=name)
