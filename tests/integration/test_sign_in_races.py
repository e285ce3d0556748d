"""Sign-in lockouts under concurrency (issue 25, item 4): one statement decides whether an attempt's
password may be checked, so 30 attempts at once check no more passwords than the allowance."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gateway.adapters import passwords
from gateway.domain import merchants, rate_limits
from gateway.errors import AuthenticationFailed, RateLimited
from gateway.models import SignInRequest
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
