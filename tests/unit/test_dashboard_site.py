"""The local stand-in for the dashboard's CloudFront: SPA routes, config.js, headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devstack.dashboard_site import DashboardSite


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    server = DashboardSite(tmp_path, 0, "http://127.0.0.1:8000", "http://127.0.0.1:3001")
    server.start()
    yield f"http://127.0.0.1:{server.port}", tmp_path
    server.stop()


def test_client_routes_get_index_html_and_assets_are_immutable(site: tuple[str, Path]) -> None:
    url, build = site
    (build / "index.html").write_text("<!doctype html><div id=root></div>")
    (build / "assets").mkdir()
    (build / "assets" / "index-abc.js").write_text("console.log(1)")
    for path in ("/", "/login", "/dashboard/transactions", "/dashboard/webhooks/"):
        page = httpx.get(url + path + "?payment=pay_1")
        assert page.status_code == 200 and "id=root" in page.text, path
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "connect-src 'self' http://127.0.0.1:8000" in page.headers["content-security-policy"]
    asset = httpx.get(url + "/assets/index-abc.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert httpx.get(url + "/assets/missing.js").status_code == 404


def test_config_js_carries_the_api_base(site: tuple[str, Path]) -> None:
    url, build = site
    (build / "index.html").write_text("x")
    body = httpx.get(url + "/config.js").text
    config = json.loads(body.split("=", 2)[2].strip().rstrip(";"))
    assert config == {"apiBase": "http://127.0.0.1:8000", "checkoutOrigin": "http://127.0.0.1:3001"}


def test_an_unbuilt_dashboard_says_how_to_build_it(site: tuple[str, Path]) -> None:
    url, _ = site
    page = httpx.get(url + "/dashboard")
    assert page.status_code == 503 and "build-dashboard.sh" in page.text
