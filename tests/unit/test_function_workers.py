"""The local runtime's function workers: started on demand, reused, given back when idle, replaced when killed."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from devstack.invocations import InvocationLog, summarize
from devstack.invoker import FunctionPool, WorkerDied
from stack.template import FunctionSpec
from tests.support import ROOT, wait_until

SLEEPY = FunctionSpec("Sleepy", "tests/fixtures/sleepy_function", "sleepy_handler.lambda_handler", 10)


def test_workers_grow_with_concurrent_invocations_and_shrink_to_one_when_idle() -> None:
    pool = FunctionPool(SLEEPY, ROOT, {}, concurrency=3, idle_seconds=1.0)
    try:
        # Given three invocations at once, each in its own execution environment...
        with ThreadPoolExecutor(3) as callers:
            pids = set(callers.map(lambda _: pool.invoke({"sleep": 2}), range(3)))
        assert len(pids) == 3 and pool.live_workers == 3
        # ...a sequential invocation reuses a warm one (no new process)...
        assert pool.invoke({}) in pids
        # ...and once the load is over, all but one are stopped, as their processes show.
        assert wait_until(lambda: pool.live_workers == 1, timeout=10)
        alive = [pid for pid in pids if _alive(pid)]
        assert len(alive) == 1
        assert pool.invoke({}) == alive[0]
    finally:
        pool.shutdown()


def test_no_more_workers_than_the_concurrency_and_callers_wait_their_turn() -> None:
    pool = FunctionPool(SLEEPY, ROOT, {}, concurrency=2)
    try:
        with ThreadPoolExecutor(6) as callers:
            pids = set(callers.map(lambda _: pool.invoke({"sleep": 0.2}), range(6)))
        assert 1 <= len(pids) <= 2 and pool.live_workers <= 2
    finally:
        pool.shutdown()


def test_a_killed_worker_fails_its_invocation_and_the_next_one_gets_a_fresh_worker() -> None:
    pool = FunctionPool(SLEEPY, ROOT, {}, concurrency=1)
    try:
        pid = pool.invoke({})
        with ThreadPoolExecutor(1) as caller:
            pending = caller.submit(pool.invoke, {"sleep": 5})
            wait_until(lambda: pool.live_workers == 1, timeout=5)
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(WorkerDied):
                pending.result(timeout=10)
        assert pool.invoke({}) != pid
    finally:
        pool.shutdown()


def _alive(pid: int) -> bool:
    return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE


def test_a_worker_has_the_runtimes_environment_at_its_start_and_the_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    first = FunctionPool(SLEEPY, ROOT, {}, concurrency=1)
    try:
        first.invoke({})  # the fork server runs from here on, with the environment of this moment
    finally:
        first.shutdown()
    # Given a variable the runtime sets later, one it removes, and one of the function's own
    monkeypatch.setenv("SLEEPY_SET_LATER", "later")
    monkeypatch.delenv("HOME", raising=False)
    pool = FunctionPool(SLEEPY, ROOT, {"SLEEPY_OWN": "own"}, concurrency=1)
    try:
        # Then a new worker sees the runtime's environment as it is now, and the function's
        assert pool.invoke({"environ": "SLEEPY_SET_LATER"}) == "later"
        assert pool.invoke({"environ": "HOME"}) is None
        assert pool.invoke({"environ": "SLEEPY_OWN"}) == "own"
    finally:
        pool.shutdown()


def test_workers_start_with_the_heavy_libraries_already_imported() -> None:
    pool = FunctionPool(SLEEPY, ROOT, {}, concurrency=1)
    try:
        # The handler imports none of them: they come from the fork server's preload.
        assert pool.invoke({"imported": "psycopg"}) is True
        assert pool.invoke({"imported": "aws_lambda_powertools.event_handler"}) is True
        assert pool.invoke({"imported": "gateway"}) is False  # the function's own code is its own
    finally:
        pool.shutdown()


def test_each_invocation_is_recorded_with_what_lambda_would_bill(tmp_path: Path) -> None:
    log = InvocationLog(tmp_path / "invocations.jsonl")
    pool = FunctionPool(SLEEPY, ROOT, {}, concurrency=1, record=log.record)
    try:
        pool.invoke({"sleep": 0.3})
        pool.invoke({"Records": [{}, {}, {}]})
    finally:
        pool.shutdown()
    bill = summarize(log.path)["Sleepy"]
    # One worker start, two invocations: the sleeping one billed at least its 300 ms, items per record.
    assert (bill.inits, bill.invocations, bill.items) == (1, 2, 4)
    assert 300 <= bill.billed_ms < 10_000
    assert bill.billed_ms_per_item == bill.billed_ms / 4
