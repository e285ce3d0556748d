"""Sign-in lockouts under concurrency (issue 25, item 4): one statement decides whether an attempt's
password may be checked, so 30 attempts at once check no more passwords than the allowance."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gateway.adapters import passwords
from gateway.domain import merchants, rate_limits
from gateway.errors import AuthenticationFailed, RateLimited
from gateway.models.merchants import SignInRequest
from tests.support import Gateway


def _attempt(password: str, address: str) -> str:
    return _attempt_as("test@example.com", password, address)


def test_thirty_concurrent_wrong_passwords_check_at_most_five(gateway: Gateway, monkeypatch: Any) -> None:
    # Given a password check slow enough that every attempt is in flight at once
    checks: list[str | None] = []
    verify = passwords.verify_password

    def counted_verify(password_hash: str | None, password: str) -> bool:
        checks.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counted_verify)
    # When 30 wrong passwords for one email arrive together, each from its own address
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(lambda n: _attempt("wrong", f"198.51.100.{n}"), range(30)))
    # Then exactly the allowance was checked; everything else was refused before any check
    allowance = rate_limits.SIGN_IN_LOCK_AT_PER_EMAIL
    assert len(checks) == allowance, outcomes
    assert outcomes.count("checked and refused") == allowance
    assert outcomes.count("locked out") == 30 - allowance
    # And the right password is locked out too now
    assert _attempt("password123", "203.0.113.1") == "locked out"


def test_a_right_password_is_not_counted_against_its_address(gateway: Gateway) -> None:
    # Given an address one failure short of its lockout
    for n in range(rate_limits.SIGN_IN_LOCK_AT_PER_ADDRESS - 1):
        assert _attempt_as(f"guess{n // 4}@example.com", "x", "198.51.100.250") == "checked and refused"
    # When the operator there signs in with the right password, twice
    assert _attempt_as("test@example.com", "password123", "198.51.100.250") == "signed in"
    assert _attempt_as("test@example.com", "password123", "198.51.100.250") == "signed in"
    # Then the address is still one failure short: the next failure locks it, not an earlier one
    assert _attempt_as("guess9@example.com", "x", "198.51.100.250") == "checked and refused"
    assert _attempt_as("test@example.com", "password123", "198.51.100.250") == "locked out"


def _attempt_as(email: str, password: str, address: str) -> str:
    try:
        merchants.sign_in(SignInRequest(email=email, password=password), address)
    except AuthenticationFailed:
        return "checked and refused"
    except RateLimited:
        return "locked out"
    return "signed in"


EDGE_TOKEN = "6f1c2a1e-0000-4000-8000-000000000001"
EDGE_SERVER = "130.176.1.10"  # one CloudFront edge server, in front of many viewers


def _through_the_distribution(gateway: Gateway, email: str, password: str, viewer: str, token: str = EDGE_TOKEN) -> int:
    headers = {
        "x-api-key": None,
        "x-api-secret": None,
        "x-gateway-edge": token,
        "cloudfront-viewer-address": f"{viewer}:50123",
    }
    body = {"email": email, "password": password}
    return gateway.api("POST", "/api/v1/auth/login", body, headers=headers, source_ip=EDGE_SERVER).status


def test_behind_cloudfront_the_lockout_is_per_viewer_not_per_edge_server(gateway: Gateway, setting: Any) -> None:
    setting("EDGE_ORIGIN_TOKEN", EDGE_TOKEN)
    # Given one viewer guessing at many emails through the dashboard's distribution
    attacker, operator = "203.0.113.66", "198.51.100.20"
    for n in range(rate_limits.SIGN_IN_LOCK_AT_PER_ADDRESS):
        assert _through_the_distribution(gateway, f"guess{n // 4}@example.com", "x", attacker) == 401
    # Then that viewer is locked out, and an operator behind the same edge server is not
    assert _through_the_distribution(gateway, "test@example.com", "password123", attacker) == 429
    assert _through_the_distribution(gateway, "test@example.com", "password123", operator) == 200


def test_a_forged_viewer_address_does_not_escape_the_lockout(gateway: Gateway, setting: Any) -> None:
    setting("EDGE_ORIGIN_TOKEN", EDGE_TOKEN)
    # Given an attacker calling the API directly, naming a new viewer address each time
    for n in range(rate_limits.SIGN_IN_LOCK_AT_PER_ADDRESS):
        status = _through_the_distribution(gateway, f"guess{n // 4}@example.com", "x", f"192.0.2.{n}", token="guess")
        assert status == 401
    # Then its own connection's address is what was counted, and it is locked out
    assert _through_the_distribution(gateway, "test@example.com", "password123", "192.0.2.200", token="x") == 429
