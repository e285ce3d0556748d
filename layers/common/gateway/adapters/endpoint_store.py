"""SQL of webhook endpoints: the merchant's default endpoint (a row like the others, `is_default`, never listed
with them), the endpoints it created, and which endpoints are failing or slow (their lane)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import psycopg
from psycopg.rows import RowFactory, class_row

from gateway.adapters.postgres import Tx

R = TypeVar("R")


class EndpointRow(NamedTuple):
    """An endpoint the merchant created, as _ENDPOINT_COLUMNS selects it."""

    id: str
    url: str
    secret: str
    enabled_events: list[str]
    description: str | None
    disabled: bool
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


class DefaultEndpointRow(NamedTuple):
    """The merchant's default endpoint, as _DEFAULT_COLUMNS selects it."""

    id: str
    url: str | None  # None until the merchant configures one
    secret: str
    slow_lane: bool


_ENDPOINT_COLUMNS = "id, url, secret, enabled_events, description, disabled, failing_since, created_at, updated_at"
_ENDPOINT = class_row(EndpointRow)
_DEFAULT = class_row(DefaultEndpointRow)


def in_slow_lane(endpoint: str) -> str:
    """SQL: whether the endpoint (a webhook_endpoints row, by its table or alias) is in the slow lane:
    failing, or its URL was found slow. The one lane decision, for fan-out, test events and claims.
    Never NULL (slow_url is NULL until a URL is found slow): `NOT` of it means answering fast."""
    return f"({endpoint}.failing_since IS NOT NULL OR coalesce({endpoint}.slow_url = {endpoint}.url, false))"


# The default endpoint's columns, with whether it is in the slow lane now (a test event's lane).
_DEFAULT_COLUMNS = f"id, url, secret, {in_slow_lane('webhook_endpoints')} AS slow_lane"


def insert_webhook_endpoint(
    tx: Tx,
    endpoint_id: str,
    merchant_id: str,
    url: str,
    secret: str,
    enabled_events: list[str],
    description: str | None,
) -> EndpointRow | None:
    """The new endpoint, or None when the merchant has as many as the database allows (the
    webhook_endpoints_per_merchant trigger decides, under a lock on the merchant's row)."""
    try:
        return tx.one_as(
            _ENDPOINT,
            "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, enabled_events, description)"
            f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_ENDPOINT_COLUMNS}",
            (endpoint_id, merchant_id, url, secret, enabled_events, description),
        )
    except psycopg.errors.CheckViolation as exc:
        if exc.diag.constraint_name == "webhook_endpoints_per_merchant":
            return None
        raise


def webhook_endpoints_of(tx: Tx, merchant_id: str) -> list[EndpointRow]:
    """The endpoints the merchant created (not its default one)."""
    return tx.all_as(
        _ENDPOINT,
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE merchant_id = %s AND deleted_at IS NULL"
        " AND NOT is_default ORDER BY created_at, id",
        (merchant_id,),
    )


def webhook_endpoint_of(tx: Tx, merchant_id: str, endpoint_id: str) -> EndpointRow | None:
    return tx.one_as(
        _ENDPOINT,
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints"
        " WHERE id = %s AND merchant_id = %s AND deleted_at IS NULL AND NOT is_default",
        (endpoint_id, merchant_id),
    )


def insert_default_endpoint(tx: Tx, endpoint_id: str, merchant_id: str, secret: str) -> DefaultEndpointRow:
    """A new merchant's default endpoint: every event, no URL yet (so disabled: nothing is delivered)."""
    row = tx.one_as(
        _DEFAULT,
        "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, enabled_events, disabled, is_default)"
        f" VALUES (%s, %s, NULL, %s, '{{*}}', true, true) RETURNING {_DEFAULT_COLUMNS}",
        (endpoint_id, merchant_id, secret),
    )
    assert row is not None
    return row


def default_endpoint(tx: Tx, merchant_id: str) -> DefaultEndpointRow | None:
    return tx.one_as(
        _DEFAULT,
        f"SELECT {_DEFAULT_COLUMNS} FROM webhook_endpoints WHERE merchant_id = %s AND is_default",
        (merchant_id,),
    )


