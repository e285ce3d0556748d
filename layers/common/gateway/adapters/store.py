"""SQL of the gateway: every query the domain needs, one function each, run inside a `Tx`."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Any

from gateway.adapters.postgres import Row, Tx, as_json

_MERCHANT_COLUMNS = (
    "id, name, email, api_key, api_secret_hash, api_secret_hint, webhook_url, webhook_secret, webhook_failing_since,"
    " is_active"
)
_ORDER_COLUMNS = "id, merchant_id, amount, currency, receipt, notes, status, created_at"
_PAYMENT_COLUMNS = (
    "id, order_id, merchant_id, amount, currency, method, status, vpa, card_network, card_last4,"
    " captured, captured_at, amount_refunded, error_code, error_description, processing_started_at,"
    " created_at, updated_at"
)
_REFUND_COLUMNS = "id, payment_id, merchant_id, amount, reason, status, created_at, processed_at"


# --- merchants ------------------------------------------------------------------------------


def merchant_by_api_key(tx: Tx, api_key: str) -> Row | None:
    return tx.one(f"SELECT {_MERCHANT_COLUMNS} FROM merchants WHERE api_key = %s", (api_key,))


# One statement finds the caller and takes a token from its bucket when the credential matches (a
# wrong secret spends nobody's budget): rate limiting adds no round trip to a request.
_COUNTED_MERCHANT = (
    "WITH m AS (SELECT {columns}, coalesce(rate_limit_{kind}s, %(default_limit)s)::float8 AS rate_limit,"
    "  coalesce(rate_limit_period_seconds, %(default_period)s)::float8 AS period FROM merchants WHERE {where}),"
    " taken AS (INSERT INTO rate_limit_buckets AS b"
    "  (merchant_id, credential, kind, rate_limit, period, tokens, allowed, updated_at)"
    "  SELECT id, %(credential)s, '{kind}', rate_limit, period, rate_limit - 1, true, clock_timestamp()"
    "  FROM m WHERE is_active AND {counts}"
    "  ON CONFLICT (merchant_id, credential, kind) DO UPDATE SET"
    "   tokens = {refilled} - CASE WHEN {refilled} >= 1 THEN 1 ELSE 0 END,"
    "   allowed = {refilled} >= 1,"
    "   rate_limit = EXCLUDED.rate_limit, period = EXCLUDED.period, updated_at = EXCLUDED.updated_at"
    "  RETURNING tokens, allowed)"
    " SELECT m.*, taken.tokens AS rate_tokens, taken.allowed AS rate_allowed FROM m LEFT JOIN taken ON true"
).replace(
    "{refilled}", "rate_limit_refill(b.tokens, b.updated_at, EXCLUDED.updated_at, EXCLUDED.rate_limit, EXCLUDED.period)"
)


def merchant_by_api_key_counted(
    tx: Tx, api_key: str, secret_hash: str, kind: str, default_limit: int, default_period: int
) -> Row | None:
    """The merchant with `api_key`; when `secret_hash` matches, also the request counted against its
    `kind` ('read' or 'write') budget: `rate_tokens` left and `rate_allowed`, plus its `rate_limit`
    and `period`."""
    sql = _COUNTED_MERCHANT.format(
        columns=_MERCHANT_COLUMNS, kind=_kind(kind), where="api_key = %(key)s", counts="api_secret_hash = %(hash)s"
    )
    return tx.one(
        sql,
        {
            "key": api_key,
            "hash": secret_hash,
            "credential": "key",
            "default_limit": default_limit,
            "default_period": default_period,
        },
    )


def merchant_by_id_counted(tx: Tx, merchant_id: str, kind: str, default_limit: int, default_period: int) -> Row | None:
    """A dashboard session's merchant, counted against the session's own budget."""
    sql = _COUNTED_MERCHANT.format(columns=_MERCHANT_COLUMNS, kind=_kind(kind), where="id = %(id)s", counts="true")
    return tx.one(
        sql,
        {"id": merchant_id, "credential": "session", "default_limit": default_limit, "default_period": default_period},
    )


def _kind(kind: str) -> str:
    if kind not in ("read", "write"):
        raise ValueError(f"no rate limit kind {kind!r}")
    return kind


def sign_in_lockout_seconds(tx: Tx, subjects: list[str]) -> float:
    """How long the longest lockout among `subjects` still runs; 0 when none is locked out."""
    row = tx.one(
        "SELECT coalesce(max(extract(epoch FROM locked_until - now())), 0) AS seconds FROM sign_in_failures"
        " WHERE subject = ANY(%s) AND locked_until > now()",
        (subjects,),
    )
    assert row is not None
    return float(row["seconds"])


def count_sign_in_failure(tx: Tx, subject: str, lock_at: int, window_seconds: int, lockout_seconds: int) -> None:
    """One more failure for `subject` within its window (a new window once it has passed); failure
    number `lock_at` in one window starts a lockout."""
    tx.execute(
        "INSERT INTO sign_in_failures AS f (subject, failures, first_failed_at) VALUES (%(subject)s, 1, now())"
        " ON CONFLICT (subject) DO UPDATE SET"
        "  failures = CASE WHEN f.first_failed_at < now() - make_interval(secs => %(window)s) THEN 1"
        "   ELSE f.failures + 1 END,"
        "  first_failed_at = CASE WHEN f.first_failed_at < now() - make_interval(secs => %(window)s) THEN now()"
        "   ELSE f.first_failed_at END,"
        "  locked_until = CASE WHEN f.first_failed_at >= now() - make_interval(secs => %(window)s)"
        "   AND f.failures + 1 >= %(lock_at)s THEN now() + make_interval(secs => %(lockout)s) ELSE f.locked_until END",
        {"subject": subject, "window": window_seconds, "lock_at": lock_at, "lockout": lockout_seconds},
    )


def clear_sign_in_failures(tx: Tx, subject: str) -> None:
    tx.execute("DELETE FROM sign_in_failures WHERE subject = %s", (subject,))


def merchant_by_email(tx: Tx, email: str) -> Row | None:
    return tx.one(f"SELECT {_MERCHANT_COLUMNS}, password_hash FROM merchants WHERE lower(email) = lower(%s)", (email,))


def insert_merchant(tx: Tx, merchant: dict[str, Any]) -> Row | None:
    """The new merchant, or None when the email is taken (case-insensitively)."""
    return tx.one(
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, api_secret_hint, webhook_secret, password_hash)"
        " SELECT %(name)s, %(email)s, %(api_key)s, %(api_secret_hash)s, %(api_secret_hint)s, %(webhook_secret)s,"
        " %(password_hash)s"
        " WHERE NOT EXISTS (SELECT 1 FROM merchants WHERE lower(email) = lower(%(email)s))"
        f" ON CONFLICT DO NOTHING RETURNING {_MERCHANT_COLUMNS}",
        merchant,
    )


def set_api_secret(tx: Tx, merchant_id: str, secret_hash: str, hint: str) -> Row:
    row = tx.one(
        "UPDATE merchants SET api_secret_hash = %s, api_secret_hint = %s, updated_at = now() WHERE id = %s"
        f" RETURNING {_MERCHANT_COLUMNS}",
        (secret_hash, hint, merchant_id),
    )
    assert row is not None
    return row


def merchant_stats(tx: Tx, merchant_id: str) -> Row:
    row = tx.one(
        "SELECT count(*) AS total_transactions,"
        " coalesce(sum(amount) FILTER (WHERE status = 'success'), 0) AS total_amount,"
        " count(*) FILTER (WHERE status = 'success') AS successful,"
        " count(*) FILTER (WHERE status IN ('success', 'failed')) AS finished"
        " FROM payments WHERE merchant_id = %s",
        (merchant_id,),
    )
    assert row is not None
    return row


def merchant_by_id(tx: Tx, merchant_id: str) -> Row | None:
    return tx.one(f"SELECT {_MERCHANT_COLUMNS} FROM merchants WHERE id = %s", (merchant_id,))


def set_webhook_url(tx: Tx, merchant_id: str, webhook_url: str | None) -> Row:
    row = tx.one(
        "UPDATE merchants SET webhook_url = %s, webhook_failing_since = NULL, updated_at = now() WHERE id = %s"
        f" RETURNING {_MERCHANT_COLUMNS}",
        (webhook_url, merchant_id),
    )
    assert row is not None
    return row


# --- orders -----------------------------------------------------------------------------------


def insert_order(
    tx: Tx, order_id: str, merchant_id: str, amount: int, currency: str, receipt: str | None, notes: Any
) -> Row:
    row = tx.one(
        "INSERT INTO orders (id, merchant_id, amount, currency, receipt, notes)"
        f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_ORDER_COLUMNS}",
        (order_id, merchant_id, amount, currency, receipt, as_json(notes)),
    )
    assert row is not None
    return row


def order_of_merchant(tx: Tx, merchant_id: str, order_id: str, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return tx.one(
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = %s AND merchant_id = %s{lock}", (order_id, merchant_id)
    )


def set_order_status(tx: Tx, order_id: str, status: str) -> None:
    tx.execute("UPDATE orders SET status = %s, updated_at = now() WHERE id = %s", (status, order_id))


# --- payments ---------------------------------------------------------------------------------


def insert_payment(tx: Tx, payment: dict[str, Any]) -> Row:
    row = tx.one(
        "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, vpa, card_network, card_last4)"
        " VALUES (%(id)s, %(order_id)s, %(merchant_id)s, %(amount)s, %(currency)s, %(method)s,"
        f" %(vpa)s, %(card_network)s, %(card_last4)s) RETURNING {_PAYMENT_COLUMNS}",
        payment,
    )
    assert row is not None
    return row


def live_payment_for_order(tx: Tx, order_id: str) -> Row | None:
    return tx.one(
        f"SELECT {_PAYMENT_COLUMNS} FROM payments"
        " WHERE order_id = %s AND status IN ('pending', 'processing', 'success')",
        (order_id,),
    )


def payment_of_merchant(tx: Tx, merchant_id: str, payment_id: str) -> Row | None:
    return tx.one(
        f"SELECT {_PAYMENT_COLUMNS} FROM payments WHERE id = %s AND merchant_id = %s", (payment_id, merchant_id)
    )


def claim_payment(tx: Tx, payment_id: str, lease_seconds: int) -> Row | None:
    """pending → processing; also takes over a `processing` claim whose consumer died (lease expired)."""
    return tx.one(
        "UPDATE payments SET status = 'processing', processing_started_at = clock_timestamp(), updated_at = now()"
        " WHERE id = %s AND (status = 'pending' OR (status = 'processing'"
        "   AND processing_started_at < clock_timestamp() - make_interval(secs => %s)))"
        f" RETURNING {_PAYMENT_COLUMNS}",
        (payment_id, lease_seconds),
    )


def finish_payment(
    tx: Tx, payment_id: str, claimed_at: Any, status: str, error_code: str | None, error_description: str | None
) -> Row | None:
    """processing → success/failed, only for the consumer whose claim is still current."""
    return tx.one(
        "UPDATE payments SET status = %s, error_code = %s, error_description = %s, updated_at = now()"
        " WHERE id = %s AND status = 'processing' AND processing_started_at = %s"
        f" RETURNING {_PAYMENT_COLUMNS}",
        (status, error_code, error_description, payment_id, claimed_at),
    )


def capture_payment(tx: Tx, merchant_id: str, payment_id: str) -> Row | None:
    return tx.one(
        "UPDATE payments SET captured = true, captured_at = now(), updated_at = now()"
        " WHERE id = %s AND merchant_id = %s AND status = 'success' AND NOT captured"
        f" RETURNING {_PAYMENT_COLUMNS}",
        (payment_id, merchant_id),
    )


def stuck_payments(tx: Tx, stuck_after_seconds: int, lease_seconds: int, limit: int) -> list[str]:
    """Payments no consumer is working on: pending too long, or processing past the lease.

    Marks them re-enqueued (locked rows, skipped if another relay holds them).
    """
    rows = tx.all(
        "UPDATE payments SET requeued_at = now() WHERE id IN ("
        " SELECT p.id FROM payments p"
        " WHERE ((p.status = 'pending' AND GREATEST(p.created_at, p.requeued_at) < now() - make_interval(secs => %s))"
        "     OR (p.status = 'processing'"
        "         AND GREATEST(p.processing_started_at, p.requeued_at) < now() - make_interval(secs => %s)))"
        " ORDER BY p.created_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id",
        (stuck_after_seconds, lease_seconds, limit),
    )
    return [row["id"] for row in rows]


# --- lists ------------------------------------------------------------------------------------


# Lists count matching rows up to this many: a count is as costly as the rows it visits, so an
# exact count of a million-row list would cost every first page ~100 ms (README, "Lists").
COUNT_CAP = 10_000


@dataclass(frozen=True)
class PageRows:
    rows: list[Row]
    total: int  # matching rows, at most COUNT_CAP
    total_capped: bool  # more than COUNT_CAP rows match
    has_more: bool  # more rows follow this page


def _page(
    tx: Tx,
    table: str,
    columns: str,
    where: list[str],
    params: list[Any],
    limit: int,
    offset: int,
    starting_after: str | None,
) -> PageRows | None:
    """One page newest first, the filtered total (capped), and whether more rows follow the page.

    None when `starting_after` names no row of this merchant (`where` starts with the merchant)."""
    condition = " AND ".join(where)
    page_where, page_params = list(where), list(params)
    if starting_after:
        cursor = tx.one(
            f"SELECT id, created_at FROM {table} WHERE id = %s AND merchant_id = %s", (starting_after, params[0])
        )
        if cursor is None:
            return None
        page_where.append("(created_at, id) < (%s, %s)")
        page_params += [cursor["created_at"], cursor["id"]]
    counted = tx.one(
        f"SELECT count(*) AS n FROM (SELECT 1 FROM {table} WHERE {condition} LIMIT %s) AS matching",
        [*params, COUNT_CAP + 1],
    )
    assert counted is not None
    rows = tx.all(
        f"SELECT {columns} FROM {table} WHERE {' AND '.join(page_where)}"
        " ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
        [*page_params, limit + 1, offset],
    )
    matching = int(counted["n"])
    return PageRows(rows[:limit], min(matching, COUNT_CAP), matching > COUNT_CAP, len(rows) > limit)


def _filters(merchant_id: str, filters: dict[str, Any]) -> tuple[list[str], list[Any]]:
    where, params = ["merchant_id = %s"], [merchant_id]
    for column in ("status", "method", "order_id", "payment_id"):  # only keys a list's query declares
        if filters.get(column) is not None:
            where.append(f"{column} = %s")
            params.append(filters[column])
    if filters.get("created_from") is not None:
        where.append("created_at >= %s")
        params.append(filters["created_from"])
    if filters.get("created_to") is not None:
        where.append("created_at <= %s")
        params.append(filters["created_to"])
    return where, params


def list_payments(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageRows | None:
    """None when `starting_after` names no payment of this merchant."""
    where, params = _filters(merchant_id, filters)
    if filters.get("search"):
        where.append("(id = %s OR order_id = %s)")
        params += [filters["search"], filters["search"]]
    return _page(tx, "payments", _PAYMENT_COLUMNS, where, params, limit, offset, starting_after)


def list_orders(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageRows | None:
    where, params = _filters(merchant_id, filters)
    if filters.get("search"):
        where.append("id = %s")
        params.append(filters["search"])
    return _page(tx, "orders", _ORDER_COLUMNS, where, params, limit, offset, starting_after)


# --- refunds ----------------------------------------------------------------------------------


def lock_payment_of_merchant(tx: Tx, merchant_id: str, payment_id: str) -> Row | None:
    return tx.one(
        f"SELECT {_PAYMENT_COLUMNS} FROM payments WHERE id = %s AND merchant_id = %s FOR UPDATE",
        (payment_id, merchant_id),
    )


def reserve_refund(tx: Tx, payment_id: str, amount: int) -> bool:
    """Adds to the payment's refunded total unless that would exceed the payment amount."""
    return (
        tx.execute(
            "UPDATE payments SET amount_refunded = amount_refunded + %s, updated_at = now()"
            " WHERE id = %s AND amount_refunded + %s <= amount",
            (amount, payment_id, amount),
        )
        == 1
    )


