"""Issue 25 item 18: a session token's `exp` is a JSON number (RFC 7519 NumericDate), never a string
that PyJWT would convert; the real PyJWT signs and checks every token here."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest

from gateway.adapters import session_tokens

KEY = "unit-test-signing-key-of-32-bytes!!"
MERCHANT = str(uuid.uuid4())


def token(**claims: Any) -> str:
    return jwt.encode({"sub": MERCHANT, "aud": "dashboard", **claims}, KEY, algorithm="HS256")


@pytest.mark.parametrize(
    "exp",
    [
        str(int(time.time()) + 3600),  # a numeric string: PyJWT's int() accepts it
        f"{int(time.time()) + 3600}.0",
        " 9999999999 ",
        True,  # a bool is an int to Python, not a NumericDate
        None,
        [int(time.time()) + 3600],
        {"at": int(time.time()) + 3600},
    ],
    ids=["numeric-string", "decimal-string", "padded-string", "bool", "null", "list", "object"],
)
def test_a_token_whose_exp_is_not_a_number_is_refused(exp: Any) -> None:
    assert session_tokens.merchant_id_of(KEY, token(exp=exp)) is None


def test_issued_tokens_and_numeric_exp_are_accepted() -> None:
    issued, _ = session_tokens.issue(KEY, MERCHANT, timedelta(minutes=5))
    assert session_tokens.merchant_id_of(KEY, issued) == MERCHANT
    assert session_tokens.merchant_id_of(KEY, token(exp=int(time.time()) + 60)) == MERCHANT
    assert session_tokens.merchant_id_of(KEY, token(exp=time.time() + 60.5)) == MERCHANT


def test_expired_or_unsigned_tokens_are_still_refused() -> None:
    assert session_tokens.merchant_id_of(KEY, token(exp=int(time.time()) - 60)) is None
    assert session_tokens.merchant_id_of("another-key-of-at-least-32-bytes!!", token(exp=int(time.time()) + 60)) is None
    assert session_tokens.merchant_id_of(KEY, token()) is None  # no exp at all
