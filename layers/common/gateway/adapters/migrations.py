"""Migration runner: applies `gateway/migrations/*.sql` in order, once each, recording versions."""

from __future__ import annotations

import time
from importlib import resources

import psycopg

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
    deploy leaves the schema exactly as the previous release knew it.
    """
    with _connect(database_url, wait_seconds) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            pending = [(version, sql) for version, sql in migration_files() if version not in done]
            with conn.transaction():
                for version, sql in pending:
                    try:
                        conn.execute(sql.encode())
                    except psycopg.Error as exc:
                        raise MigrationFailed(version, exc) from exc
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK_KEY,))
    return [version for version, _ in pending]


class DatabaseNotReachable(Exception):
    def __init__(self, waited: float, cause: Exception) -> None:
        super().__init__(f"database not reachable within {waited:.0f} s ({type(cause).__name__}); nothing was applied")


class MigrationFailed(Exception):
    def __init__(self, version: str, cause: Exception) -> None:
        super().__init__(f"migration {version} failed: {type(cause).__name__}: {cause}; nothing was applied")


TEST_MERCHANT = {
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "name": "Test Merchant",
    "email": "test@example.com",
    "api_key": "key_test_abc123",
    "api_secret": "secret_test_xyz789",
    "webhook_secret": "whsec_test_abc123",
}
TEST_MERCHANT_PASSWORD = "password123"  # noqa: S105 - the documented local test login


def seed_test_merchant(database_url: str) -> None:
    """Idempotent: the test merchant exists afterwards, whatever was there before."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Its known secret keeps working: the hash is SHA-256, as for every merchant.
        conn.execute(
            "INSERT INTO merchants (id, name, email, api_key, api_secret_hash, api_secret_hint, webhook_secret)"
            " VALUES (%(id)s, %(name)s, %(email)s, %(api_key)s, encode(sha256(convert_to(%(api_secret)s, 'UTF8')),"
            " 'hex'), right(%(api_secret)s, 4), %(webhook_secret)s)"
            " ON CONFLICT (id) DO NOTHING",
            TEST_MERCHANT,
        )
        if "password_hash" in {
            row[0]
            for row in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'merchants'")
        }:
            from gateway.adapters.passwords import hash_password

            conn.execute(
                "UPDATE merchants SET password_hash = %s WHERE id = %s AND password_hash IS NULL",
                (hash_password(TEST_MERCHANT_PASSWORD), TEST_MERCHANT["id"]),
            )
