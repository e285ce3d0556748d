"""Request budgets (README, "Rate limits"), as Stripe and the IETF RateLimit header fields describe them.

Each merchant has a token bucket per credential kind (its API key, its dashboard sessions) and per
kind of request (reads: GET/HEAD; writes: the rest): `limit` requests per `period`, refilled
continuously, so a burst may spend the whole budget and then one request per period/limit follows.
The buckets live in Postgres, shared by every API container, and are read and spent in the same
statement that authenticates the caller. Defaults below; per merchant in `merchants.rate_limit_*`.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol

from gateway.adapters import merchant_store
from gateway.adapters.postgres import transaction
from gateway.errors import RateLimited

DEFAULT_LIMIT = 100  # per period, for reads and for writes alike (Stripe's live-mode figure)
DEFAULT_PERIOD_SECONDS = 1

# Dashboard sign-in: failed attempts allowed per email and per source address in a window; the
# attempt that reaches the count locks that email (or address) out for the lockout time.
SIGN_IN_LOCK_AT_PER_EMAIL = 5
SIGN_IN_LOCK_AT_PER_ADDRESS = 20
SIGN_IN_WINDOW_SECONDS = 15 * 60
SIGN_IN_LOCKOUT_SECONDS = 15 * 60

# Checkout requests (the publishable key) spend the key's own budget, at the merchant's limits, and
# one per caller address of a fifth of that: one address cannot spend a merchant's whole checkout
# budget, while shoppers behind one carrier-grade NAT (common on mobile networks) still get 20
# requests a second at the default limit.
PUBLIC_ADDRESS_SHARE = 5
# Buckets idle this long are full again; the relay forgets them (address buckets come and go).
IDLE_BUCKET_SECONDS = 3600

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public_address_limit(key_limit: float) -> float:
    return max(1.0, key_limit / PUBLIC_ADDRESS_SHARE)


def kind_of(method: str) -> str:
    return "read" if method.upper() in _READ_METHODS else "write"


class Budget(NamedTuple):
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class Counted(Protocol):
    """A bucket after a request was counted (merchant_store's counted rows)."""

    @property
    def rate_limit(self) -> float: ...
    @property
    def period(self) -> float: ...
    @property
    def rate_tokens(self) -> float | None: ...
    @property
    def rate_allowed(self) -> bool | None: ...


def spend(row: Counted, kind: str) -> Budget:
    """The budget after this request, from the authenticating statement's row; raises RateLimited
    (429 with Retry-After) when the bucket had no token for it."""
    assert row.rate_tokens is not None, "only a counted request is spent"
    limit, period, tokens = float(row.rate_limit), float(row.period), float(row.rate_tokens)
    seconds_per_token = period / limit
    budget = Budget(
        limit=int(limit),
        remaining=max(0, math.floor(tokens)),
        reset_seconds=math.ceil((limit - tokens) * seconds_per_token),
    )
    if not row.rate_allowed:
        retry_after = max(1, math.ceil((1 - tokens) * seconds_per_token))
        raise RateLimited(
            f"Too many {kind}s: {int(limit)} per {int(period)} s allowed; retry after {retry_after} s",
            headers={**budget.headers(), "Retry-After": str(retry_after)},
        )
    return budget


def sign_in_refused(seconds: float) -> RateLimited:
    retry_after = max(1, math.ceil(seconds))
    return RateLimited(
        f"Too many failed sign-ins; try again in {retry_after} s", headers={"Retry-After": str(retry_after)}
    )


def purge_idle_buckets(limit: int = 10_000) -> int:
    with transaction() as tx:
        return merchant_store.purge_idle_buckets(tx, IDLE_BUCKET_SECONDS, limit)
