"""SQL of idempotency keys: the transaction-scoped lock, the stored reply, the purge."""

from __future__ import annotations

from typing import NamedTuple

from psycopg.rows import class_row

from gateway.adapters.postgres import Tx


class IdempotencyRecord(NamedTuple):
    """A stored reply and the request it answered."""

    request_method: str
    request_path: str
    request_fingerprint: str
    response_status: int
    response_body: str  # the reply's JSON text, replayed as it was sent


_RECORD = class_row(IdempotencyRecord)


def try_lock_idempotency_key(tx: Tx, merchant_id: str, key: str) -> bool:
    """Transaction-scoped: released at commit or rollback, and when a crashed request's session ends."""
    row = tx.one(
        "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)) AS locked", (f"idempotency:{merchant_id}:{key}",)
    )
    return bool(row and row["locked"])


def idempotency_record(tx: Tx, merchant_id: str, key: str) -> IdempotencyRecord | None:
    return tx.one_as(
        _RECORD,
        "SELECT request_method, request_path, request_fingerprint, response_status, response_body"
        " FROM idempotency_keys WHERE merchant_id = %s AND key = %s AND expires_at > now()",
        (merchant_id, key),
    )


def save_idempotency_record(
    tx: Tx,
    merchant_id: str,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    status: int,
    body: str,
    ttl_seconds: int,
) -> None:
    # An expired record with the same key is replaced: after 24 h the key is free again.
    tx.execute(
        "INSERT INTO idempotency_keys (merchant_id, key, request_method, request_path, request_fingerprint,"
        " response_status, response_body, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, now() + make_interval(secs => %s))"
        " ON CONFLICT (merchant_id, key) DO UPDATE SET request_method = EXCLUDED.request_method,"
        " request_path = EXCLUDED.request_path, request_fingerprint = EXCLUDED.request_fingerprint,"
        " response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body,"
        " created_at = now(), expires_at = EXCLUDED.expires_at"
        " WHERE idempotency_keys.expires_at <= now()",
        (merchant_id, key, method, path, fingerprint, status, body, ttl_seconds),
    )


def purge_expired_idempotency_keys(tx: Tx, limit: int) -> int:
    return tx.execute(
        "DELETE FROM idempotency_keys WHERE ctid IN"
        " (SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT %s)",
        (limit,),
    )
