"""Settings that change behaviour: the webhook retry waits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import Settings


def test_production_retry_waits_are_1_5_30_120_minutes() -> None:
    assert Settings(stage="prod", test_mode=False).webhook_retry_delays == (60, 300, 1800, 7200)


def test_test_interval_switch_and_explicit_test_waits() -> None:
    assert Settings(stage="local", webhook_retry_intervals_test=True).webhook_retry_delays == (5, 10, 15, 20)
    assert Settings(stage="local", webhook_retry_delays_test="1,2,3,4").webhook_retry_delays == (1, 2, 3, 4)


def test_explicit_test_waits_are_ignored_outside_local_and_test_mode() -> None:
    assert Settings(stage="prod", test_mode=False, webhook_retry_delays_test="1,1,1,1").webhook_retry_delays == (
        60,
        300,
        1800,
        7200,
    )


@pytest.mark.parametrize("value", ["1,1,1", "1,1,1,1,1", "a,b,c,d", "1, 1,1,1"])
def test_explicit_test_waits_must_be_four_whole_seconds(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(webhook_retry_delays_test=value)
