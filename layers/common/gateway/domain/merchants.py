"""Merchants: API authentication, sign-in, credentials and the default webhook's configuration.
(Who a merchant is to the rest of the domain, `Merchant`, is in merchant_identity.py: the queue
consumers need that and none of this.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from gateway.adapters import endpoint_store, merchant_store, passwords, session_tokens, sign_in_attempts, webhook_http
from gateway.adapters import secrets as secrets_adapter
from gateway.adapters.postgres import single_statement, transaction
from gateway.domain import rate_limits
from gateway.domain.merchant_identity import Merchant
from gateway.errors import AuthenticationFailed, BadRequest, MerchantExists, NotFound, ServiceUnavailable
from gateway.ids import new_id
from gateway.models.merchants import (
    ApiCredentials,
    CreateMerchantCommand,
    NewApiSecret,
    NewMerchant,
    Session,
    SessionMerchant,
    SignInRequest,
    TestMerchant,
)
from gateway.models.webhooks import WebhookConfig, WebhookConfigRequest
from gateway.settings import get_settings


def authenticate(api_key: str | None, api_secret: str | None, kind: str) -> tuple[Merchant, rate_limits.Budget]:
    """The merchant whose key and secret these are, and its `kind` ('read'/'write') budget after
    this request; RateLimited when the budget is spent."""
    if not api_key or not api_secret:
        raise AuthenticationFailed("Invalid API credentials")
    hashed = secret_hash(api_secret)
    row = single_statement(
        lambda tx: merchant_store.merchant_by_api_key_counted(
            tx, api_key, hashed, kind, rate_limits.DEFAULT_LIMIT, rate_limits.DEFAULT_PERIOD_SECONDS
        )
    )
    # Only the secret's hash is stored; compare_digest keeps the check constant-time.
    if row is None or not row.is_active or not hmac.compare_digest(row.api_secret_hash, hashed):
        raise AuthenticationFailed("Invalid API credentials")
    return Merchant.from_row(row), rate_limits.spend(row, kind)


def authenticate_public(api_key: str | None, address: str, kind: str) -> tuple[Merchant, rate_limits.Budget]:
    """Checkout calls carry only the public key: enough to name the merchant, nothing more. Anyone
    holding a page's key can call, so each request spends from two budgets, the key's and the
    caller's address's (rate_limits.public_address_limit), and the tighter one is reported."""
    if not api_key:
        raise AuthenticationFailed("Invalid API key")
    with transaction() as tx:
        row = merchant_store.merchant_by_public_key_counted(
            tx, api_key, kind, rate_limits.DEFAULT_LIMIT, rate_limits.DEFAULT_PERIOD_SECONDS
        )
        if row is None or not row.is_active:
            raise AuthenticationFailed("Invalid API key")
        by_address = merchant_store.spend_from_bucket(
            tx,
            row.id,
            f"address:{address}",
            kind,
            rate_limits.public_address_limit(float(row.rate_limit)),
            float(row.period),
        )
    budgets = [rate_limits.spend(row, kind), rate_limits.spend(by_address, kind)]
    return Merchant.from_row(row), min(budgets, key=lambda budget: budget.remaining)


def authenticate_payment_link(link_id: str, address: str, kind: str) -> tuple[Merchant, rate_limits.Budget]:
    """A payment link's shopper page: no credentials, the link's id names its merchant (NotFound
    when it names none). Each request spends the merchant's checkout budgets, as a publishable-key
    call does: the key's and the caller address's."""
    with transaction() as tx:
        row = merchant_store.merchant_by_payment_link_counted(
            tx, link_id, kind, rate_limits.DEFAULT_LIMIT, rate_limits.DEFAULT_PERIOD_SECONDS
        )
        if row is None or not row.is_active:
            raise NotFound("Payment link not found")
        by_address = merchant_store.spend_from_bucket(
            tx,
            row.id,
            f"address:{address}",
            kind,
            rate_limits.public_address_limit(float(row.rate_limit)),
            float(row.period),
        )
    budgets = [rate_limits.spend(row, kind), rate_limits.spend(by_address, kind)]
    return Merchant.from_row(row), min(budgets, key=lambda budget: budget.remaining)


def session_key() -> str | None:
    settings = get_settings()
    if settings.session_signing_secret_arn and not settings.session_signing_key:
        return secrets_adapter.secret_string(settings.session_signing_secret_arn)
    return settings.local_session_key


def sign_in(request: SignInRequest, source_address: str) -> Session:
    """Email and password for the dashboard; the API secret never reaches the browser.

    Failures are counted per email and per source address; past the allowance that email or
    address is locked out for a while (429 with Retry-After), right password or not."""
    key = session_key()
    if key is None:
        raise ServiceUnavailable("Dashboard sign-in is not configured (SESSION_SIGNING_KEY)")
    by_email = sign_in_attempts.Subject(f"email:{request.email.strip().lower()}", rate_limits.SIGN_IN_LOCK_AT_PER_EMAIL)
    by_address = sign_in_attempts.Subject(f"address:{source_address}", rate_limits.SIGN_IN_LOCK_AT_PER_ADDRESS)
    # Counted before the password is checked, by the statement that decides: however many arrive
    # at once, no more than the allowance are ever checked.
    with transaction() as tx:
        locked_for = sign_in_attempts.reserve(
            tx, [by_email, by_address], rate_limits.SIGN_IN_WINDOW_SECONDS, rate_limits.SIGN_IN_LOCKOUT_SECONDS
        )
        row = merchant_store.merchant_by_email(tx, request.email) if locked_for == 0 else None
    if locked_for > 0:
        raise rate_limits.sign_in_refused(locked_for)
    # verify_password does the same slow work for an unknown email.
    valid = passwords.verify_password(row.password_hash if row else None, request.password)
    if not valid or row is None or not row.is_active:
        raise AuthenticationFailed("Invalid email or password")
    with transaction() as tx:
        sign_in_attempts.clear(tx, by_email)
        sign_in_attempts.give_back(tx, by_address)
    token, expires_at = session_tokens.issue(key, row.id, timedelta(minutes=get_settings().session_minutes))
    merchant = SessionMerchant(id=row.id, name=row.name, email=row.email, api_key=row.api_key)
    return Session(token=token, expires_at=expires_at, merchant=merchant)


def authenticate_session(token: str, kind: str) -> tuple[Merchant, rate_limits.Budget]:
    """A dashboard session's merchant and the sessions' own budget (apart from the API key's)."""
    key = session_key()
    merchant_id = session_tokens.merchant_id_of(key, token) if key else None
    if merchant_id is None:
        raise AuthenticationFailed("Session expired or invalid; sign in again")
    row = single_statement(
        lambda tx: merchant_store.merchant_by_id_counted(
            tx, merchant_id, kind, rate_limits.DEFAULT_LIMIT, rate_limits.DEFAULT_PERIOD_SECONDS
        )
    )
    if row is None or not row.is_active:
        raise AuthenticationFailed("Session expired or invalid; sign in again")
    return Merchant.from_row(row), rate_limits.spend(row, kind)


def _own_row(merchant: Merchant) -> merchant_store.MerchantRow:
    """The caller's own row (its API secret's hint included): only ever returned to that merchant."""
    with transaction() as tx:
        row = merchant_store.merchant_by_id(tx, merchant.id)
    if row is None:
        raise NotFound("Merchant not found")
    return row


def secret_hash(secret: str) -> str:
    """SHA-256: API secrets are 32 random bytes, out of reach of any brute force, and every request
    checks one, so a slow password hash would cost each request tens of milliseconds."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _credential_prefix() -> str:
    return "live" if get_settings().stage == "prod" else "test"


def new_api_secret() -> str:
    return f"secret_{_credential_prefix()}_{secrets.token_urlsafe(32)}"


def credentials(merchant: Merchant) -> ApiCredentials:
    """The key and a hint of the secret: the secret itself is not stored, so it cannot be revealed."""
    row = _own_row(merchant)
    return ApiCredentials(api_key=row.api_key, api_secret_hint=row.api_secret_hint)


def rotate_api_secret(merchant: Merchant) -> NewApiSecret:
    """A new secret, shown this once; the old one stops working at once."""
    secret = new_api_secret()
    with transaction() as tx:
        row = merchant_store.set_api_secret(tx, merchant.id, secret_hash(secret), secret[-4:])
    return NewApiSecret(api_key=row.api_key, api_secret=secret)


def webhook_config(merchant: Merchant) -> WebhookConfig:
    """The default endpoint's URL and secret: only ever returned to that merchant."""
    with transaction() as tx:
        return _config(endpoint_store.default_endpoint(tx, merchant.id))


def _config(default_endpoint: endpoint_store.DefaultEndpointRow | None) -> WebhookConfig:
    if default_endpoint is None:
        raise NotFound("Merchant not found")
    return WebhookConfig(webhook_url=default_endpoint.url, webhook_secret=default_endpoint.secret)


def validate_webhook_url(url: str, field: str = "webhook_url") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"{field} must be an absolute http(s) URL")
    if get_settings().allows_private_webhook_urls:
        return url
    try:
        webhook_http.resolve_public(parts.hostname, parts.port or 443)
    except webhook_http.BlockedDestination as exc:
        raise BadRequest(f"{field} must resolve to a public address") from exc
    return url


