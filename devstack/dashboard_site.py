"""The dashboard origin (:3000): the built React app (`dashboard/dist`), as CloudFront serves it.

A single-page app: any path that is not a file gets index.html (CloudFront: a viewer-request
function). /config.js carries the API base URL, so the same build runs against any API.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devstack.loopback_server import LoopbackServer
from devstack.static_sites import SiteHandler, content_security_policy

NOT_BUILT = b"""<!doctype html><meta charset="utf-8"><title>Dashboard not built</title>
<h1>The dashboard is not built</h1><p>Run <code>make dev</code> (it builds <code>dashboard/</code> when its
sources change), or <code>scripts/build-dashboard.sh</code>.</p>"""


def dashboard_csp(api_base: str, upload_origin: str = "") -> str:
    """CloudFront's policy for the dashboard (template.yaml); locally the API is another origin, and
    the evidence bucket is on the S3 endpoint's (path-style URLs), not its own regional host."""
    return content_security_policy("DashboardHeadersPolicy", connect_src=f"'self' {api_base} {upload_origin}".strip())


class _DashboardHandler(SiteHandler):
    api_base = ""
    checkout_origin = ""
    upload_origin = ""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/config.js":
            self.send_config({"apiBase": self.api_base, "checkoutOrigin": self.checkout_origin})
            return
        if not (Path(self.directory) / "index.html").is_file():
            self.send_body(503, "text/html; charset=utf-8", NOT_BUILT)
            return
        super().do_GET()

    def send_head(self) -> Any:
        """Shared by GET and HEAD: a path whose last segment has no dot is a client-side route."""
        if "." not in urlsplit(self.path).path.rsplit("/", 1)[-1]:
            self.path = "/index.html"
        return super().send_head()

    def end_headers(self) -> None:
        path = urlsplit(self.path).path
        # Hashed assets never change; the page and its config must never be stale.
        immutable = path.startswith("/assets/")
        self.send_header("Cache-Control", "public, max-age=31536000, immutable" if immutable else "no-store")
        self.send_header("Content-Security-Policy", dashboard_csp(self.api_base, self.upload_origin))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()


class DashboardSite(LoopbackServer):
    def __init__(self, folder: Path, port: int, api_base: str, checkout_origin: str, upload_origin: str = "") -> None:
        handler_class = type(
            "DashboardHandler",
            (_DashboardHandler,),
            {"api_base": api_base, "checkout_origin": checkout_origin, "upload_origin": upload_origin},
        )
        super().__init__(port, functools.partial(handler_class, directory=str(folder)), f"dashboard-{port}")
