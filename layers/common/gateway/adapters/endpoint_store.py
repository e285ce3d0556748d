"""SQL of webhook endpoints: the merchant's extra endpoints and which endpoints are failing (their lane)."""

from __future__ import annotations

from typing import Any

import psycopg

from gateway.adapters.postgres import Row, Tx

_ENDPOINT_COLUMNS = "id, url, secret, enabled_events, description, disabled, failing_since, created_at, updated_at"


def insert_webhook_endpoint(
    tx: Tx,
    endpoint_id: str,
    merchant_id: str,
    url: str,
    secret: str,
    enabled_events: list[str],
    description: str | None,
) -> Row | None:
    """The new endpoint, or None when the merchant has as many as the database allows (the
    webhook_endpoints_per_merchant trigger decides, under a lock on the merchant's row)."""
    try:
        return tx.one(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, enabled_events, description)"
            f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_ENDPOINT_COLUMNS}",
            (endpoint_id, merchant_id, url, secret, enabled_events, description),
        )
    except psycopg.errors.CheckViolation as exc:
        if exc.diag.constraint_name == "webhook_endpoints_per_merchant":
            return None
        raise


def webhook_endpoints_of(tx: Tx, merchant_id: str) -> list[Row]:
    return tx.all(
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE merchant_id = %s AND deleted_at IS NULL"
        " ORDER BY created_at, id",
        (merchant_id,),
    )


def webhook_endpoint_of(tx: Tx, merchant_id: str, endpoint_id: str) -> Row | None:
    return tx.one(
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = %s AND merchant_id = %s AND deleted_at IS NULL",
        (endpoint_id, merchant_id),
    )


def update_webhook_endpoint(
    tx: Tx, merchant_id: str, endpoint_id: str, changes: dict[str, Any], secret_grace_seconds: int = 0
) -> Row | None:
    """Sets the given columns (a new URL is not known to fail: its failing flag is cleared); a
    replaced secret keeps signing beside the new one for `secret_grace_seconds`."""
    allowed = {"url", "enabled_events", "description", "disabled", "secret"}
    assert set(changes) <= allowed, set(changes) - allowed
    assignments = [f"{column} = %({column})s" for column in changes]
    if "url" in changes:
        assignments.append("failing_since = NULL")
    if "secret" in changes:
        # The secret it replaces keeps signing beside it for the grace period.
        assignments += ["secret_previous = secret", "secret_previous_until = now() + make_interval(secs => %(grace)s)"]
    return tx.one(
        f"UPDATE webhook_endpoints SET {', '.join(assignments)}, updated_at = now()"
        f" WHERE id = %(id)s AND merchant_id = %(merchant_id)s AND deleted_at IS NULL RETURNING {_ENDPOINT_COLUMNS}",
        {**changes, "id": endpoint_id, "merchant_id": merchant_id, "grace": secret_grace_seconds},
    )


def delete_webhook_endpoint(tx: Tx, merchant_id: str, endpoint_id: str) -> bool:
    return (
        tx.execute(
            "UPDATE webhook_endpoints SET deleted_at = now(), updated_at = now()"
            " WHERE id = %s AND merchant_id = %s AND deleted_at IS NULL",
            (endpoint_id, merchant_id),
        )
        == 1
    )


def mark_endpoint(
    tx: Tx, merchant_id: str, endpoint_id: str | None, webhook_url: str, failing: bool, slow: bool = False
) -> None:
    """Records how an endpoint (the merchant's default one when `endpoint_id` is None) answered a
    batch: failing when none of its posts succeeded; otherwise healthy, and slow when a success took
    over the slow threshold (the slow flag names the URL that was slow, so a new URL starts fast).
    Failing or slow, its deliveries go through the slow lane. Writes only when the state changes
    (most attempts change nothing, and then take no lock)."""
    if endpoint_id is None:
        table, failing_column, slow_column, url_column = (
            "merchants",
            "webhook_failing_since",
            "webhook_slow_url",
            "webhook_url",
        )
    else:
        table, failing_column, slow_column, url_column = "webhook_endpoints", "failing_since", "slow_url", "url"
    if failing:  # its slowness, if any, stays as it was: a failure says nothing about speed
        change, state = f"{failing_column} = now()", f"{failing_column} IS NULL"
    elif slow:
        change = f"{failing_column} = NULL, {slow_column} = {url_column}"
        state = f"({failing_column} IS NOT NULL OR {slow_column} IS DISTINCT FROM {url_column})"
    else:
        change = f"{failing_column} = NULL, {slow_column} = NULL"
        state = f"({failing_column} IS NOT NULL OR {slow_column} IS NOT NULL)"
    tx.execute(
        f"UPDATE {table} SET {change} WHERE id = %s AND {url_column} = %s AND {state}",
        (endpoint_id or merchant_id, webhook_url),
    )


# An endpoint is in the slow lane while it is failing or its URL was found slow.
DEFAULT_ENDPOINT_SLOW_LANE = "(webhook_failing_since IS NOT NULL OR webhook_slow_url = webhook_url)"
ENDPOINT_SLOW_LANE = "(failing_since IS NOT NULL OR slow_url = url)"


def endpoint_in_slow_lane(tx: Tx, merchant_id: str, endpoint_id: str | None) -> bool:
    """Whether a delivery's endpoint is failing or slow now (its next attempt goes through the slow lane)."""
    if endpoint_id is None:
        row = tx.one(f"SELECT {DEFAULT_ENDPOINT_SLOW_LANE} AS slow FROM merchants WHERE id = %s", (merchant_id,))
    else:
        row = tx.one(f"SELECT {ENDPOINT_SLOW_LANE} AS slow FROM webhook_endpoints WHERE id = %s", (endpoint_id,))
    return bool(row and row["slow"])
