"""Dashboard session tokens: short-lived HS256 JWTs (PyJWT) naming the merchant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"


def issue(key: str, merchant_id: str, lifetime: timedelta) -> tuple[str, datetime]:
    expires_at = datetime.now(UTC) + lifetime
    token = jwt.encode({"sub": merchant_id, "exp": expires_at, "aud": "dashboard"}, key, algorithm=ALGORITHM)
    return token, expires_at


def merchant_id_of(key: str, token: str) -> str | None:
    """The merchant a valid, unexpired token names, else None."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience="dashboard")
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) else None
