"""Every timestamp is aware and UTC end to end (issue 25, item 6), whatever zone the process runs in."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from devstack.emulator import create_schedule_group, scheduler_client
from gateway.adapters import postgres, scheduler
from gateway.adapters.postgres import transaction
from tests.support import Gateway

INDIA = timezone(timedelta(hours=5, minutes=30))


def test_a_schedule_time_in_another_zone_is_written_as_its_utc_instant(aws_endpoint: str) -> None:
    # Given a retry due at 02:00 in India, which is 20:30 UTC the day before
    group = f"tz-{uuid.uuid4().hex[:8]}"
    create_schedule_group(group)
    due = datetime(2027, 1, 15, 2, 0, tzinfo=INDIA)
    # When it is scheduled
    scheduler.schedule_sqs_message(
        name="tz-check",
        at=due,
        group=group,
        queue_arn="arn:aws:sqs:us-east-1:123456789012:tz",
        role_arn="arn:aws:iam::123456789012:role/tz",
        body="{}",
    )
    # Then the expression, read in UTC, names the same instant
    schedule = scheduler_client().get_schedule(GroupName=group, Name="tz-check")
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["ScheduleExpression"] == "at(2027-01-14T20:30:00)"
    assert datetime.strptime(schedule["ScheduleExpression"], "at(%Y-%m-%dT%H:%M:%S)").replace(tzinfo=UTC) == due


def test_a_naive_schedule_time_is_refused(aws_endpoint: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        scheduler.schedule_sqs_message("naive", datetime(2027, 1, 15, 2, 0), "g", "arn:q", "arn:r", "{}")


@pytest.fixture
def zones_away_from_utc(gateway: Gateway) -> Iterator[None]:
    """The process in India's zone and the database's own default there too (as a cluster parameter
    group might set it): the gateway's sessions must still be UTC."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    database = gateway.rows("SELECT current_database() AS name")[0]["name"]
    gateway.execute(f"ALTER DATABASE \"{database}\" SET timezone = 'Asia/Kolkata'")
    postgres.close_connection()  # the next transaction opens a session under these defaults
    try:
        yield
    finally:
        gateway.execute(f'ALTER DATABASE "{database}" RESET timezone')
        postgres.close_connection()
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_sessions_are_utc_whatever_the_database_default(gateway: Gateway, zones_away_from_utc: None) -> None:
    with transaction() as tx:
        assert tx.one("SELECT current_setting('TimeZone') AS zone") == {"zone": "UTC"}


def test_replies_carry_utc_times_and_naive_filters_are_read_as_utc(gateway: Gateway, zones_away_from_utc: None) -> None:
    # Given an order, created "now"
    order = gateway.create_order()
    created = datetime.fromisoformat(order["created_at"])
    # Then its time comes back in UTC, not in the process's or the database's zone
    assert created.utcoffset() == timedelta(0), order["created_at"]
    # And a filter without an offset is read as UTC: an hour after the order excludes it (read in
    # India's zone it would be 4.5 h before the order, and include it)
    an_hour_later = (created + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    listed = gateway.api("GET", f"/api/v1/orders?{urlencode({'from': an_hour_later})}")
    assert listed.status == 200, listed.body
    assert [row["id"] for row in listed.json["data"]] == []
    a_minute_before = (created - timedelta(minutes=1)).replace(tzinfo=None).isoformat()
    listed = gateway.api("GET", f"/api/v1/orders?{urlencode({'from': a_minute_before})}")
    assert [row["id"] for row in listed.json["data"]] == [order["id"]]
