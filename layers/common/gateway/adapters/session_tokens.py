"""Dashboard session tokens: short-lived HS256 JWTs (PyJWT) naming the merchant.

jwt is imported on first use: only Bearer requests and sign-in need it (the consumers reach this
module through `domain.merchants`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

ALGORITHM = "HS256"


def issue(key: str, merchant_id: str, lifetime: timedelta) -> tuple[str, datetime]:
    import jwt

    expires_at = datetime.now(UTC) + lifetime
    token = jwt.encode({"sub": merchant_id, "exp": expires_at, "aud": "dashboard"}, key, algorithm=ALGORITHM)
    return token, expires_at


def merchant_id_of(key: str, token: str) -> str | None:
    """The merchant a valid, unexpired token names, else None. A token must carry `exp` (one without
    would never expire) as a JSON number (RFC 7519's NumericDate; PyJWT would take the string "9999999999"
    through int()), and name a merchant id (a UUID), whoever signed it."""
    import jwt

    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], audience="dashboard", options={"require": ["exp", "sub", "aud"]}
        )
        exp = claims["exp"]
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            return None
        return str(uuid.UUID(claims["sub"]))
    except (jwt.PyJWTError, ValueError, TypeError, AttributeError):
        return None
