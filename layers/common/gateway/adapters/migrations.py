"""Migration runner: applies `gateway/migrations/*.sql` in order, once each, recording versions."""

from __future__ import annotations

import time
from importlib import resources

import psycopg
from psycopg import sql

from gateway.adapters import time_bounds

# Any constant works; it keeps two runners from applying the same migration at once.
_ADVISORY_LOCK_KEY = 7_301_955_201


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("gateway") / "migrations"
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".sql")), key=lambda entry: entry.name)
    return [(entry.name.removesuffix(".sql"), entry.read_text()) for entry in files]


def _connect(database_url: str, wait_seconds: float) -> psycopg.Connection[tuple[object, ...]]:
    """Connects, retrying for up to `wait_seconds`: on a first deploy RDS Proxy registers its
    target some time after CloudFormation reports it created."""
    deadline = time.monotonic() + wait_seconds
    delay = 1.0
    while True:
        try:
            return psycopg.connect(database_url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            if time.monotonic() + delay > deadline:
                raise DatabaseNotReachable(wait_seconds, exc) from exc
            time.sleep(delay)
            delay = min(delay * 2, 15.0)


def migrate(database_url: str, wait_seconds: float = 0) -> list[str]:
    """Applies pending migrations in one transaction; returns the versions applied by this call.

    All or nothing: a migration that fails rolls back every migration of this call, so a failed
    deploy leaves the schema exactly as the previous release knew it. The same transaction sets the
    role's session defaults (apply_session_defaults), so they follow time_bounds at every deploy.
    """
    with _connect(database_url, wait_seconds) as conn, conn.transaction():
        # The role's own statement timeout would cut a long migration short; this session only
        # (a deploy's one-off connection: that it pins an RDS Proxy session costs nothing).
        conn.execute("SET LOCAL statement_timeout = 0")
        # Transaction-scoped: released by the COMMIT or ROLLBACK, whatever happens to this process.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        pending = [(version, script) for version, script in migration_files() if version not in done]
        for version, script in pending:
            try:
                conn.execute(script.encode())
            except psycopg.Error as exc:
                raise MigrationFailed(version, exc) from exc
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
        apply_session_defaults(conn)
    return [version for version, _ in pending]


def session_defaults() -> dict[str, str]:
    """What every session of the gateway's role starts with (time_bounds has the reasons for the
    timeouts). TimeZone UTC: timestamps come back as UTC datetimes and a timestamp without a zone
    would be read as UTC, whatever the server's or the cluster parameter group's zone."""
    return {
        "statement_timeout": f"{int(time_bounds.DATABASE_STATEMENT_TIMEOUT_MS)}ms",
        "idle_in_transaction_session_timeout": f"{int(time_bounds.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS)}ms",
        "timezone": "UTC",
    }


def apply_session_defaults(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """The session defaults (timeouts, TimeZone) as the connecting role's defaults in this
    database (`ALTER ROLE CURRENT_USER IN DATABASE … SET`): the functions connect as the role the
    migrations run as (the same secret), and a session gets the defaults when it starts, so no
    function sends a SET, which RDS Proxy documents as pinning the session. (RDS Proxy passes only
    a few startup parameters, and `options` is not among them.) A role may set its own defaults."""
    for name, value in session_defaults().items():
        conn.execute(
            sql.SQL("ALTER ROLE CURRENT_USER IN DATABASE {} SET {} = {}").format(
                sql.Identifier(_current_database(conn)), sql.Identifier(name), sql.Literal(value)
            )
        )


def _current_database(conn: psycopg.Connection[tuple[object, ...]]) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


class DatabaseNotReachable(Exception):
    def __init__(self, waited: float, cause: Exception) -> None:
        super().__init__(f"database not reachable within {waited:.0f} s ({type(cause).__name__}); nothing was applied")


class MigrationFailed(Exception):
    def __init__(self, version: str, cause: Exception) -> None:
        super().__init__(f"migration {version} failed: {type(cause).__name__}: {cause}; nothing was applied")
