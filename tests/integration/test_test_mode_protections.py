"""Test mode changes how payments are simulated, never what is protected (issue 25, item 3).

A deployed stack (STAGE=staging) whose functions are given TEST_MODE=true keeps the SSRF guard, the
real session signing key and no test routes; only the local runtime (STAGE=local) relaxes them.
"""

from __future__ import annotations

from typing import Any

from gateway.settings import Settings
from tests.support import Gateway


def test_test_mode_on_a_deployed_stage_relaxes_nothing() -> None:
    deployed = Settings(stage="staging", test_mode=True, webhook_retry_delays_test="1,1,1,1")
    assert not deployed.is_local
    assert not deployed.allows_private_webhook_urls
    assert not deployed.test_routes_enabled
    assert deployed.local_session_key is None
    assert deployed.webhook_retry_delays == (60, 300, 1800, 7200)


def test_the_local_runtime_alone_relaxes_them() -> None:
    local = Settings(stage="local", test_mode=False)
    assert local.allows_private_webhook_urls and local.test_routes_enabled and local.local_session_key


def test_deployed_test_mode_refuses_loopback_webhook_urls_and_hides_test_routes(gateway: Gateway, setting: Any) -> None:
    # Given a staging stack run in test mode (deterministic processing)
    setting("STAGE", "staging")
    setting("TEST_MODE", "true")
    # When a merchant points its webhooks at the metadata service or loopback
    for url in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:9/hook"):
        response = gateway.api("PUT", "/api/v1/merchant/webhook", {"webhook_url": url})
        # Then the URL guard refuses it, as in production
        assert response.status == 400, response.json
        assert response.json["error"]["code"] == "BAD_REQUEST_ERROR"
    saved = gateway.rows("SELECT url FROM webhook_endpoints WHERE is_default")
    assert saved == [{"url": None}]
    # And the local helper routes do not exist
    test_route = gateway.api("GET", "/api/v1/test/merchant", headers={"x-api-key": None, "x-api-secret": None})
    assert test_route.status == 404
