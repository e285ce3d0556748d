"""Postgres adapter: one connection per Lambda container (per thread), short explicit transactions."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from gateway.adapters import time_bounds
from gateway.errors import ServiceUnavailable
from gateway.settings import get_settings

Row = dict[str, Any]
T = TypeVar("T")

_local = threading.local()


class DatabaseUnavailable(ServiceUnavailable):
    code = "DATABASE_UNAVAILABLE"


class _UuidAsText(psycopg.adapt.Loader):
    """UUIDs leave the adapter as plain strings, like every other id."""

    def load(self, data: Any) -> str:
        return bytes(data).decode()


@lru_cache(maxsize=1)
def database_url() -> str:
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    if settings.database_secret_arn:
        from gateway.adapters.secrets import database_url_from_secret

        return database_url_from_secret(settings.database_secret_arn, settings.database_host)
    raise RuntimeError("set DATABASE_URL or DATABASE_SECRET_ARN")


def _connect() -> psycopg.Connection[Row]:
    conn = psycopg.connect(
        database_url(), autocommit=True, row_factory=dict_row, connect_timeout=time_bounds.DATABASE_CONNECT_SECONDS
    )
    conn.adapters.register_loader("uuid", _UuidAsText)
    conn.execute(
        "SELECT set_config('statement_timeout', %s, false),"
        " set_config('idle_in_transaction_session_timeout', %s, false)",
        (str(time_bounds.DATABASE_STATEMENT_TIMEOUT_MS), str(time_bounds.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS)),
    )
    return conn


def _connection() -> psycopg.Connection[Row]:
    conn: psycopg.Connection[Row] | None = getattr(_local, "conn", None)
    # A thread's connection is dropped when the configured database changes (a long-lived worker
    # thread, such as a health checker, must not keep talking to the old one).
    if conn is not None and getattr(_local, "url", None) != database_url():
        conn.close()
        conn = None
    if conn is None or conn.closed or conn.broken:
        try:
            conn = _connect()
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable("Database is unavailable") from exc
        _local.conn = conn
        _local.url = database_url()
    return conn


def close_connection() -> None:
    conn = getattr(_local, "conn", None)
    if conn is not None:
        conn.close()
        _local.conn = None


class Tx:
    """The statements of one open transaction; the only database handle domain code sees."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self._conn = conn

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        return self._conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        return self._conn.execute(sql, params).rowcount


def _begin(stack: ExitStack) -> Tx:
    conn = _connection()
    stack.enter_context(conn.transaction())
    return Tx(conn)


@contextmanager
def transaction() -> Iterator[Tx]:
    """One transaction: committed when the block ends, rolled back if it raises.

    A connection the server dropped while it sat idle (a restart, a failover, a proxy's idle
    timeout) fails at BEGIN, before anything ran: it is replaced and the transaction starts on a
    new one, so the request that finds it dead does not fail. Failures later in the transaction
    are a DatabaseUnavailable (nothing is retried behind the caller's back)."""
    with ExitStack() as stack:
        try:
            try:
                tx = _begin(stack)
            except psycopg.OperationalError:
                close_connection()
                tx = _begin(stack)
            yield tx
        except psycopg.OperationalError as exc:
            close_connection()
            raise DatabaseUnavailable("Database is unavailable") from exc


def single_statement(work: Callable[[Tx], T]) -> T:
    """Work that is one statement, safe to repeat (a read, an idempotent update), without BEGIN and
    COMMIT: it commits by itself, one round trip instead of three. A connection the server dropped
    while idle is replaced and the statement runs once more on a new one."""
    try:
        try:
            return work(Tx(_connection()))
        except psycopg.OperationalError:
            close_connection()
            return work(Tx(_connection()))
    except psycopg.OperationalError as exc:
        close_connection()
        raise DatabaseUnavailable("Database is unavailable") from exc


def as_json(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value, dumps=lambda v: json.dumps(v, separators=(",", ":")))
