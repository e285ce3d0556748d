"""Nothing on a request or consumer path pins an RDS Proxy session.

RDS Proxy multiplexes a client connection between transactions unless the session does something
the proxy documents as pinning (the list is in gateway/adapters/postgres.py, quoted from "Avoiding
pinning an RDS Proxy"); a pinned session holds a database connection for as long as the Lambda
container lives, and the proxy's 8-ACU floor then buys nothing. This test drives one representative
run through the real handlers (sign-in, orders, payments and their processing, refunds, webhook
deliveries, list pages, the relay) and reads what the server itself received: Postgres's own log
with `log_statement=all`, set as a startup option on the gateway's connections only (no statement
is sent for it), shows simple-protocol statements as `statement: …`, extended-protocol ones as
`execute <unnamed>: …`, and protocol-level prepared statements (psycopg's `prepare_threshold`) as
`execute <name>: …`. Every statement is checked against the documented conditions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import deliver_webhook_handler
import process_refund_handler
import psycopg
import pytest
import relay_outbox_handler
from psycopg.conninfo import make_conninfo

from tests.support import Gateway, WebhookReceiver, lambda_context

NO_KEYS = {"x-api-key": None, "x-api-secret": None}
# psycopg prepares a statement on its 6th execution on a connection by default: a run shorter than
# that could not show protocol-level prepared statements.
ROUNDS = 3

# A log record starts with the default log_line_prefix ("%m [%p] "); continuation lines do not.
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d]* \S+ \[\d+\] ")
_LOGGED = re.compile(r"^LOG:\s+(?:statement|execute (?P<name>\S+?)):\s(?P<sql>.*)$", re.S)

# The documented conditions, as they can be seen in a statement's text (see postgres.PINNING_CONDITIONS).
_LEADING = re.compile(
    r"^\s*(?P<verb>SET|RESET|PREPARE|EXECUTE|DEALLOCATE|DISCARD|LISTEN|LOAD|DECLARE)\b"
    r"|^\s*CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP|TEMPORARY)\b",
    re.I,
)
_ANYWHERE = {
    "set_config() sets a parameter": re.compile(r"\bset_config\s*\(", re.I),
    "nextval()/setval() manipulate a sequence": re.compile(r"\b(?:nextval|setval)\s*\(", re.I),
    "a session-level advisory lock": re.compile(r"\bpg_(?:try_)?advisory_(?:lock|unlock)(?:_shared|_all)?\s*\(", re.I),
}
TEXT_LIMIT_BYTES = 16 * 1024


@dataclass(frozen=True)
class Logged:
    sql: str
    prepared_name: str | None  # a protocol-level prepared statement's name; None for unnamed/simple


def pinning_reasons(statement: Logged) -> list[str]:
    """Why the proxy would pin a session that sent this statement (empty: it would not)."""
    reasons = []
    if statement.prepared_name is not None:
        reasons.append(f"a protocol-level prepared statement ({statement.prepared_name})")
    if len(statement.sql.encode()) > TEXT_LIMIT_BYTES:
        reasons.append("statement text over 16 KB")
    for part in _statements(statement.sql):
        if found := _LEADING.match(part):
            reasons.append(f"{(found.group('verb') or 'CREATE TEMP').upper()} command")
    reasons += [reason for reason, pattern in _ANYWHERE.items() if pattern.search(statement.sql)]
    return reasons


def _statements(sql: str) -> list[str]:
    """The statements of one query string (a simple-protocol query may hold several), comments out."""
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S)
    return [part for part in without_comments.split(";") if part.strip()]


def parse_log(text: str) -> list[Logged]:
    records: list[str] = []
    for line in text.splitlines():
        if _RECORD.match(line):
            records.append(_RECORD.sub("", line, count=1))
        elif records:
            records[-1] += "\n" + line
    logged = []
    for record in records:
        if found := _LOGGED.match(record):
            name = found.group("name")
            logged.append(Logged(found.group("sql"), None if name in (None, "<unnamed>") else name))
    return logged


class ServerLog:
    """The test server's log file, read from where it stood when the run began."""

    def __init__(self, database_url: str) -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            row = conn.execute("SELECT current_setting('data_directory'), pg_current_logfile()").fetchone()
        assert row is not None
        data_dir, current = Path(row[0]), row[1]
        # The embedded server logs to <data>/log (pg_ctl -l); with the logging collector on, Postgres says where.
        self.path = data_dir / current if current else data_dir / "log"
        if not os.access(self.path, os.R_OK):
            pytest.skip(f"the server's log ({self.path}) is not readable from here (TEST_DATABASE_URL elsewhere?)")
        self.start = self.path.stat().st_size

    def since_start(self) -> list[Logged]:
        with self.path.open("rb") as log:
            log.seek(self.start)
            return parse_log(log.read().decode(errors="replace"))


@pytest.fixture
def logged_gateway(gateway: Gateway, setting: Any) -> Iterator[ServerLog]:
    """The gateway's own connections log every statement they run; nobody else's do."""
    log = ServerLog(gateway.database_url)
    setting(
        "DATABASE_URL",
        make_conninfo(gateway.database_url, options="-c log_statement=all -c log_parameter_max_length=0"),
    )
    yield log


