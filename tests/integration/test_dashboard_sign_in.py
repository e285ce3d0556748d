"""Dashboard sign-in (Argon2 password, short-lived Bearer sessions), merchant stats, dashboard CORS."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from gateway.adapters import session_tokens
from gateway.domain import merchants, payments
from gateway.models.jobs import PaymentJob
from tests.support import TEST_MERCHANT_ID, Gateway

NO_KEYS = {"x-api-key": None, "x-api-secret": None}


def _login(gateway: Gateway, email: str = "test@example.com", password: str = "password123") -> Any:
    return gateway.api("POST", "/api/v1/auth/login", {"email": email, "password": password}, headers=NO_KEYS)


def test_sign_in_returns_a_session_that_works_as_a_bearer_token(gateway: Gateway) -> None:
    response = _login(gateway)
    assert response.status == 200
    session = response.json
    assert session["token_type"] == "Bearer" and session["expires_at"]
    assert session["merchant"] == {
        "id": TEST_MERCHANT_ID,
        "name": "Test Merchant",
        "email": "test@example.com",
        "api_key": "key_test_abc123",
    }
    assert "secret" not in response.body
    bearer = {**NO_KEYS, "authorization": f"Bearer {session['token']}"}
    assert gateway.api("GET", "/api/v1/payments", headers=bearer).status == 200
    assert gateway.api("GET", "/api/v1/merchant/webhook", headers=bearer).status == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [("test@example.com", "wrong"), ("nobody@example.com", "password123"), ("TEST@example.com", "password1234")],
)
def test_wrong_credentials_are_401_with_one_message(gateway: Gateway, email: str, password: str) -> None:
    response = _login(gateway, email, password)
    assert response.status == 401
    assert response.json == {"error": {"code": "AUTHENTICATION_ERROR", "description": "Invalid email or password"}}


def test_email_is_case_insensitive(gateway: Gateway) -> None:
    assert _login(gateway, "Test@Example.com").status == 200


def test_only_an_argon2_hash_is_stored(gateway: Gateway) -> None:
    [row] = gateway.rows("SELECT password_hash FROM merchants")
    assert row["password_hash"].startswith("$argon2id$") and "password123" not in row["password_hash"]


@pytest.mark.parametrize("token", ["garbage", "", "Bearer"])
def test_invalid_tokens_are_401(gateway: Gateway, token: str) -> None:
    response = gateway.api("GET", "/api/v1/payments", headers={**NO_KEYS, "authorization": f"Bearer {token}"})
    assert response.status == 401


def test_expired_and_foreign_tokens_are_refused(gateway: Gateway) -> None:
    key = merchants.session_key()
    assert key is not None
    expired, _ = session_tokens.issue(key, TEST_MERCHANT_ID, timedelta(seconds=-5))
    forged, _ = session_tokens.issue("some-other-key-of-32-bytes-or-more!!", TEST_MERCHANT_ID, timedelta(minutes=5))
    for token in (expired, forged):
        response = gateway.api("GET", "/api/v1/payments", headers={**NO_KEYS, "authorization": f"Bearer {token}"})
        assert response.status == 401
        assert response.json["error"]["description"] == "Session expired or invalid; sign in again"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": TEST_MERCHANT_ID, "aud": "dashboard"},  # no exp: would never expire
        {"sub": "not-a-uuid", "aud": "dashboard", "exp": 4_102_444_800},
        {"sub": 42, "aud": "dashboard", "exp": 4_102_444_800},
        {"sub": ["x"], "aud": "dashboard", "exp": 4_102_444_800},
        {"aud": "dashboard", "exp": 4_102_444_800},
        {"sub": TEST_MERCHANT_ID, "exp": 4_102_444_800},  # no audience
    ],
    ids=["no-exp", "sub-not-uuid", "sub-number", "sub-list", "no-sub", "no-aud"],
)
def test_signed_tokens_without_expiry_or_a_merchant_id_are_401_not_500(
    gateway: Gateway, claims: dict[str, Any]
) -> None:
    import jwt

    key = merchants.session_key()
    assert key is not None
    token = jwt.encode(claims, key, algorithm="HS256")
    response = gateway.api("GET", "/api/v1/payments", headers={**NO_KEYS, "authorization": f"Bearer {token}"})
    assert response.status == 401, response.body
    assert response.json["error"]["code"] == "AUTHENTICATION_ERROR"


def test_without_a_signing_key_outside_local_mode_sign_in_says_so(gateway: Gateway, setting: Any) -> None:
    setting("STAGE", "prod")
    setting("TEST_MODE", "false")
    response = _login(gateway)
    assert response.status == 503 and "SESSION_SIGNING_KEY" in response.json["error"]["description"]


@pytest.mark.parametrize("body", [{}, {"email": "test@example.com"}, {"email": 5, "password": "x"}, []])
def test_malformed_sign_in_is_400(gateway: Gateway, body: Any) -> None:
    assert gateway.api("POST", "/api/v1/auth/login", body, headers=NO_KEYS).status == 400


def test_stats_come_from_all_payments_not_one_page(gateway: Gateway, setting: Any) -> None:
    made = [gateway.create_payment(gateway.create_order(10_000 + n)["id"]) for n in range(12)]
    for payment in made[:9]:
        payments.process_payment(PaymentJob(payment_id=payment["id"]))
    setting("TEST_PAYMENT_SUCCESS", "false")
    for payment in made[9:11]:
        payments.process_payment(PaymentJob(payment_id=payment["id"]))
    stats = gateway.api("GET", "/api/v1/merchant/stats").json
    assert stats["total_transactions"] == 12
    assert stats["total_amount"] == sum(10_000 + n for n in range(9))
    assert stats["success_rate"] == round(100 * 9 / 11, 1)


def test_dashboard_cors_covers_dashboard_routes_only(gateway: Gateway, setting: Any) -> None:
    setting("DASHBOARD_ORIGINS", "http://127.0.0.1:3000")
    setting("CHECKOUT_ORIGINS", "http://127.0.0.1:3001")
    dashboard = {"origin": "http://127.0.0.1:3000"}
    private = gateway.api("GET", "/api/v1/payments", headers=dashboard)
    assert private.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:3000"
    assert "Authorization" in private.headers["Access-Control-Allow-Headers"]
    login_preflight = gateway.api("OPTIONS", "/api/v1/auth/login", headers={**dashboard, **NO_KEYS})
    assert login_preflight.status == 204
    # The checkout's origin gets nothing on private routes; the dashboard's nothing on public or test ones.
    assert (
        "Access-Control-Allow-Origin"
        not in gateway.api("GET", "/api/v1/payments", headers={"origin": "http://127.0.0.1:3001"}).headers
    )
    assert (
        "Access-Control-Allow-Origin"
        not in gateway.api("GET", "/api/v1/orders/order_x/public", headers={**dashboard, "x-api-secret": None}).headers
    )
    assert "Access-Control-Allow-Origin" not in gateway.api("GET", "/api/v1/test/merchant", headers=dashboard).headers


def test_credentials_show_the_key_and_a_hint_the_secret_itself_is_not_stored(gateway: Gateway) -> None:
    bearer = {**NO_KEYS, "authorization": f"Bearer {_login(gateway).json['token']}"}
    response = gateway.api("GET", "/api/v1/merchant/credentials", headers=bearer)
    assert response.status == 200
    assert response.json == {"api_key": "key_test_abc123", "api_secret_hint": "z789"}
    stored = json.dumps(gateway.rows("SELECT row_to_json(m)::text AS m FROM merchants m"))
    assert "secret_test_xyz789" not in stored
    assert gateway.api("GET", "/api/v1/merchant/credentials", headers=NO_KEYS).status == 401


def test_rotating_the_api_secret_shows_the_new_one_once_and_retires_the_old(gateway: Gateway) -> None:
    # Given a signed-in operator, when the secret is rotated...
    bearer = {**NO_KEYS, "authorization": f"Bearer {_login(gateway).json['token']}"}
    rotated = gateway.api("POST", "/api/v1/merchant/credentials/rotate", headers=bearer)
    assert rotated.status == 200 and rotated.headers["Cache-Control"] == "no-store"
    new_secret = rotated.json["api_secret"]
    assert new_secret.startswith("secret_test_") and len(new_secret) > 40
    try:
        # ...the old secret is refused at once, the new one works, and only its hint is shown later.
        assert gateway.api("GET", "/api/v1/payments").status == 401
        assert gateway.api("GET", "/api/v1/payments", headers={"x-api-secret": new_secret}).status == 200
        hint = gateway.api("GET", "/api/v1/merchant/credentials", headers=bearer).json["api_secret_hint"]
        assert hint == new_secret[-4:]
        assert new_secret not in json.dumps(gateway.rows("SELECT row_to_json(m)::text AS m FROM merchants m"))
    finally:
        seed_known_secret(gateway)


def seed_known_secret(gateway: Gateway) -> None:
    gateway.execute(
        "UPDATE merchants SET api_secret_hash = encode(sha256('secret_test_xyz789'), 'hex'), api_secret_hint = 'z789'"
        " WHERE id = %s",
        (TEST_MERCHANT_ID,),
    )
    assert (
        gateway.api("GET", "/api/v1/merchant/credentials", headers={**NO_KEYS, "authorization": "Bearer x"}).status
        == 401
    )


def test_dashboard_cors_exposes_the_request_id_version_and_budget(gateway: Gateway, setting: Any) -> None:
    setting("DASHBOARD_ORIGINS", "http://127.0.0.1:3000")
    response = gateway.api("GET", "/api/v1/payments", headers={"origin": "http://127.0.0.1:3000"})
    exposed = {name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {
        "X-Request-Id",
        "Gateway-Version",
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
    }
