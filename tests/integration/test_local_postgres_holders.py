"""The local Postgres after a crash: a `make dev` that was killed (kill -9, a host restart) leaves
its pid among the data directory's server holders; the next run must still stop the server when
it stops, not leave it running because a dead process seems to hold it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from devstack.database import EmbeddedPostgres
from tests.support import wait_until


def _postmaster(data_dir: Path) -> int | None:
    pid_file = data_dir / "postmaster.pid"
    return int(pid_file.read_text().splitlines()[0]) if pid_file.exists() else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_server_held_by_a_killed_run_is_stopped_by_the_next_one(tmp_path: Path) -> None:
    data_dir = tmp_path / "postgres"
    # Given a data directory whose holders list a process that no longer exists (a killed run)
    first = EmbeddedPostgres(data_dir)
    first.start()
    first.stop()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    (data_dir / ".handle_pids.json").write_text(json.dumps([dead_pid]))

    # When the next run starts the server and stops it
    second = EmbeddedPostgres(data_dir)
    second.start()
    postmaster = _postmaster(data_dir)
    assert postmaster is not None and _running(postmaster)
    try:
        second.stop()
        # Then the server is stopped, not left behind (its exit is reaped by init a moment later)
        assert wait_until(lambda: not _running(postmaster), timeout=5), "the server outlived the run that started it"
    finally:
        if _running(postmaster):
            os.kill(postmaster, signal.SIGQUIT)