def update_webhook_endpoint(
    tx: Tx, merchant_id: str, endpoint_id: str, changes: dict[str, Any], secret_grace_seconds: int = 0
) -> EndpointRow | None:
    """Sets the given columns of an endpoint the merchant created (a new URL is not known to fail:
    its failing flag is cleared); a replaced secret keeps signing beside the new one for
    `secret_grace_seconds`."""
    return _update(
        tx,
        "id = %(id)s AND NOT is_default",
        _ENDPOINT,
        _ENDPOINT_COLUMNS,
        merchant_id,
        endpoint_id,
        changes,
        secret_grace_seconds,
    )


def set_default_url(tx: Tx, merchant_id: str, url: str | None) -> DefaultEndpointRow | None:
    """The default endpoint's URL; without one it is disabled (no delivery is created for it)."""
    changes = {"url": url, "disabled": url is None}
    return _update(tx, "is_default", _DEFAULT, _DEFAULT_COLUMNS, merchant_id, None, changes, 0)


def rotate_default_secret(tx: Tx, merchant_id: str, secret: str, grace_seconds: int) -> DefaultEndpointRow | None:
    return _update(tx, "is_default", _DEFAULT, _DEFAULT_COLUMNS, merchant_id, None, {"secret": secret}, grace_seconds)


def _update(
    tx: Tx,
    which: str,
    rows: RowFactory[R],
    columns: str,
    merchant_id: str,
    endpoint_id: str | None,
    changes: dict[str, Any],
    secret_grace_seconds: int,
) -> R | None:
    allowed = {"url", "enabled_events", "description", "disabled", "secret"}
    assert set(changes) <= allowed, set(changes) - allowed
    assignments = [f"{column} = %({column})s" for column in changes]
    if "url" in changes:
        assignments.append("failing_since = NULL")
    if "secret" in changes:
        # The secret it replaces keeps signing beside it for the grace period.
        assignments += ["secret_previous = secret", "secret_previous_until = now() + make_interval(secs => %(grace)s)"]
    return tx.one_as(
        rows,
        f"UPDATE webhook_endpoints SET {', '.join(assignments)}, updated_at = now()"
        f" WHERE {which} AND merchant_id = %(merchant_id)s AND deleted_at IS NULL RETURNING {columns}",
        {**changes, "id": endpoint_id, "merchant_id": merchant_id, "grace": secret_grace_seconds},
    )


def delete_webhook_endpoint(tx: Tx, merchant_id: str, endpoint_id: str) -> bool:
    return (
        tx.execute(
            "UPDATE webhook_endpoints SET deleted_at = now(), updated_at = now()"
            " WHERE id = %s AND merchant_id = %s AND deleted_at IS NULL AND NOT is_default",
            (endpoint_id, merchant_id),
        )
        == 1
    )


def mark_endpoint(tx: Tx, endpoint_id: str, url: str, failing: bool, slow: bool = False) -> None:
    """Records how an endpoint answered a batch: failing when none of its posts succeeded;
    otherwise healthy, and slow when a success took over the slow threshold (the slow flag names
    the URL that was slow, so a new URL starts fast). Failing or slow, its deliveries go through the
    slow lane. Writes only when the state changes (most attempts change nothing, and then take no
    lock)."""
    if failing:  # its slowness, if any, stays as it was: a failure says nothing about speed
        change, state = "failing_since = now()", "failing_since IS NULL"
    elif slow:
        change, state = (
            "failing_since = NULL, slow_url = url",
            "(failing_since IS NOT NULL OR slow_url IS DISTINCT FROM url)",
        )
    else:
        change, state = "failing_since = NULL, slow_url = NULL", "(failing_since IS NOT NULL OR slow_url IS NOT NULL)"
    tx.execute(f"UPDATE webhook_endpoints SET {change} WHERE id = %s AND url = %s AND {state}", (endpoint_id, url))
