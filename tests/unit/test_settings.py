"""Settings that change behaviour: the webhook retry waits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import Settings, get_settings


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


def test_settings_come_from_the_environment_by_field_name_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("TEST_MODE", "false")
    monkeypatch.setenv("session_minutes", "15")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("PAYMENTS_QUEUE_URL", "https://sqs.example/payments")
    monkeypatch.setenv("NOT_A_SETTING", "ignored")
    settings = Settings()
    assert (settings.stage, settings.test_mode, settings.session_minutes) == ("prod", False, 15)
    assert settings.webhook_timeout_seconds == 2.5
    assert settings.queue_url("payments") == "https://sqs.example/payments"
    assert not hasattr(settings, "not_a_setting")
    # Keyword arguments win over the environment.
    assert Settings(stage="local").stage == "local"


@pytest.mark.parametrize(
    ("name", "value"), [("SESSION_MINUTES", "0"), ("TEST_MODE", "maybe"), ("STUCK_AFTER_SECONDS", "")]
)
def test_an_invalid_environment_value_is_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_get_settings_reads_once_until_its_cache_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAGE", "first")
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
        assert get_settings().stage == "first"
        monkeypatch.setenv("STAGE", "second")
        assert get_settings().stage == "first"
        get_settings.cache_clear()
        assert get_settings().stage == "second"
    finally:
        get_settings.cache_clear()
