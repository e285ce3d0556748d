"""The trigger registry (toolkit/triggers.py) against the event catalog, and the CLI's arguments;
tests/e2e/test_trigger.py runs every trigger against a running stack."""

from __future__ import annotations

import pytest

from gateway.catalog import EVENT_TYPES
from toolkit import cli, triggers


def test_every_catalog_event_type_has_a_trigger() -> None:
    assert triggers.missing_triggers() == [], "add a @trigger for each new event type in toolkit/triggers.py"
    assert set(triggers.TRIGGERS) == set(EVENT_TYPES)


def test_a_catalog_type_without_a_trigger_is_reported() -> None:
    assert triggers.missing_triggers((*EVENT_TYPES, "payment.teleported")) == ["payment.teleported"]


def test_a_trigger_for_a_type_outside_the_catalog_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not in gateway\.catalog"):
        triggers.trigger("payment.teleported")


def test_the_list_shows_every_type_with_what_its_trigger_does(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["trigger", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(EVENT_TYPES)
    assert all(len(line.split()) > 1 for line in lines)


def test_an_unknown_type_is_refused_before_anything_is_created(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["trigger", "payment.teleported", "--local"])
    assert exited.value.code == 2 and "--list" in capsys.readouterr().err


def test_a_deployed_stack_needs_the_merchant_s_key_and_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_API_KEY", raising=False)
    monkeypatch.delenv("GATEWAY_API_SECRET", raising=False)
    with pytest.raises(SystemExit, match="key and secret"):
        cli.main(["trigger", "payment.created", "--stack", "payment-gateway"])


def test_a_deployed_stack_is_reached_at_its_api_url_output(monkeypatch: pytest.MonkeyPatch) -> None:
    import deploy.stack_outputs

    monkeypatch.setattr(deploy.stack_outputs, "stack_outputs", lambda stack, region: {"ApiUrl": f"https://{stack}.x"})
    args = cli._parser().parse_args(["trigger", "payment.created", "--stack", "pg", "--key", "k", "--secret", "s"])
    assert cli._target(args) == ("https://pg.x", "k", "s")


def test_local_uses_the_seeded_test_merchant() -> None:
    from devstack.test_merchant import TEST_MERCHANT

    args = cli._parser().parse_args(["trigger", "payment.created", "--local"])
    args.key = args.secret = None  # whatever the environment says
    assert cli._target(args) == (cli.LOCAL_API_URL, TEST_MERCHANT["api_key"], TEST_MERCHANT["api_secret"])
