"""Password hashing with Argon2id (argon2-cffi): slow by design, salted, parameters in the hash."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = None


def verify_password(password_hash: str | None, password: str) -> bool:
    global _DUMMY_HASH
    if password_hash is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password")
        password_hash, password = _DUMMY_HASH, password + "\x00"
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
