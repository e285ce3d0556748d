"""Runs a template function's real handler in warm worker processes, one per concurrent invocation.

Each worker is a separate process, like a Lambda execution environment: module state (the
resolver's current event, the database connection) is never shared between concurrent calls.
As Lambda does, workers start on demand up to the function's concurrency, an idle one is reused
(most recently used first), and one that stays idle for IDLE_SECONDS is stopped (the last one is
kept warm), so a load's processes, memory and database connections are given back after it.

An invocation is one message each way on the worker's own pipe: no executor threads, no queue
in between. Workers are forked from a server process that has already imported the libraries every
handler uses (PRELOADED), so a worker's start costs the import of the function's own modules, not a
fresh interpreter's second of CPU: on two cores, a burst that starts workers no longer starves the
ones already serving it.
"""

from __future__ import annotations

import functools
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from devstack.invocations import Invocation, items_in
from stack.template import FunctionSpec

_handler: Any = None
_spec: FunctionSpec | None = None

# Imported once, in the server the workers fork from: third-party code only, none of which reads
# the function's environment at import (each worker sets that before importing its handler).
PRELOADED = (
    "boto3",
    "botocore.session",
    "psycopg",
    "pydantic.main",
    "httpx",
    "aws_lambda_powertools.event_handler",
    # The API's request validation (its first request imports it); the OpenAPI document's models
    # load only when the document is asked for.
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
    "aws_lambda_powertools.logging",
)

# An idle worker beyond the first is stopped after this long (Lambda keeps idle environments for
# minutes; locally the point is to give memory and database connections back soon after a load).
IDLE_SECONDS = 30.0


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
    # The runtime's environment when this worker started, plus the function's: the fork server's
    # own copy dates from its start, and a runtime may have changed its environment since.
    os.environ.clear()
    os.environ.update(environment)
    # A layer's content and the function's own folder are what Lambda puts on the path.
    for folder in [*spec.layer_uris, spec.code_uri]:
        path = str(Path(root) / folder)
        if path not in sys.path:
            sys.path.insert(0, path)
    module = importlib.import_module(spec.module)
    _handler = getattr(module, spec.function_name)
    _spec = spec


def _invoke(event: dict[str, Any]) -> tuple[Any, float]:
    """The handler's result and how long it ran (ms): what Lambda bills."""
    assert _spec is not None
    context = LocalContext(
        function_name=_spec.logical_id,
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:local:000000000000:function:{_spec.logical_id}",
        aws_request_id=str(uuid.uuid4()),
        deadline_ms=int(time.time() * 1000) + _spec.timeout * 1000,
    )
    started = time.perf_counter()
    try:
        return _handler(event, context), (time.perf_counter() - started) * 1000
    except Exception as exc:
        # As Lambda does: the traceback goes to the function's log, the caller gets the error. Many
        # exceptions (psycopg's among them) cannot be pickled back to the runtime, so it gets text.
        traceback.print_exc()
        raise FunctionError(f"{type(exc).__name__}: {exc}") from None


class FunctionError(Exception):
    """An invocation's unhandled error, as the invoking side sees it."""


def _worker_main(conn: Connection, spec: FunctionSpec, root: str, environment: dict[str, str]) -> None:
    """A worker process: imports the handler once (its cold start), then runs one event per message."""
    started = time.perf_counter()
    _init_worker(spec, root, environment)
    conn.send(("ready", (time.perf_counter() - started) * 1000))
    while True:
        try:
            event = conn.recv()
        except (EOFError, OSError):
            return  # the runtime closed the pipe: stop
        started = time.perf_counter()
        try:
            reply: tuple[str, Any, float] = ("ok", *_invoke(event))
        except FunctionError as exc:
            reply = ("error", str(exc), (time.perf_counter() - started) * 1000)
        conn.send(reply)


class WorkerDied(Exception):
    """The worker process ended during an invocation (crash, kill): like Lambda, the invocation
    fails and the next one gets a fresh execution environment."""


@functools.cache
def _worker_context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOADED))
    return context


