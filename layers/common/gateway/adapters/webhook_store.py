"""SQL of webhook deliveries: claims, attempts, retries, the delivery log, retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from psycopg.rows import class_row

from gateway.adapters.endpoint_store import in_slow_lane
from gateway.adapters.list_pages import PageOf, filter_conditions, select_page_as
from gateway.adapters.postgres import Tx

# A delivery as the merchant's log shows it (FROM webhook_logs): a delivery to the default endpoint
# names no endpoint (null), as the API has always said.
WEBHOOK_COLUMNS = (
    "id, event_id, merchant_id, payment_id,"
    " (SELECT e.id FROM webhook_endpoints e WHERE e.id = webhook_logs.endpoint_id AND NOT e.is_default) AS endpoint_id,"
    " event, status, attempts, created_at, last_attempt_at, next_retry_at, response_code"
)


@dataclass(frozen=True, slots=True)
class WebhookLogRow:
    """A delivery as WEBHOOK_COLUMNS selects it."""

    id: str
    event_id: str
    merchant_id: str
    payment_id: str | None
    endpoint_id: str | None  # None: the merchant's default endpoint
    event: str
    status: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_retry_at: datetime | None
    response_code: int | None


@dataclass(frozen=True, slots=True)
class WebhookLogDetailRow(WebhookLogRow):
    payload: str  # the exact bytes signed and sent
    last_error: str | None


class AttemptRow(NamedTuple):
    attempted_at: datetime
    response_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None


class ClaimedRow(NamedTuple):
    """A delivery as claim_pending_webhooks decided it."""

    id: str
    merchant_id: str
    endpoint_id: str
    event_id: str
    event: str
    payload: str
    attempts: int
    webhook_url: str | None  # None: disabled or deleted, or no URL (`no_url`)
    no_url: bool
    webhook_secret: str
    webhook_secret_previous: str | None  # still signing beside the new one, for its grace period
    action: str  # 'post', 'skip', 'move' or 'defer'
    delay: int  # seconds ('defer')


class RecordedRow(NamedTuple):
    id: str
    next_retry_at: datetime | None
    attempts: int


class ResetRow(NamedTuple):
    id: str
    endpoint_id: str | None


WEBHOOK_LOG = class_row(WebhookLogRow)
_DETAIL = class_row(WebhookLogDetailRow)
_ATTEMPT = class_row(AttemptRow)
_CLAIMED = class_row(ClaimedRow)
_RECORDED = class_row(RecordedRow)
_RESET = class_row(ResetRow)


def insert_webhook_log(
    tx: Tx, merchant_id: str, endpoint_id: str, event_id: str, event: str, payload: str, payment_id: str | None
) -> str:
    row = tx.one(
        "INSERT INTO webhook_logs (merchant_id, endpoint_id, event_id, event, payload, payment_id)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (merchant_id, endpoint_id, event_id, event, payload, payment_id),
    )
    assert row is not None
    return str(row["id"])


# Each endpoint's transaction-scoped advisory locks live in this namespace (the first key).
_ENDPOINT_LOCK_NAMESPACE = 25_013


class ClaimRules(NamedTuple):
    """How a consumer claims: `fast_lane` when it reads the fast queue (a delivery whose endpoint is
    failing or slow is moved to the slow lane there, not posted); at most `cap` claims of one
    endpoint in flight at once, the deliveries past it put off by `fast_defer_seconds` when the
    endpoint answers fast (on either lane: the slow lane carries a healthy endpoint's retries and
    re-enqueued deliveries too), and when it is failing or slow by a wait spread over its backlog
    drained at `cap` posts per `post_seconds` (at least `slow_defer_seconds`, at most
    `max_defer_seconds`)."""

    fast_lane: bool
    cap: int
    fast_defer_seconds: int
    slow_defer_seconds: int
    max_defer_seconds: int
    post_seconds: float


# No lane and no cap: every due delivery named is claimed.
CLAIM_ALL = ClaimRules(
    fast_lane=False, cap=2**31 - 1, fast_defer_seconds=1, slow_defer_seconds=1, max_defer_seconds=1, post_seconds=0
)


def claim_pending_webhooks(
    tx: Tx, webhook_log_ids: list[str], claim: str, lease_seconds: float, rules: ClaimRules = CLAIM_ALL
) -> list[ClaimedRow]:
    """Decides each of these deliveries that is pending, due and not claimed by a live consumer,
    and returns it with its `action`:

    - 'post': claimed (`claim` until `lease_seconds` from now), with its endpoint's URL and secrets
      (the merchant's default endpoint, or one of its endpoints);
    - 'skip': claimed too, and its endpoint has no URL (disabled or deleted): nothing to post;
    - 'move' (fast lane only): its endpoint is failing or slow; left as it is, for the slow lane;
    - 'defer': its endpoint already has `cap` claims in flight; left unclaimed, its `next_retry_at`
      moved `delay` seconds on (a message that comes before it claims nothing, so a copy of the
      message does not multiply the delivery's messages).

    An endpoint's oldest deliveries are claimed first. The endpoints' claims are counted under a
    transaction-scoped lock per endpoint, so concurrent consumers never claim past the cap together.
    Committed before anything is posted: a duplicate message, or a second consumer, finds the
    delivery claimed and posts nothing; a crashed consumer's claim expires. A message that arrives
    before its retry time (a stray duplicate) is given nothing."""
    ids = {"ids": webhook_log_ids}
    # Locks in one order (by key) everywhere: two consumers never wait on each other in a cycle.
    tx.execute(
        "SELECT pg_advisory_xact_lock(%(namespace)s, k) FROM (SELECT DISTINCT"
        " hashtext(merchant_id::text || '/' || endpoint_id) AS k FROM webhook_logs"
        " WHERE id = ANY(%(ids)s::uuid[]) AND status = 'pending' ORDER BY k) keys",
        {**ids, "namespace": _ENDPOINT_LOCK_NAMESPACE},
    )
    # In-flight claims and backlog are counted on webhook_logs_{claimed,pending}_endpoint_idx.
    return tx.all_as(
        _CLAIMED,
        "WITH candidate AS (SELECT w.id, w.merchant_id, w.endpoint_id, w.event_id, w.event, w.payload,"
        "  w.attempts, w.created_at,"
        "  CASE WHEN e.disabled OR e.deleted_at IS NOT NULL THEN NULL ELSE e.url END AS webhook_url,"
        "  e.url IS NULL AS no_url, e.secret AS webhook_secret,"
        "  CASE WHEN e.secret_previous_until > now() THEN e.secret_previous END AS webhook_secret_previous,"
        f"  {in_slow_lane('e')} AS slow_lane"
        "  FROM webhook_logs w JOIN webhook_endpoints e ON e.id = w.endpoint_id"
        "  WHERE w.id = ANY(%(ids)s::uuid[]) AND w.status = 'pending'"
        "  AND (w.delivering_until IS NULL OR w.delivering_until <= now())"
        "  AND (w.next_retry_at IS NULL OR w.next_retry_at <= now() + interval '1 second')"
        "  FOR UPDATE OF w SKIP LOCKED),"
        " endpoint AS (SELECT k.merchant_id, k.endpoint_id,"
        "  (SELECT count(*) FROM webhook_logs f WHERE f.merchant_id = k.merchant_id"
        "   AND f.endpoint_id = k.endpoint_id AND f.delivering_until > now()) AS in_flight,"
        "  (SELECT count(*) FROM (SELECT 1 FROM webhook_logs p WHERE p.merchant_id = k.merchant_id"
        "   AND p.endpoint_id = k.endpoint_id AND p.status = 'pending' LIMIT 10000) b) AS backlog"
        "  FROM (SELECT DISTINCT merchant_id, endpoint_id FROM candidate) k),"
        " decided AS (SELECT c.id, CASE WHEN c.webhook_url IS NULL THEN 'skip'"
        "   WHEN %(fast_lane)s AND c.slow_lane THEN 'move'"
        "   WHEN n.in_flight + row_number() OVER (PARTITION BY c.merchant_id, c.endpoint_id"
        "    ORDER BY c.created_at, c.id) > %(cap)s THEN 'defer'"
        "   ELSE 'post' END AS action,"
        "  CASE WHEN %(fast_lane)s OR NOT c.slow_lane THEN %(fast_defer)s ELSE least(%(max_defer)s, %(slow_defer)s"
        "   + ceil(random() * n.backlog * %(post_seconds)s / %(cap)s))::int END AS delay"
        "  FROM candidate c JOIN endpoint n USING (merchant_id, endpoint_id)),"
        " claimed AS (UPDATE webhook_logs w SET delivery_claim = %(claim)s,"
        "  delivering_until = now() + make_interval(secs => %(lease)s)"
        "  FROM decided d WHERE w.id = d.id AND d.action IN ('post', 'skip') RETURNING w.id),"
        " deferred AS (UPDATE webhook_logs w SET next_retry_at = now() + make_interval(secs => d.delay)"
        "  FROM decided d WHERE w.id = d.id AND d.action = 'defer' RETURNING w.id)"
        " SELECT c.id, c.merchant_id, c.endpoint_id, c.event_id, c.event, c.payload, c.attempts, c.webhook_url,"
        "  c.no_url, c.webhook_secret, c.webhook_secret_previous, d.action, d.delay"
        " FROM candidate c JOIN decided d ON d.id = c.id"
        " ORDER BY c.created_at, c.id",
        {
            **ids,
            "claim": claim,
            "lease": lease_seconds,
            "fast_lane": rules.fast_lane,
            "cap": rules.cap,
            "fast_defer": rules.fast_defer_seconds,
            "slow_defer": rules.slow_defer_seconds,
            "max_defer": rules.max_defer_seconds,
            "post_seconds": rules.post_seconds,
        },
    )


class WebhookAttemptRecord(NamedTuple):
    webhook_log_id: str
    status: str
    next_retry_in_seconds: int | None
    response_code: int | None
    response_body: str | None
    error: str | None
    latency_ms: int


def record_webhook_attempts(tx: Tx, claim: str, attempts: list[WebhookAttemptRecord]) -> dict[str, RecordedRow]:
    """Each attempt in the history and on its log, for a whole batch in one statement, where the
    log is still pending under this `claim` (a claim that expired and was taken over records
    nothing: the new holder records its own attempt); the claim is released. Returns each recorded
    log's `next_retry_at` and `attempts` by its id."""
    if not attempts:
        return {}
    columns = list(zip(*(tuple(attempt) for attempt in attempts), strict=True))
    rows = tx.all_as(
        _RECORDED,
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
    return {row.id: row for row in rows}


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


def webhook_log_of_merchant(tx: Tx, merchant_id: str, webhook_log_id: str) -> WebhookLogDetailRow | None:
    return tx.one_as(
        _DETAIL,
        f"SELECT {WEBHOOK_COLUMNS}, payload, last_error FROM webhook_logs WHERE id = %s AND merchant_id = %s",
        (webhook_log_id, merchant_id),
    )


def webhook_attempts(tx: Tx, webhook_log_id: str) -> list[AttemptRow]:
    return tx.all_as(
        _ATTEMPT,
        "SELECT attempted_at, response_code, latency_ms, error, response_body FROM webhook_attempts"
        " WHERE webhook_log_id = %s ORDER BY id",
        (webhook_log_id,),
    )


def reset_webhook_for_retry(tx: Tx, merchant_id: str, webhook_log_id: str) -> ResetRow | None:
    return tx.one_as(
        _RESET,
        "UPDATE webhook_logs SET status = 'pending', attempts = 0, next_retry_at = NULL, requeued_at = NULL"
        " WHERE id = %s AND merchant_id = %s AND status <> 'pending' RETURNING id, endpoint_id",
        (webhook_log_id, merchant_id),
    )


def list_webhook_logs(
    tx: Tx, merchant_id: str, filters: dict[str, Any], limit: int, offset: int, starting_after: str | None
) -> PageOf[WebhookLogRow] | None:
    where, params = filter_conditions(merchant_id, filters)
    if filters.get("event"):
        where.append("event = %s")
        params.append(filters["event"])
    if filters.get("search"):
        where.append("(event_id = %s OR payment_id = %s)")
        params += [filters["search"], filters["search"]]
    if filters.get("endpoint_id") == "default":
        where.append("endpoint_id = (SELECT id FROM webhook_endpoints WHERE merchant_id = %s AND is_default)")
        params.append(merchant_id)
    elif filters.get("endpoint_id"):
        where.append("endpoint_id = %s")
        params.append(filters["endpoint_id"])
    return select_page_as(
        WEBHOOK_LOG, tx, "webhook_logs", WEBHOOK_COLUMNS, where, params, limit, offset, starting_after
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
