"""Postgres adapter: one connection per Lambda container (per thread), short explicit transactions.

Behind RDS Proxy (the production profile) a client connection shares the proxy's database
connections between transactions unless the session "pins" it; a pinned session keeps one database
connection for as long as the Lambda container lives, and the proxy then multiplexes nothing. The
conditions, quoted from "Avoiding pinning an RDS Proxy", Amazon Aurora User Guide
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-proxy-pinning.html, read 2026-12-02):

    Conditions that cause pinning for all engine families
    - Any statement with a text size greater than 16 KB causes the proxy to pin the session.

    Conditions that cause pinning for Aurora PostgreSQL
    For PostgreSQL, the following interactions also cause pinning:
    - Using `SET` commands.
    - Using `PREPARE`, `DISCARD`, `DEALLOCATE`, or `EXECUTE` commands to manage prepared statements.
    - Creating temporary sequences, tables, or views.
    - Declaring cursors.
    - Discarding the session state.
    - Listening on a notification channel.
    - Loading a library module such as `auto_explain`.
    - Manipulating sequences using functions such as `nextval` and `setval`.
    - Interacting with locks using functions such as `pg_advisory_lock` and `pg_try_advisory_lock`.
      Note: RDS Proxy does not pin on transaction level advisory locks, specifically
      `pg_advisory_xact_lock`, `pg_advisory_xact_lock_shared`, `pg_try_advisory_xact_lock`, and
      `pg_try_advisory_xact_lock_shared`.
    - Setting a parameter, or resetting a parameter to its default. Specifically, using `SET` and
      `set_config` commands to assign default values to session variables.
    - Calling stored procedures and stored functions doesn't cause pinning. [...]
    - Discarding session state. If you use connection pooling libraries with `DISCARD ALL` query
      configured as a reset query, RDS Proxy pins your client connection on release. [...]

The earlier edition of the page (awsdocs/amazon-aurora-user-guide, doc_source/rds-proxy-managing.md)
also listed "Prepared statements cause the proxy to pin the session. This rule applies whether the
prepared statement uses SQL text or the binary protocol" and "Using the PostgreSQL extended query
protocol"; AWS has since announced "RDS Proxy multiplexing support for PostgreSQL Extended Query
Protocol" (https://aws.amazon.com/blogs/database/amazon-rds-proxy-multiplexing-support-for-postgresql-extended-query-protocol/).

So, here: no SET or set_config (the statement and idle-in-transaction timeouts are the database
role's defaults, set by the migrations: gateway.adapters.migrations.apply_session_defaults); no
prepared statements, neither SQL nor protocol-level (`prepare_threshold=None`: psycopg would
otherwise prepare a query executed 5 times on a connection, and may clear them with DEALLOCATE ALL);
advisory locks are transaction-scoped only (`pg_try_advisory_xact_lock`, idempotency keys); no
LISTEN, temporary tables, cursors, sequences called by name, or statements over 16 KB, with one
exception: a report's rows are read through a server-side cursor (`streamed()`), on a connection
closed as soon as the read ends, so the pinned session dies with it. Parameters go
in the extended protocol's unnamed statement. tests/integration/test_proxy_pinning.py reads what the
server receives during a representative run and fails on any of the above.

A database that does not answer (refused, or resuming from an Aurora auto-pause past the connect
bound) is a DatabaseUnavailable: a 503 with Retry-After from the API, a failed record (left on its
queue) for a consumer.

Typed rows (every aggregate's store): the aggregate's store module declares a `typing.NamedTuple`
per row shape (immutable, and ~0.1 ms a class at a cold start against ~0.7 ms for a frozen slotted
dataclass), its fields named and typed as the columns its SQL selects (`payment_store.PaymentRow`;
a field must not shadow a tuple method such as `count` or `index`),
and a psycopg row factory made once at import (`_PAYMENT = class_row(PaymentRow)`, psycopg.rows).
Its functions read with `tx.one_as(_PAYMENT, sql, params)` / `tx.all_as(...)`, and its lists with
`list_pages.select_page_as(_PAYMENT, ...)` (a `PageOf[PaymentRow]`). class_row calls the class with
the selected columns as keywords, so a column the SQL selects that the class lacks, or a field the
SQL does not select, fails on the first row read; mypy checks every attribute the domain reads.
Reply models are built from a row with `Model.model_validate(row, from_attributes=True)`; payloads
that go on to other code (events, webhooks) are those models' JSON, never the row. An aggregate's
domain seams for unit tests without Postgres are Protocols in gateway.domain.ports. `Row` (a dict)
is left to statements that return a scalar or ids (`tx.one` / `tx.all`), read where they are made.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
from psycopg.rows import RowFactory, dict_row, tuple_row
from psycopg.types.json import Jsonb

from gateway.adapters import time_bounds
from gateway.errors import ServiceUnavailable
from gateway.settings import get_settings

Row = dict[str, Any]
T = TypeVar("T")
R = TypeVar("R")

_local = threading.local()
# The server or the network lost the session: nothing of the open transaction was committed, and the
# connection is replaced on its next use. (A transaction the server ended for idling is not an
# OperationalError in psycopg's hierarchy, but it is the same loss.)
_SESSION_LOST = (psycopg.OperationalError, psycopg.errors.IdleInTransactionSessionTimeout)


class DatabaseUnavailable(ServiceUnavailable):
    code = "DATABASE_UNAVAILABLE"
    retry_after_seconds = time_bounds.DATABASE_RETRY_AFTER_SECONDS

    def __init__(self, description: str = "") -> None:
        super().__init__(description or f"Database is unavailable; retry in {self.retry_after_seconds} s")


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
    """A new connection, as it comes: nothing is set on the session (see the module's docstring)."""
    conn = psycopg.connect(
        database_url(),
        autocommit=True,
        row_factory=dict_row,
        connect_timeout=time_bounds.DATABASE_CONNECT_SECONDS,
        prepare_threshold=None,
    )
    conn.adapters.register_loader("uuid", _UuidAsText)
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
            raise DatabaseUnavailable() from exc
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

    # Typed rows (the module's docstring): the same statements, each row made by `rows`.
    def one_as(self, rows: RowFactory[R], sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> R | None:
        return self._conn.cursor(row_factory=rows).execute(sql, params).fetchone()

    def all_as(self, rows: RowFactory[R], sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[R]:
        return self._conn.cursor(row_factory=rows).execute(sql, params).fetchall()


def _begin(stack: ExitStack) -> Tx:
    conn = _connection()
    stack.enter_context(conn.transaction())
    return Tx(conn)


@contextmanager
def transaction() -> Iterator[Tx]:
    """One transaction: committed when the block ends, rolled back if it raises.

    A connection the server dropped while it sat idle (a restart, a failover, a proxy's idle
    timeout, the server's idle_session_timeout) fails at BEGIN, before anything ran: it is replaced
    and the transaction starts on a new one, so the request that finds it dead does not fail.
    Failures later in the transaction, the COMMIT's included, are a DatabaseUnavailable (nothing is
    retried behind the caller's back)."""
    try:
        # The COMMIT runs as the stack closes: a server lost at that moment is a 503 too.
        with ExitStack() as stack:
            try:
                tx = _begin(stack)
            except psycopg.OperationalError:
                close_connection()
                tx = _begin(stack)
            yield tx
    except _SESSION_LOST as exc:
        close_connection()
        raise DatabaseUnavailable() from exc


def streamed(sql: str, params: Sequence[Any], chunk_rows: int) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of one query in chunks of `chunk_rows` tuples through a server-side cursor, so this
    process holds one chunk however many rows match. The cursor is WITH HOLD, declared outside any
    transaction: the server runs the query to its end at once and keeps the result (a consistent
    snapshot, spilled to disk past work_mem), and no transaction stays open while the caller does
    its I/O between chunks (a report's uploads). DECLARE pins an RDS Proxy session for as long as
    the session lives, so this runs on a connection of its own, closed when the rows end: the
    container's usual connection is closed first (one per container at any moment) and the next
    transaction() opens a new one."""
    close_connection()
    try:
        conn = _connection()
        with conn.cursor(name=f"stream_{uuid.uuid4().hex[:12]}", withhold=True, row_factory=tuple_row) as cursor:
            cursor.itersize = chunk_rows
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(chunk_rows):
                yield chunk
    except _SESSION_LOST as exc:
        raise DatabaseUnavailable() from exc
    finally:
        close_connection()


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
    except _SESSION_LOST as exc:
        close_connection()
        raise DatabaseUnavailable() from exc


def as_json(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value, dumps=lambda v: json.dumps(v, separators=(",", ":")))