def insert_refund(tx: Tx, refund_id: str, payment_id: str, merchant_id: str, amount: int, reason: str | None) -> Row:
    row = tx.one(
        "INSERT INTO refunds (id, payment_id, merchant_id, amount, reason)"
        f" VALUES (%s, %s, %s, %s, %s) RETURNING {_REFUND_COLUMNS}",
        (refund_id, payment_id, merchant_id, amount, reason),
    )
    assert row is not None
    return row


def refund_totals(tx: Tx, payment_id: str) -> Row:
    row = tx.one(
        "SELECT coalesce(sum(amount), 0) AS reserved,"
        " coalesce(sum(amount) FILTER (WHERE status = 'processed'), 0) AS processed"
        " FROM refunds WHERE payment_id = %s",
        (payment_id,),
    )
    assert row is not None
    return row


def refund_by_id(tx: Tx, refund_id: str) -> Row | None:
    return tx.one(f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE id = %s", (refund_id,))


def refund_of_merchant(tx: Tx, merchant_id: str, refund_id: str) -> Row | None:
    return tx.one(f"SELECT {_REFUND_COLUMNS} FROM refunds WHERE id = %s AND merchant_id = %s", (refund_id, merchant_id))


def mark_refund_processed(tx: Tx, refund_id: str) -> Row | None:
    return tx.one(
        "UPDATE refunds SET status = 'processed', processed_at = now() WHERE id = %s AND status = 'pending'"
        f" RETURNING {_REFUND_COLUMNS}",
        (refund_id,),
    )


def list_refunds(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageRows | None:
    where, params = _filters(merchant_id, filters)
    if filters.get("search"):
        where.append("(id = %s OR payment_id = %s)")
        params += [filters["search"], filters["search"]]
    return _page(tx, "refunds", _REFUND_COLUMNS, where, params, limit, offset, starting_after)


# --- idempotency ------------------------------------------------------------------------------


def try_lock_idempotency_key(tx: Tx, merchant_id: str, key: str) -> bool:
    """Transaction-scoped: released at commit or rollback, and when a crashed request's session ends."""
    row = tx.one(
        "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)) AS locked", (f"idempotency:{merchant_id}:{key}",)
    )
    return bool(row and row["locked"])


def idempotency_record(tx: Tx, merchant_id: str, key: str) -> Row | None:
    return tx.one(
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


# --- webhook logs -----------------------------------------------------------------------------

_WEBHOOK_COLUMNS = (
    "id, event_id, merchant_id, payment_id, endpoint_id, event, status, attempts, created_at, last_attempt_at,"
    " next_retry_at, response_code"
)


def insert_webhook_log(
    tx: Tx, merchant_id: str, event_id: str, event: str, payload: str, payment_id: str | None
) -> str:
    row = tx.one(
        "INSERT INTO webhook_logs (merchant_id, event_id, event, payload, payment_id)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (merchant_id, event_id, event, payload, payment_id),
    )
    assert row is not None
    return str(row["id"])


# The endpoints an event goes to, in one statement with the deliveries it creates: the merchant's
# default endpoint (when it has a URL) and every enabled endpoint whose filter names the event, its
# family or `*`. Each delivery comes back with whether its endpoint is failing (its queue lane).
_DELIVER_TO_TARGETS = (
    " targets AS (SELECT NULL::varchar AS endpoint_id, %(default_failing)s::boolean AS failing"
    "  WHERE %(to_default)s"
    "  UNION ALL SELECT id, failing_since IS NOT NULL FROM webhook_endpoints"
    "  WHERE merchant_id = %(merchant_id)s AND NOT disabled AND deleted_at IS NULL"
    "  AND enabled_events && ARRAY['*', %(event)s, %(family)s]::text[]),"
    " inserted AS (INSERT INTO webhook_logs"
    "  (merchant_id, event_id, event, payload, payment_id, endpoint_id, created_at)"
    "  SELECT %(merchant_id)s, stored.id, %(event)s, %(payload)s, %(payment_id)s, targets.endpoint_id,"
    "  clock_timestamp()"
    "  FROM stored, targets RETURNING id, endpoint_id)"
    " SELECT inserted.id, inserted.endpoint_id, targets.failing FROM inserted"
    " JOIN targets ON inserted.endpoint_id IS NOT DISTINCT FROM targets.endpoint_id"
)


@dataclass(frozen=True)
class EventTarget:
    """The merchant's default endpoint, as the authenticating read found it."""

    has_url: bool
    failing: bool


def insert_event(
    tx: Tx,
    merchant_id: str,
    event_id: str,
    event: str,
    payload: str,
    payment_id: str | None,
    default_endpoint: EventTarget,
) -> list[Row]:
    """Stores the event and a delivery to each endpoint subscribed to it, in one statement (one
    round trip on the hot path): the deliveries' `id`, `endpoint_id` and `failing`."""
    # clock_timestamp: events of one transaction (payment.created, payment.pending) list in order.
    stored = (
        "WITH stored AS (INSERT INTO events (id, merchant_id, type, payload, payment_id, created_at)"
        " VALUES (%(event_id)s, %(merchant_id)s, %(event)s, %(payload)s, %(payment_id)s, clock_timestamp())"
        " RETURNING id),"
    )
    return tx.all(
        stored + _DELIVER_TO_TARGETS,
        _delivery_params(merchant_id, event_id, event, payload, payment_id, default_endpoint),
    )


def insert_deliveries(tx: Tx, merchant_id: str, event: Row, default_endpoint: EventTarget) -> list[Row]:
    """New deliveries of a stored event to every endpoint subscribed to it now (a redelivery)."""
    return tx.all(
        "WITH stored AS (SELECT %(event_id)s::varchar AS id)," + _DELIVER_TO_TARGETS,
        _delivery_params(
            merchant_id, event["id"], event["type"], event["payload"], event["payment_id"], default_endpoint
        ),
    )


def _delivery_params(
    merchant_id: str, event_id: str, event: str, payload: str, payment_id: str | None, default: EventTarget
) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "event_id": event_id,
        "event": event,
        "family": event.split(".")[0] + ".*",
        "payload": payload,
        "payment_id": payment_id,
        "to_default": default.has_url,
        "default_failing": default.failing,
    }


_EVENT_COLUMNS = "id, type, payment_id, payload, created_at"


def list_events(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageRows | None:
    """None when `starting_after` names no event of this merchant. A `type` ending in `.*` is a prefix."""
    where, params = _filters(merchant_id, filters)
    event_type = filters.get("type")
    if event_type and event_type.endswith(".*"):
        where.append("type LIKE %s")
        params.append(event_type[:-1] + "%")  # types are [a-z_.]: no LIKE wildcard to escape
    elif event_type:
        where.append("type = %s")
        params.append(event_type)
    if filters.get("search"):
        where.append("(id = %s OR payment_id = %s)")
        params += [filters["search"], filters["search"]]
    return _page(tx, "events", _EVENT_COLUMNS, where, params, limit, offset, starting_after)


def event_of_merchant(tx: Tx, merchant_id: str, event_id: str) -> Row | None:
    return tx.one(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = %s AND merchant_id = %s", (event_id, merchant_id))


def deliveries_of_event(tx: Tx, merchant_id: str, event_id: str) -> list[Row]:
    return tx.all(
        f"SELECT {_WEBHOOK_COLUMNS} FROM webhook_logs WHERE event_id = %s AND merchant_id = %s ORDER BY created_at",
        (event_id, merchant_id),
    )


def purge_old_events(tx: Tx, older_than_days: int, limit: int) -> int:
    return tx.execute(
        "DELETE FROM events WHERE id IN (SELECT id FROM events"
        " WHERE created_at < now() - make_interval(days => %s) ORDER BY created_at LIMIT %s)",
        (older_than_days, limit),
    )


def claim_pending_webhooks(tx: Tx, webhook_log_ids: list[str], claim: str, lease_seconds: float) -> list[Row]:
    """Claims those of these deliveries that are pending, due and not claimed by a live consumer
    (`claim` until `lease_seconds` from now), and returns them with their endpoint's URL and
    secrets (the merchant's default endpoint, or one of its endpoints: no URL once that one is
    disabled or deleted). Committed before anything is posted: a duplicate message, or a second
    consumer, finds the delivery claimed and posts nothing; a crashed consumer's claim expires. A
    message that arrives before its retry time (a stray duplicate) claims nothing."""
    return tx.all(
        "WITH claimed AS (UPDATE webhook_logs SET delivery_claim = %(claim)s,"
        "  delivering_until = now() + make_interval(secs => %(lease)s)"
        "  WHERE id IN (SELECT id FROM webhook_logs WHERE id = ANY(%(ids)s::uuid[]) AND status = 'pending'"
        "   AND (delivering_until IS NULL OR delivering_until <= now())"
        "   AND (next_retry_at IS NULL OR next_retry_at <= now() + interval '1 second')"
        "   FOR UPDATE SKIP LOCKED)"
        "  RETURNING id, merchant_id, endpoint_id, event_id, event, payload, attempts)"
        " SELECT w.id, w.merchant_id, w.endpoint_id, w.event_id, w.event, w.payload, w.attempts,"
        " CASE WHEN w.endpoint_id IS NULL THEN m.webhook_url"
        "  WHEN e.disabled OR e.deleted_at IS NOT NULL THEN NULL ELSE e.url END AS webhook_url,"
        " CASE WHEN w.endpoint_id IS NULL THEN m.webhook_secret ELSE e.secret END AS webhook_secret,"
        " CASE WHEN w.endpoint_id IS NULL AND m.webhook_secret_previous_until > now() THEN m.webhook_secret_previous"
        "  WHEN w.endpoint_id IS NOT NULL AND e.secret_previous_until > now() THEN e.secret_previous"
        "  END AS webhook_secret_previous"
        " FROM claimed w JOIN merchants m ON m.id = w.merchant_id"
        " LEFT JOIN webhook_endpoints e ON e.id = w.endpoint_id",
        {"claim": claim, "lease": lease_seconds, "ids": webhook_log_ids},
    )


def mark_endpoint(tx: Tx, merchant_id: str, endpoint_id: str | None, webhook_url: str, failing: bool) -> None:
    """Flags or clears an endpoint as failing (the merchant's default one when `endpoint_id` is
    None); writes only when the state changes (most attempts change nothing, and then take no lock)."""
    table, column, url_column = (
        ("merchants", "webhook_failing_since", "webhook_url")
        if endpoint_id is None
        else ("webhook_endpoints", "failing_since", "url")
    )
    change = f"{column} = now()" if failing else f"{column} = NULL"
    state = f"{column} IS NULL" if failing else f"{column} IS NOT NULL"
    tx.execute(
        f"UPDATE {table} SET {change} WHERE id = %s AND {url_column} = %s AND {state}",
        (endpoint_id or merchant_id, webhook_url),
    )


def endpoint_failing(tx: Tx, merchant_id: str, endpoint_id: str | None) -> bool:
    """Whether a delivery's endpoint is failing now (its next attempt goes through the slow lane)."""
    if endpoint_id is None:
        row = tx.one("SELECT webhook_failing_since IS NOT NULL AS failing FROM merchants WHERE id = %s", (merchant_id,))
    else:
        row = tx.one("SELECT failing_since IS NOT NULL AS failing FROM webhook_endpoints WHERE id = %s", (endpoint_id,))
    return bool(row and row["failing"])


@dataclass(frozen=True)
class WebhookAttemptRecord:
    webhook_log_id: str
    status: str
    next_retry_in_seconds: int | None
    response_code: int | None
    response_body: str | None
    error: str | None
    latency_ms: int


def record_webhook_attempts(tx: Tx, claim: str, attempts: list[WebhookAttemptRecord]) -> dict[str, Row]:
    """Each attempt in the history and on its log, for a whole batch in one statement, where the
    log is still pending under this `claim` (a claim that expired and was taken over records
    nothing: the new holder records its own attempt); the claim is released. Returns each recorded
    log's `next_retry_at` and `attempts` by its id."""
    if not attempts:
        return {}
    columns = list(zip(*(astuple(attempt) for attempt in attempts), strict=True))
    rows = tx.all(
        "WITH a AS (SELECT * FROM unnest(%s::uuid[], %s::text[], %s::int[], %s::int[], %s::text[], %s::text[],"
        "  %s::int[]) AS a (id, status, delay, response_code, response_body, error, latency_ms)),"
        " recorded AS (UPDATE webhook_logs w SET status = a.status, attempts = w.attempts + 1,"
        "  last_attempt_at = now(), response_code = a.response_code, response_body = a.response_body,"
        "  last_error = a.error, delivery_claim = NULL, delivering_until = NULL,"
        "  next_retry_at = CASE WHEN a.delay IS NULL THEN NULL ELSE now() + make_interval(secs => a.delay) END"
        "  FROM a WHERE w.id = a.id AND w.status = 'pending' AND w.delivery_claim = %s::uuid"
        "  RETURNING w.id, w.next_retry_at, w.attempts),"
        " history AS (INSERT INTO webhook_attempts (webhook_log_id, response_code, latency_ms, error, response_body)"
        "  SELECT a.id, a.response_code, a.latency_ms, a.error, a.response_body FROM a JOIN recorded r ON r.id = a.id)"
        " SELECT id, next_retry_at, attempts FROM recorded",
        [*(list(column) for column in columns), claim],
    )
    return {str(row["id"]): row for row in rows}


# A delivery expires when it is final (delivered, failed for good or skipped) and its last activity
# (its last attempt, or its creation) is older than the retention.
_EXPIRED_WEBHOOK_LOG = (
    "w.status <> 'pending' AND coalesce(w.last_attempt_at, w.created_at) < now() - make_interval(days => %s)"
)


def purge_expired_webhook_attempts(tx: Tx, older_than_days: int, limit: int) -> int:
    """At most `limit` attempts of expired deliveries, oldest first."""
    return tx.execute(
        "DELETE FROM webhook_attempts WHERE id IN (SELECT a.id FROM webhook_attempts a"
        f" JOIN webhook_logs w ON w.id = a.webhook_log_id WHERE {_EXPIRED_WEBHOOK_LOG} ORDER BY a.id LIMIT %s)",
        (older_than_days, limit),
    )


def purge_expired_webhook_logs(tx: Tx, older_than_days: int, limit: int) -> int:
    """At most `limit` expired deliveries whose attempts are purged already (so the cascade deletes
    nothing more: the batch stays bounded)."""
    return tx.execute(
        "DELETE FROM webhook_logs WHERE id IN (SELECT w.id FROM webhook_logs w"
        f" WHERE {_EXPIRED_WEBHOOK_LOG}"
        " AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.webhook_log_id = w.id)"
        " ORDER BY coalesce(w.last_attempt_at, w.created_at) LIMIT %s)",
        (older_than_days, limit),
    )


def skip_webhook(tx: Tx, webhook_log_id: str, reason: str) -> None:
    tx.execute(
        "UPDATE webhook_logs SET status = 'skipped', last_error = %s, next_retry_at = NULL,"
        " delivery_claim = NULL, delivering_until = NULL WHERE id = %s",
        (reason, webhook_log_id),
    )


def webhook_log_of_merchant(tx: Tx, merchant_id: str, webhook_log_id: str) -> Row | None:
    return tx.one(
        f"SELECT {_WEBHOOK_COLUMNS}, payload, last_error FROM webhook_logs WHERE id = %s AND merchant_id = %s",
        (webhook_log_id, merchant_id),
    )


def webhook_attempts(tx: Tx, webhook_log_id: str) -> list[Row]:
    return tx.all(
        "SELECT attempted_at, response_code, latency_ms, error, response_body FROM webhook_attempts"
        " WHERE webhook_log_id = %s ORDER BY id",
        (webhook_log_id,),
    )


def reset_webhook_for_retry(tx: Tx, merchant_id: str, webhook_log_id: str) -> Row | None:
    return tx.one(
        "UPDATE webhook_logs SET status = 'pending', attempts = 0, next_retry_at = NULL, requeued_at = NULL"
        " WHERE id = %s AND merchant_id = %s AND status <> 'pending' RETURNING id, endpoint_id",
        (webhook_log_id, merchant_id),
    )


def list_webhook_logs(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageRows | None:
    where, params = _filters(merchant_id, filters)
    if filters.get("event"):
        where.append("event = %s")
        params.append(filters["event"])
    if filters.get("search"):
        where.append("(event_id = %s OR payment_id = %s)")
        params += [filters["search"], filters["search"]]
    if filters.get("endpoint_id") == "default":
        where.append("endpoint_id IS NULL")
    elif filters.get("endpoint_id"):
        where.append("endpoint_id = %s")
        params.append(filters["endpoint_id"])
    return _page(tx, "webhook_logs", _WEBHOOK_COLUMNS, where, params, limit, offset, starting_after)


# --- webhook endpoints ------------------------------------------------------------------------

_ENDPOINT_COLUMNS = "id, url, secret, enabled_events, description, disabled, failing_since, created_at, updated_at"


def insert_webhook_endpoint(
    tx: Tx,
    endpoint_id: str,
    merchant_id: str,
    url: str,
    secret: str,
    enabled_events: list[str],
    description: str | None,
) -> Row:
    row = tx.one(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, enabled_events, description)"
        f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_ENDPOINT_COLUMNS}",
        (endpoint_id, merchant_id, url, secret, enabled_events, description),
    )
    assert row is not None
    return row


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


def lost_webhook_retries(tx: Tx, older_than_seconds: int, limit: int) -> list[str]:
    """Pending deliveries whose message or schedule never came: due long ago, not re-enqueued lately."""
    rows = tx.all(
        "UPDATE webhook_logs SET requeued_at = now() WHERE id IN ("
        " SELECT id FROM webhook_logs WHERE status = 'pending'"
        " AND GREATEST(coalesce(next_retry_at, created_at), requeued_at) < now() - make_interval(secs => %s)"
        " ORDER BY coalesce(next_retry_at, created_at) LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id",
        (older_than_seconds, limit),
    )
    return [str(row["id"]) for row in rows]


def set_webhook_secret(tx: Tx, merchant_id: str, secret: str, grace_seconds: int) -> Row:
    """A new default secret; the one it replaces keeps signing beside it for `grace_seconds`."""
    row = tx.one(
        "UPDATE merchants SET webhook_secret_previous = webhook_secret,"
        " webhook_secret_previous_until = now() + make_interval(secs => %s), webhook_secret = %s, updated_at = now()"
        f" WHERE id = %s RETURNING {_MERCHANT_COLUMNS}",
        (grace_seconds, secret, merchant_id),
    )
    assert row is not None
    return row


# --- outbox -----------------------------------------------------------------------------------


def add_outbox(tx: Tx, queue: str, body: str, delay_seconds: int = 0) -> int:
    row = tx.one(
        "INSERT INTO outbox (queue, body, delay_seconds) VALUES (%s, %s, %s) RETURNING id",
        (queue, body, delay_seconds),
    )
    assert row is not None
    return int(row["id"])


def mark_outbox_sent(tx: Tx, outbox_ids: list[int]) -> None:
    tx.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY(%s) AND sent_at IS NULL", (outbox_ids,))


def lock_unsent_outbox_rows(tx: Tx, outbox_ids: list[int]) -> list[Row]:
    """Those of the given rows still unsent and not held by another sender, locked, in id order."""
    return tx.all(
        "SELECT id, queue, body, delay_seconds FROM outbox WHERE id = ANY(%s) AND sent_at IS NULL"
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


def lock_unsent_outbox(tx: Tx, older_than_seconds: int, limit: int) -> list[Row]:
    """Messages whose post-commit send failed (older than the grace period), locked for one relay."""
    return tx.all(
        "SELECT id, queue, body, delay_seconds FROM outbox"
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


# --- operations -------------------------------------------------------------------------------


def ping(tx: Tx) -> None:
    tx.one("SELECT 1")


def job_counts(tx: Tx) -> Row:
    row = tx.one(
        "SELECT"
        " (SELECT count(*) FROM payments WHERE status = 'pending')"
        "   + (SELECT count(*) FROM refunds WHERE status = 'pending')"
        "   + (SELECT count(*) FROM webhook_logs WHERE status = 'pending') AS pending,"
        " (SELECT count(*) FROM payments WHERE status = 'processing') AS processing,"
        " (SELECT count(*) FROM payments WHERE status IN ('success', 'failed'))"
        "   + (SELECT count(*) FROM refunds WHERE status = 'processed')"
        "   + (SELECT count(*) FROM webhook_logs WHERE status IN ('success', 'skipped')) AS completed,"
        " (SELECT count(*) FROM webhook_logs WHERE status = 'failed') AS failed"
    )
    assert row is not None
    return row