def _representative_run(gateway: Gateway, receiver: WebhookReceiver) -> None:
    """What merchants and the consumers do all day, each step through its real handler."""
    gateway.set_webhook_url(receiver.url)
    for round_ in range(ROUNDS):
        login = gateway.api(
            "POST", "/api/v1/auth/login", {"email": "test@example.com", "password": "password123"}, headers=NO_KEYS
        )
        assert login.status == 200, login.body
        bearer = {**NO_KEYS, "authorization": f"Bearer {login.json['token']}"}
        order = gateway.api("POST", "/api/v1/orders", {"amount": 10_000}, headers={"idempotency-key": f"o-{round_}"})
        assert order.status == 201, order.body
        payment = gateway.create_payment(order.json["id"], **({"method": "card"} if round_ % 2 else {}))
        assert gateway.process_payment_jobs() == 1
        _deliver_all(gateway, "WebhooksQueue")
        refund = gateway.api("POST", f"/api/v1/payments/{payment['id']}/refunds", {"amount": 1_000})
        assert refund.status == 201, refund.body
        refunds = gateway.receive("RefundsQueue", wait_seconds=2)
        assert refunds
        assert process_refund_handler.lambda_handler(gateway.sqs_event("RefundsQueue", refunds), lambda_context()) == {
            "batchItemFailures": []
        }
        _deliver_all(gateway, "WebhooksQueue")
        for path in (
            "/api/v1/orders",
            f"/api/v1/orders/{order.json['id']}",
            "/api/v1/payments?limit=2",
            f"/api/v1/payments?limit=2&starting_after={payment['id']}",
            f"/api/v1/payments/{payment['id']}",
            f"/api/v1/payments/{payment['id']}/refunds",
            "/api/v1/refunds",
            "/api/v1/webhooks",
            "/api/v1/events",
            "/api/v1/webhook_endpoints",
            "/api/v1/merchant/credentials",
        ):
            listed = gateway.api("GET", path)
            assert listed.status == 200, (path, listed.body)
        for path in ("/api/v1/payments", "/api/v1/merchant/stats", "/api/v1/merchant/webhook"):
            assert gateway.api("GET", path, headers=bearer).status == 200, path
        relay_outbox_handler.lambda_handler({"detail-type": "Scheduled Event"}, lambda_context())
        assert gateway.api("GET", "/health").status == 200
    assert len(receiver.wait_for(3 * ROUNDS)) >= 3 * ROUNDS


def _deliver_all(gateway: Gateway, queue_id: str) -> None:
    messages = gateway.receive(queue_id)
    assert messages, f"nothing on {queue_id}"
    reply = deliver_webhook_handler.lambda_handler(gateway.sqs_event(queue_id, messages), lambda_context())
    assert reply == {"batchItemFailures": []}


def test_no_statement_on_a_request_or_consumer_path_pins_an_rds_proxy_session(
    gateway: Gateway, logged_gateway: ServerLog, receiver: WebhookReceiver
) -> None:
    _representative_run(gateway, receiver)
    statements = logged_gateway.since_start()
    texts = "\n".join(statement.sql for statement in statements)
    # The capture saw the run: without this, a silent log would pass.
    for expected in ("INSERT INTO orders", "INSERT INTO payments", "INSERT INTO refunds", "webhook_attempts"):
        assert expected in texts, f"the server log shows no {expected!r}: the capture missed the run"
    assert "pg_try_advisory_xact_lock" in texts, "the idempotency lock (transaction-scoped, allowed) was not seen"
    pinning = {statement.sql: pinning_reasons(statement) for statement in statements if pinning_reasons(statement)}
    assert not pinning, "statements RDS Proxy documents as pinning a session:\n" + "\n".join(
        f"- {', '.join(reasons)}: {sql[:200]}" for sql, reasons in pinning.items()
    )


@pytest.mark.parametrize(
    ("sql", "prepared_name", "pins"),
    [
        ("SELECT set_config('statement_timeout', $1, false)", None, True),
        ("SET statement_timeout = 1000", None, True),
        ("SET LOCAL statement_timeout = 1000", None, True),
        ("BEGIN; SET LOCAL lock_timeout = 1", None, True),
        ("SELECT pg_advisory_lock($1)", None, True),
        ("SELECT pg_try_advisory_lock_shared($1)", None, True),
        ("SELECT pg_advisory_unlock_all()", None, True),
        ("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked", None, False),
        ("SELECT nextval('s')", None, True),
        ("LISTEN jobs", None, True),
        ("DEALLOCATE ALL", None, True),
        ("DISCARD ALL", None, True),
        ("DECLARE c CURSOR WITH HOLD FOR SELECT 1", None, True),
        ("CREATE TEMP TABLE t (x int)", None, True),
        ("SELECT id FROM orders WHERE id = $1", "_pg3_0", True),
        ("SELECT id FROM orders WHERE id = $1", None, False),
        ("UPDATE orders SET status = $1 WHERE id = $2", None, False),
        ("-- SET in a comment\nSELECT 1", None, False),
        ("SELECT '" + "x" * TEXT_LIMIT_BYTES + "'", None, True),
    ],
)
def test_the_check_knows_the_documented_conditions(sql: str, prepared_name: str | None, pins: bool) -> None:
    assert bool(pinning_reasons(Logged(sql, prepared_name))) is pins


def test_the_log_parser_reads_every_protocol_form() -> None:
    log = (
        "2026-12-02 08:00:00.123 UTC [42] LOG:  statement: BEGIN\n"
        "2026-12-02 08:00:00.124 UTC [42] LOG:  execute <unnamed>: SELECT 1\n"
        "\tFROM orders\n"
        "2026-12-02 08:00:00.125 UTC [42] LOG:  execute _pg3_0: SELECT 2\n"
        "2026-12-02 08:00:00.126 UTC [43] ERROR:  boom\n"
        "2026-12-02 08:00:00.126 UTC [43] STATEMENT:  SELECT 3\n"
    )
    assert parse_log(log) == [
        Logged("BEGIN", None),
        Logged("SELECT 1\n\tFROM orders", None),
        Logged("SELECT 2", "_pg3_0"),
    ]
