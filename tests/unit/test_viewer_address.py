"""The address sign-in lockouts are kept per (issue 25, item 4): behind CloudFront, the viewer's."""

from __future__ import annotations

import pytest

from api_routes.viewer import viewer_address
from gateway.settings import get_settings

EDGE = "130.176.1.10"  # a CloudFront edge server, shared by every viewer behind it


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_ORIGIN_TOKEN", "6f1c2a1e-0000-4000-8000-000000000001")
    get_settings.cache_clear()


def _through_edge(viewer: str, token: str = "6f1c2a1e-0000-4000-8000-000000000001") -> dict[str, str]:
    return {"x-gateway-edge": token, "cloudfront-viewer-address": viewer}


@pytest.mark.parametrize(
    ("forwarded", "address"),
    [("198.51.100.7:52311", "198.51.100.7"), ("2001:db8::7:443", "2001:db8::7"), ("[2001:db8::8]:443", "2001:db8::8")],
)
def test_through_the_distribution_the_viewer_address_counts(forwarded: str, address: str) -> None:
    assert viewer_address(_through_edge(forwarded), EDGE) == address


def test_a_forged_viewer_address_without_the_edge_token_is_ignored() -> None:
    # Sent straight to the API, which anyone can do: the connection's address counts.
    assert viewer_address({"cloudfront-viewer-address": "203.0.113.5:1"}, "192.0.2.44") == "192.0.2.44"
    assert viewer_address(_through_edge("203.0.113.5:1", token="guess"), "192.0.2.44") == "192.0.2.44"


def test_garbage_in_the_header_falls_back_to_the_connection() -> None:
    assert viewer_address(_through_edge("not-an-address:80"), EDGE) == EDGE


def test_without_a_configured_token_nothing_forwarded_is_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_ORIGIN_TOKEN", "")
    get_settings.cache_clear()
    assert viewer_address(_through_edge("198.51.100.7:1", token=""), EDGE) == EDGE
