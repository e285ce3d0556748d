"""Reports: the create body, the list filters and the reply.

No `from __future__ import annotations` here: pydantic would compile and evaluate every field's
annotation from its string (~10 ms of each cold start); a model may only name models defined above it.
"""

from datetime import datetime, timedelta
from typing import Literal, Self

from pydantic import Field, model_validator

from gateway.models.base import REPLY_CONFIG, ListQuery, Model, QueryTime, Request

ReportType = Literal["payments", "refunds", "balance_transactions", "settlements"]
ReportStatus = Literal["pending", "generating", "ready", "failed"]
# The longest window one report covers (a year and a day: a leap year's accounts with a margin).
MAX_WINDOW = timedelta(days=366)


class CreateReportRequest(Request):
    type: ReportType
    window_from: QueryTime = Field(alias="from", description="ISO 8601 (no offset: UTC) or unix seconds; inclusive")
    window_to: QueryTime = Field(alias="to", description="ISO 8601 (no offset: UTC) or unix seconds; exclusive")

    @model_validator(mode="after")
    def _a_window(self) -> Self:
        if self.window_from >= self.window_to:
            raise ValueError("from must be before to")
        if self.window_to - self.window_from > MAX_WINDOW:
            raise ValueError("a report covers at most 366 days (from to to)")
        return self


class ReportListQuery(ListQuery):
    status: ReportStatus | None = None
    type: ReportType | None = None


class Report(Model):
    """A CSV of the merchant's rows of one type created in [from, to), written by a queue consumer."""

    model_config = REPLY_CONFIG

    id: str
    type: ReportType
    window_from: datetime = Field(serialization_alias="from")
    window_to: datetime = Field(serialization_alias="to")
    status: ReportStatus
    row_count: int | None = Field(default=None, description="data rows in the file (the header aside), once ready")
    size_bytes: int | None = Field(default=None, description="the file's size, once ready")
    failure_reason: str | None = Field(default=None, description="why generation failed (status failed)")
    download_url: str | None = Field(
        default=None, description="a presigned link to the CSV (status ready); it expires at download_expires_at"
    )
    download_expires_at: datetime | None = None
    created_at: datetime
    completed_at: datetime | None = None
