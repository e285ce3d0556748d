"""Merchants: sign-in and the session, credentials, stats, the operator's create command and its reply.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StrictStr

from gateway.models.base import Model, Request


class SignInRequest(Request):
    email: Annotated[StrictStr, Field(min_length=3, max_length=255)]
    password: Annotated[StrictStr, Field(min_length=1, max_length=1024)]


class SessionMerchant(Model):
    id: str
    name: str
    email: str
    api_key: str


class Session(Model):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_at: datetime
    merchant: SessionMerchant


class ApiCredentials(Model):
    """What the dashboard may show at any time: the key, and the secret's last four characters."""

    api_key: str
    api_secret_hint: str


class NewApiSecret(Model):
    """A rotated secret, shown once: only its hash is kept."""

    api_key: str
    api_secret: str


class MerchantStats(Model):
    total_transactions: int
    total_amount: int = Field(description="paise, successful payments")
    success_rate: float = Field(description="percent of finished payments that succeeded")


class TestMerchant(Model):
    id: str
    email: str
    api_key: str
    seeded: bool


class CreateMerchantCommand(Request):
    """What `scripts/create-merchant` sends to the admin function."""

    action: Literal["create_merchant"]
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    email: Annotated[StrictStr, Field(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    password: Annotated[StrictStr, Field(min_length=12, max_length=1024)]


class NewMerchant(Model):
    """Shown once, to the operator who created the merchant: the secret is not retrievable later
    except by signing in to the dashboard as that merchant."""

    id: str
    name: str
    email: str
    api_key: str
    api_secret: str
    webhook_secret: str
