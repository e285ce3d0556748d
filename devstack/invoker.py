"""Runs a template function's real handler in warm worker processes, one per concurrent invocation.

Each worker is a separate process, like a Lambda execution environment: module state (the
resolver's current event, the database connection) is never shared between concurrent calls.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.template import FunctionSpec

_handler: Any = None
_spec: FunctionSpec | None = None


@dataclass
class LocalContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline_ms: int
    function_version: str = "$LATEST"
    log_group_name: str = "/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def _init_worker(spec: FunctionSpec, root: str, environment: dict[str, str]) -> None:
    global _handler, _spec
    # Ctrl-C reaches the whole process group; the parent shuts workers down in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(environment)
    # A layer's content and the function's own folder are what Lambda puts on the path.
    for folder in [*spec.layer_uris, spec.code_uri]:
        path = str(Path(root) / folder)
        if path not in sys.path:
            sys.path.insert(0, path)
    module = importlib.import_module(spec.module)
    _handler = getattr(module, spec.function_name)
    _spec = spec


def _invoke(event: dict[str, Any]) -> Any:
    assert _spec is not None
    context = LocalContext(
        function_name=_spec.logical_id,
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:local:000000000000:function:{_spec.logical_id}",
        aws_request_id=str(uuid.uuid4()),
        deadline_ms=int(time.time() * 1000) + _spec.timeout * 1000,
    )
    try:
        return _handler(event, context)
    except Exception as exc:
        # As Lambda does: the traceback goes to the function's log, the caller gets the error. Many
        # exceptions (psycopg's among them) cannot be pickled back to the runtime, so it gets text.
        traceback.print_exc()
        raise FunctionError(f"{type(exc).__name__}: {exc}") from None


class FunctionError(Exception):
    """An invocation's unhandled error, as the invoking side sees it."""


def _ready() -> bool:
    return _handler is not None


class FunctionPool:
    def __init__(self, spec: FunctionSpec, root: Path, environment: dict[str, str], concurrency: int) -> None:
        self.spec = spec
        self._settings = (spec, root, environment, concurrency)
        self._lock = threading.Lock()
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        spec, root, environment, concurrency = self._settings
        return ProcessPoolExecutor(
            max_workers=concurrency,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(spec, str(root), environment),
        )

    def warm(self) -> Future[bool]:
        return self._executor.submit(_ready)

    def invoke(self, event: dict[str, Any]) -> Any:
        executor = self._executor
        try:
            return executor.submit(_invoke, event).result()
        except BrokenProcessPool:
            # A worker died (crash, kill): like Lambda, this invocation fails and the next one
            # gets fresh execution environments.
            with self._lock:
                if self._executor is executor:
                    self._executor = self._new_executor()
            raise

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
