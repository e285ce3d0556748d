"""What every boundary model shares: the base classes, money, notes, list paging and times, statuses.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from gateway import currencies


class Model(BaseModel):
    # Each model's validator and serializer are built when it is first used, not at import: every
    # function imports some of these modules and uses a few of their models.
    model_config = ConfigDict(defer_build=True)


Paise = Annotated[StrictInt, Field(ge=100, le=10**12, description="amount in paise (integer)")]
# Only the currencies the gateway supports (gateway/currencies.py); the document lists them.
Currency = Annotated[
    StrictStr,
    Field(
        max_length=3,
        description="ISO 4217 code of a supported currency; amounts are in its minor unit",
        json_schema_extra={"enum": list(currencies.SUPPORTED)},
    ),
    AfterValidator(currencies.check_supported),
]


class Request(Model):
    model_config = ConfigDict(extra="forbid")


# Razorpay's limits: at most 15 flat key-value pairs, values up to 256 characters.
NoteKey = Annotated[StrictStr, Field(min_length=1, max_length=256)]
NoteValue = Annotated[StrictStr, Field(max_length=256)] | StrictInt | StrictBool | None
Notes = Annotated[
    dict[NoteKey, NoteValue],
    Field(
        max_length=15, description="up to 15 key-value pairs; values are strings (256 characters), integers or booleans"
    ),
]


def _as_utc(moment: datetime) -> datetime:
    """A time without an offset is UTC (documented), never the zone the database or process runs in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# A list filter's time: what the parser takes, as the document says it (a date-time without a leap
# second or year 0, or unix seconds), so a client following the document is never refused. Read as
# UTC when it names no offset.
QueryTime = Annotated[
    datetime,
    AfterValidator(_as_utc),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "string",
                    "format": "date-time",
                    "pattern": r"^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-5][0-9]",
                },
                {"type": "string", "pattern": r"^-?[0-9]{1,11}(\.[0-9]{1,6})?$"},
            ]
        }
    ),
]


class ListQuery(Model):
    """Paging shared by every list: offset paging plus a cursor (`starting_after`) for deep pages."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=100_000)
    starting_after: Annotated[str, Field(max_length=64)] | None = None
    search: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="an exact id: payment or order (payments), refund or payment (refunds),"
        " event or payment (webhooks), entry or its source (balance transactions)",
    )
    created_from: QueryTime | None = Field(
        default=None, alias="from", description="ISO 8601 (no offset: UTC) or unix seconds"
    )
    created_to: QueryTime | None = Field(
        default=None, alias="to", description="ISO 8601 (no offset: UTC) or unix seconds"
    )

    @model_validator(mode="after")
    def _one_paging_style(self) -> Self:
        if self.starting_after is not None and self.offset:
            raise ValueError("use either offset or starting_after, not both")
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("from must not be after to")
        return self

    def filters(self) -> dict[str, Any]:
        return self.model_dump(exclude={"limit", "offset", "starting_after"})


class Page(Model):
    data: list[dict[str, Any]]
    total: int = Field(description="Matching rows, counted up to 10,000")
    total_capped: bool = Field(
        description="More than 10,000 rows match: `total` is 10,000; page on with `has_more` and `starting_after`"
    )
    limit: int
    offset: int
    has_more: bool = Field(description="Another page follows this one")


# A reply's defaults are dumped like any value: its schema says every field is there (not optional).
REPLY_CONFIG = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)