def update_webhook(merchant: Merchant, request: WebhookConfigRequest) -> WebhookConfig:
    url = validate_webhook_url(request.webhook_url) if request.webhook_url else None
    with transaction() as tx:
        return _config(endpoint_store.set_default_url(tx, merchant.id, url))


def new_webhook_secret() -> str:
    """Standard Webhooks form: `whsec_` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def rotate_webhook_secret(merchant: Merchant) -> WebhookConfig:
    """A new default secret; the one it replaces keeps signing beside it for the grace period
    (WEBHOOK_SECRET_GRACE_SECONDS), as an endpoint's does."""
    with transaction() as tx:
        return _config(
            endpoint_store.rotate_default_secret(
                tx, merchant.id, new_webhook_secret(), get_settings().webhook_secret_grace_seconds
            )
        )


def create_merchant(command: CreateMerchantCommand) -> NewMerchant:
    """Onboarding by an operator: fresh API credentials, the password hashed, and its default
    webhook endpoint (a fresh secret, no URL yet)."""
    api_secret = new_api_secret()
    fields = merchant_store.NewMerchant(
        name=command.name,
        email=command.email,
        api_key=f"key_{_credential_prefix()}_{secrets.token_hex(12)}",
        api_secret_hash=secret_hash(api_secret),
        api_secret_hint=api_secret[-4:],
        password_hash=passwords.hash_password(command.password),
    )
    with transaction() as tx:
        row = merchant_store.insert_merchant(tx, fields)
        if row is None:
            raise MerchantExists(f"A merchant with email {command.email} already exists")
        default_endpoint = endpoint_store.insert_default_endpoint(tx, new_id("we_"), row.id, new_webhook_secret())
    return NewMerchant(
        id=row.id,
        name=row.name,
        email=row.email,
        api_key=row.api_key,
        api_secret=api_secret,
        webhook_secret=default_endpoint.secret,
    )


# The local test merchant's fixed id: the local runtime seeds the row (devstack/test_merchant.py, which
# owns its credentials) and the local-only /api/v1/test/merchant route reads it back by this id.
TEST_MERCHANT_ID = "550e8400-e29b-41d4-a716-446655440000"


def test_merchant() -> TestMerchant:
    with transaction() as tx:
        row = merchant_store.merchant_by_id(tx, TEST_MERCHANT_ID)
    if row is None:
        raise NotFound("Test merchant is not seeded")
    return TestMerchant(id=row.id, email=row.email, api_key=row.api_key, seeded=True)
