"""Merchants: sign-in and the session, credentials, stats, the operator's create command and its reply.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import date, datetime, timedelta
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, StrictStr, model_validator

from gateway.models.base import Model, QueryTime, Request


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


# A series covers at most this long a window: a year, a leap day included.
STATS_WINDOW_DAYS = 366


class StatsQuery(Model):
    """The window of the stats' time series: [from, to), in UTC days. Without both, no series."""

    model_config = ConfigDict(extra="forbid")

    series_from: QueryTime | None = Field(
        default=None, alias="from", description="ISO 8601 (no offset: UTC) or unix seconds; the series starts here"
    )
    series_to: QueryTime | None = Field(
        default=None, alias="to", description="ISO 8601 (no offset: UTC) or unix seconds; the series ends before this"
    )
    interval: Literal["day"] | None = Field(default=None, description="a bucket per UTC day (the only interval)")

    @model_validator(mode="after")
    def _one_window(self) -> Self:
        if (self.series_from is None) != (self.series_to is None):
            raise ValueError("from and to go together")
        if self.series_from is None or self.series_to is None:
            if self.interval is not None:
                raise ValueError("interval needs from and to")
            return self
        if self.series_from >= self.series_to:
            raise ValueError("from must be before to")
        if self.series_to - self.series_from > timedelta(days=STATS_WINDOW_DAYS):
            raise ValueError(f"from and to may be at most {STATS_WINDOW_DAYS} days apart")
        return self


class MethodDay(Model):
    """One method's payments on one day."""

    count: int = Field(description="payments created that day with this method")
    succeeded: int
    failed: int
    success_rate: float | None = Field(
        description="percent of the final ones (succeeded + failed) that succeeded, one decimal; null if none"
    )


class MethodsDay(Model):
    upi: MethodDay
    card: MethodDay


class StatsDay(Model):
    """One UTC day: payments created that day, and the books' entries booked that day (paise)."""

    day: date = Field(description="the UTC day")
    count: int = Field(description="payments created that day, any status")
    gross: int = Field(description="paise captured that day (the books' payment entries)")
    fees: int = Field(description="paise: the gateway's fees on them")
    tax: int = Field(description="paise: GST on the fees")
    refunds: int = Field(description="paise refunded that day (processed refunds' entries, positive)")
    net: int = Field(
        description="paise: the nets of that day's entries, payouts aside (gross - fees - tax - refunds, and any"
        " dispute or adjustment booked that day)"
    )
    by_method: MethodsDay


class StatsSeries(Model):
    interval: Literal["day"]
    currency: str
    days: list[StatsDay] = Field(description="every UTC day the window touches, oldest first; a quiet day is zeros")


class MerchantStats(Model):
    total_transactions: int
    total_amount: int = Field(description="paise, successful payments")
    success_rate: float = Field(description="percent of finished payments that succeeded")
    series: StatsSeries | None = Field(
        default=None, description="with `from` and `to`: the window day by day; the totals above are over all payments"
    )


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
