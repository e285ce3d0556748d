"""SQL of the outbox: staged messages, their sending, the relay's backlog, retention."""

from __future__ import annotations

from typing import NamedTuple

from psycopg.rows import class_row

from gateway.adapters.postgres import Tx


class OutboxRow(NamedTuple):
    """A staged message as _OUTBOX_COLUMNS selects it."""

    id: int
    queue: str
    body: str
    delay_seconds: int


_OUTBOX_COLUMNS = "id, queue, body, delay_seconds"
_OUTBOX = class_row(OutboxRow)


def add_outbox(tx: Tx, queue: str, body: str, delay_seconds: int = 0) -> int:
    row = tx.one(
        "INSERT INTO outbox (queue, body, delay_seconds) VALUES (%s, %s, %s) RETURNING id",
        (queue, body, delay_seconds),
    )
    assert row is not None
    return int(row["id"])


def mark_outbox_sent(tx: Tx, outbox_ids: list[int]) -> None:
    tx.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY(%s) AND sent_at IS NULL", (outbox_ids,))


def lock_unsent_outbox_rows(tx: Tx, outbox_ids: list[int]) -> list[OutboxRow]:
    """Those of the given rows still unsent and not held by another sender, locked, in id order."""
    return tx.all_as(
        _OUTBOX,
        f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE id = ANY(%s) AND sent_at IS NULL"
        " ORDER BY id FOR UPDATE SKIP LOCKED",
        (outbox_ids,),
    )


def purge_sent_outbox(tx: Tx, older_than_days: int, limit: int) -> int:
    """At most `limit` rows sent more than `older_than_days` ago (unsent rows are never purged)."""
    return tx.execute(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
        " WHERE sent_at < now() - make_interval(days => %s) ORDER BY sent_at LIMIT %s)",
        (older_than_days, limit),
    )


def lock_unsent_outbox(tx: Tx, older_than_seconds: int, limit: int) -> list[OutboxRow]:
    """Messages whose post-commit send failed (older than the grace period), locked for one relay."""
    return tx.all_as(
        _OUTBOX,
        f"SELECT {_OUTBOX_COLUMNS} FROM outbox"
        " WHERE sent_at IS NULL AND created_at < now() - make_interval(secs => %s)"
        " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
        (older_than_seconds, limit),
    )


def oldest_unsent_outbox_age_seconds(tx: Tx) -> float:
    """0 when everything was sent: what the relay reports to the outbox alarm each run."""
    row = tx.one(
        "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age"
        " FROM outbox WHERE sent_at IS NULL"
    )
    return float(row["age"]) if row else 0.0
