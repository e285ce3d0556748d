"""SQL of merchants: lookups by credential (counting the request against its budget), onboarding, settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from psycopg.rows import class_row

from gateway.adapters.postgres import Tx


@dataclass(frozen=True, slots=True)
class MerchantRow:
    """A merchant as _MERCHANT_COLUMNS selects it."""

    id: str
    name: str
    email: str
    api_key: str
    api_secret_hash: str
    api_secret_hint: str
    is_active: bool


@dataclass(frozen=True, slots=True)
class SignInRow(MerchantRow):
    password_hash: str | None  # None: the merchant has no dashboard password


@dataclass(frozen=True, slots=True)
class CountedMerchantRow(MerchantRow):
    """A merchant with the budget the request was counted against; the rate_* fields are None when
    it was not counted (a wrong secret, an inactive merchant)."""

    rate_limit: float
    period: float
    rate_tokens: float | None
    rate_allowed: bool | None


class BucketRow(NamedTuple):
    """A bucket after one token was asked of it."""

    rate_limit: float
    period: float
    rate_tokens: float
    rate_allowed: bool


class NewMerchant(NamedTuple):
    """A merchant to onboard: its credentials already hashed."""

    name: str
    email: str
    api_key: str
    api_secret_hash: str
    api_secret_hint: str
    password_hash: str


class StatsRow(NamedTuple):
    total_transactions: int
    total_amount: Decimal  # sum(bigint) is numeric in Postgres
    successful: int
    finished: int


# Its webhook endpoints, the default one included, are in endpoint_store.
_MERCHANT_COLUMNS = "id, name, email, api_key, api_secret_hash, api_secret_hint, is_active"
_MERCHANT = class_row(MerchantRow)
_SIGN_IN = class_row(SignInRow)
_COUNTED = class_row(CountedMerchantRow)
_BUCKET = class_row(BucketRow)
_STATS = class_row(StatsRow)


def merchant_by_api_key(tx: Tx, api_key: str) -> MerchantRow | None:
    return tx.one_as(_MERCHANT, f"SELECT {_MERCHANT_COLUMNS} FROM merchants WHERE api_key = %s", (api_key,))


# A bucket's tokens after refilling for the time since its last request.
_REFILLED = "rate_limit_refill(b.tokens, b.updated_at, EXCLUDED.updated_at, EXCLUDED.rate_limit, EXCLUDED.period)"

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
).replace("{refilled}", _REFILLED)


def merchant_by_api_key_counted(
    tx: Tx, api_key: str, secret_hash: str, kind: str, default_limit: int, default_period: int
) -> CountedMerchantRow | None:
    """The merchant with `api_key`; when `secret_hash` matches, also the request counted against its
    `kind` ('read' or 'write') budget: `rate_tokens` left and `rate_allowed`, plus its `rate_limit`
    and `period`."""
    sql = _COUNTED_MERCHANT.format(
        columns=_MERCHANT_COLUMNS, kind=_kind(kind), where="api_key = %(key)s", counts="api_secret_hash = %(hash)s"
    )
    return tx.one_as(
        _COUNTED,
        sql,
        {
            "key": api_key,
            "hash": secret_hash,
            "credential": "key",
            "default_limit": default_limit,
            "default_period": default_period,
        },
    )


def merchant_by_public_key_counted(
    tx: Tx, api_key: str, kind: str, default_limit: int, default_period: int
) -> CountedMerchantRow | None:
    """The merchant whose publishable key this is, the request counted against the key's own
    checkout budget (same limits as the merchant's API key, a bucket of its own)."""
    sql = _COUNTED_MERCHANT.format(
        columns=_MERCHANT_COLUMNS, kind=_kind(kind), where="api_key = %(key)s", counts="true"
    )
    return tx.one_as(
        _COUNTED,
        sql,
        {"key": api_key, "credential": "public", "default_limit": default_limit, "default_period": default_period},
    )


def merchant_by_payment_link_counted(
    tx: Tx, link_id: str, kind: str, default_limit: int, default_period: int
) -> CountedMerchantRow | None:
    """The merchant of a payment link, the request counted against its publishable key's checkout
    budget (a link's page is a checkout)."""
    sql = _COUNTED_MERCHANT.format(
        columns=_MERCHANT_COLUMNS,
        kind=_kind(kind),
        where="id = (SELECT merchant_id FROM payment_links WHERE id = %(link)s)",
        counts="true",
    )
    return tx.one_as(
        _COUNTED,
        sql,
        {"link": link_id, "credential": "public", "default_limit": default_limit, "default_period": default_period},
    )


def spend_from_bucket(tx: Tx, merchant_id: str, credential: str, kind: str, limit: float, period: float) -> BucketRow:
    """One token from a merchant's `credential` bucket of `kind` (created full): the bucket's
    `rate_limit`, `period`, `rate_tokens` left and whether it had one (`rate_allowed`)."""
    row = tx.one_as(
        _BUCKET,
        "INSERT INTO rate_limit_buckets AS b"
        " (merchant_id, credential, kind, rate_limit, period, tokens, allowed, updated_at) VALUES"
        " (%(merchant)s, %(credential)s, %(kind)s, %(limit)s, %(period)s, %(limit)s - 1, true, clock_timestamp())"
        " ON CONFLICT (merchant_id, credential, kind) DO UPDATE SET"
        "  tokens = {refilled} - CASE WHEN {refilled} >= 1 THEN 1 ELSE 0 END, allowed = {refilled} >= 1,"
        "  rate_limit = EXCLUDED.rate_limit, period = EXCLUDED.period, updated_at = EXCLUDED.updated_at"
        " RETURNING rate_limit, period, tokens AS rate_tokens, allowed AS rate_allowed".replace(
            "{refilled}", _REFILLED
        ),
        {"merchant": merchant_id, "credential": credential, "kind": _kind(kind), "limit": limit, "period": period},
    )
    assert row is not None
    return row


def purge_idle_buckets(tx: Tx, idle_seconds: int, limit: int) -> int:
    """Buckets untouched this long are full again: forgetting them changes nothing."""
    return tx.execute(
        "DELETE FROM rate_limit_buckets WHERE ctid IN (SELECT ctid FROM rate_limit_buckets"
        " WHERE updated_at < now() - make_interval(secs => %s) LIMIT %s)",
        (idle_seconds, limit),
    )


def merchant_by_id_counted(
    tx: Tx, merchant_id: str, kind: str, default_limit: int, default_period: int
) -> CountedMerchantRow | None:
    """A dashboard session's merchant, counted against the session's own budget."""
    sql = _COUNTED_MERCHANT.format(columns=_MERCHANT_COLUMNS, kind=_kind(kind), where="id = %(id)s", counts="true")
    return tx.one_as(
        _COUNTED,
        sql,
        {"id": merchant_id, "credential": "session", "default_limit": default_limit, "default_period": default_period},
    )


def _kind(kind: str) -> str:
    if kind not in ("read", "write"):
        raise ValueError(f"no rate limit kind {kind!r}")
    return kind


def merchant_by_email(tx: Tx, email: str) -> SignInRow | None:
    return tx.one_as(
        _SIGN_IN,
        f"SELECT {_MERCHANT_COLUMNS}, password_hash FROM merchants WHERE lower(email) = lower(%s)",
        (email,),
    )


def insert_merchant(tx: Tx, merchant: NewMerchant) -> MerchantRow | None:
    """The new merchant, or None when the email is taken, case-insensitively: the unique index on
    lower(email) decides, so two onboardings of A@x and a@x at once make one merchant."""
    return tx.one_as(
        _MERCHANT,
        "INSERT INTO merchants (name, email, api_key, api_secret_hash, api_secret_hint, password_hash)"
        " VALUES (%(name)s, %(email)s, %(api_key)s, %(api_secret_hash)s, %(api_secret_hint)s, %(password_hash)s)"
        f" ON CONFLICT (lower(email)) DO NOTHING RETURNING {_MERCHANT_COLUMNS}",
        merchant._asdict(),
    )


def set_api_secret(tx: Tx, merchant_id: str, secret_hash: str, hint: str) -> MerchantRow:
    row = tx.one_as(
        _MERCHANT,
        "UPDATE merchants SET api_secret_hash = %s, api_secret_hint = %s, updated_at = now() WHERE id = %s"
        f" RETURNING {_MERCHANT_COLUMNS}",
        (secret_hash, hint, merchant_id),
    )
    assert row is not None
    return row


def merchant_stats(tx: Tx, merchant_id: str) -> StatsRow:
    row = tx.one_as(
        _STATS,
        "SELECT count(*) AS total_transactions,"
        " coalesce(sum(amount) FILTER (WHERE status = 'success'), 0) AS total_amount,"
        " count(*) FILTER (WHERE status = 'success') AS successful,"
        " count(*) FILTER (WHERE status IN ('success', 'failed')) AS finished"
        " FROM payments WHERE merchant_id = %s",
        (merchant_id,),
    )
    assert row is not None
    return row


def merchant_by_id(tx: Tx, merchant_id: str) -> MerchantRow | None:
    return tx.one_as(_MERCHANT, f"SELECT {_MERCHANT_COLUMNS} FROM merchants WHERE id = %s", (merchant_id,))