class _Worker:
    def __init__(self, spec: FunctionSpec, root: str, environment: dict[str, str]) -> None:
        context = _worker_context()
        self._conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main,
            args=(child, spec, root, {**os.environ, **environment}),
            name=f"fn-{spec.logical_id}",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.idle_since = time.monotonic()
        _, self.init_ms = self._receive()  # "ready": the handler module is imported
        self.last_duration_ms = 0.0

    def _receive(self) -> tuple[Any, ...]:
        try:
            reply: tuple[Any, ...] = self._conn.recv()
        except (EOFError, OSError) as exc:
            self.stop()
            raise WorkerDied(f"{self.process.name} (pid {self.process.pid}) exited") from exc
        return reply

    def call(self, event: dict[str, Any]) -> Any:
        try:
            self._conn.send(event)
        except OSError as exc:
            self.stop()
            raise WorkerDied(f"{self.process.name} (pid {self.process.pid}) exited") from exc
        status, value, self.last_duration_ms = self._receive()
        if status == "error":
            raise FunctionError(value)
        return value

    def stop(self) -> None:
        self._conn.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)


class FunctionPool:
    def __init__(
        self,
        spec: FunctionSpec,
        root: Path,
        environment: dict[str, str],
        concurrency: int,
        idle_seconds: float = IDLE_SECONDS,
        record: Callable[[Invocation], None] | None = None,
    ) -> None:
        self.spec = spec
        self._record = record or (lambda _invocation: None)
        self._root = str(root)
        self._environment = environment
        self._concurrency = concurrency
        self._idle_seconds = idle_seconds
        self._idle: list[_Worker] = []  # most recently used last
        self._live = 0  # idle + busy + starting
        self._start_error: FunctionError | None = None
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name=f"reap-{spec.logical_id}", daemon=True)
        self._reaper.start()

    @property
    def live_workers(self) -> int:
        return self._live

    def warm(self) -> Future[bool]:
        """Starts one worker in the background (the first request is then not a cold start)."""
        done: Future[bool] = Future()

        def start() -> None:
            try:
                self._release(self._acquire())
                done.set_result(True)
            except Exception as exc:
                done.set_exception(exc)

        threading.Thread(target=start, name=f"warm-{self.spec.logical_id}", daemon=True).start()
        return done

    def invoke(self, event: dict[str, Any]) -> Any:
        worker = self._acquire()
        try:
            result = worker.call(event)
        except WorkerDied:
            self._discard()
            raise
        except BaseException:
            self._bill(worker, event)
            self._release(worker)
            raise
        self._bill(worker, event)
        self._release(worker)
        return result

    def _bill(self, worker: _Worker, event: dict[str, Any]) -> None:
        self._record(Invocation(self.spec.logical_id, worker.last_duration_ms, items_in(event)))

    def _acquire(self) -> _Worker:
        """An idle worker, waiting for one if need be. When all are busy and the concurrency allows,
        a new one starts in the background, and the caller takes whichever is free first: the new
        one, or a busy one that finished meanwhile (so a burst does not pay a cold start per call)."""
        with self._changed:
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.process.is_alive():
                        return worker
                    # It died while idle (killed, out of memory): like Lambda, replaced unseen.
                    self._live -= 1
                    worker.stop()
                if self._start_error is not None:
                    error, self._start_error = self._start_error, None
                    raise error
                if self._live < self._concurrency:
                    self._live += 1
                    threading.Thread(
                        target=self._start_worker, name=f"start-{self.spec.logical_id}", daemon=True
                    ).start()
                self._changed.wait()

    def _start_worker(self) -> None:
        try:
            worker = _Worker(self.spec, self._root, self._environment)
        except Exception as exc:  # the handler does not import: the waiting caller gets the error
            self._start_error = FunctionError(f"{self.spec.logical_id} did not start: {exc}")
            self._discard()
            return
        self._record(Invocation(self.spec.logical_id, worker.init_ms, 0, kind="init"))
        self._release(worker)

    def _release(self, worker: _Worker) -> None:
        worker.idle_since = time.monotonic()
        with self._changed:
            if self._stopping.is_set():
                self._live -= 1
                worker.stop()
            else:
                self._idle.append(worker)
            self._changed.notify()

    def _discard(self, count: int = 1) -> None:
        """Workers that are gone (died, failed to start, stopped): room for new ones."""
        with self._changed:
            self._live -= count
            self._changed.notify_all()

    def _reap(self) -> None:
        """Stops workers idle for longer than idle_seconds, keeping one."""
        while not self._stopping.wait(min(5.0, self._idle_seconds / 2)):
            cutoff = time.monotonic() - self._idle_seconds
            with self._changed:
                # The least recently used are at the front; the most recent one always stays.
                stale = [w for w in self._idle[:-1] if w.idle_since < cutoff]
                self._idle = [w for w in self._idle if w not in stale]
            for worker in stale:
                worker.stop()
            self._discard(len(stale))

    def shutdown(self) -> None:
        self._stopping.set()
        with self._changed:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._changed.notify_all()
        for worker in idle:
            worker.stop()
