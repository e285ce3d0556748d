"""Password hashing with Argon2id (argon2-cffi): slow by design, salted, parameters in the hash.

argon2 is imported on first use: only sign-in and merchant creation hash, and the consumers reach
this module through `domain.merchants` (a cold start would pay for it otherwise)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = None


def verify_password(password_hash: str | None, password: str) -> bool:
    global _DUMMY_HASH
    from argon2.exceptions import InvalidHashError, VerificationError

    if password_hash is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password")
        password_hash, password = _DUMMY_HASH, password + "\x00"
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
