"""The checkout origin (:3001): checkout.js, the hosted checkout page, and a demo merchant page.

In AWS these are static files behind CloudFront; locally one server adds what the CDN would: the
checkout's Content-Security-Policy, the API base URL as /config.js, and a demo that creates an order
server-side the way a merchant's server would.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from devstack.loopback_server import LoopbackServer
from devstack.static_sites import SiteHandler, content_security_policy

# Any merchant site may embed the checkout; local pages are http.
FRAME_ANCESTORS = "'self' https: http://localhost:* http://127.0.0.1:*"
# template.yaml's CheckoutRewriteFunction serves these from checkout/index.html too.
_PAYMENT_LINK_PATH = re.compile(r"/l/[A-Za-z0-9_]{1,64}/?")


def checkout_csp(api_base: str) -> str:
    """CloudFront's policy for the checkout (template.yaml), talking to the local API and embeddable
    by local http pages."""
    return content_security_policy(
        "CheckoutHeadersPolicy", connect_src=f"'self' {api_base}", frame_ancestors=FRAME_ANCESTORS
    )


class _CheckoutHandler(SiteHandler):
    api_base = ""
    create_demo_order: Callable[[], str] | None = None

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/config.js":
            self.send_config({"apiBase": self.api_base, "checkoutOrigin": f"http://127.0.0.1:{self.port()}"})
            return
        if path in ("/demo", "/demo/") and "order_id=" not in self.path and self.create_demo_order:
            # The demo lives on another origin (localhost) than the checkout (127.0.0.1).
            port = self.port()
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/demo/index.html?order_id={self.create_demo_order()}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        # A payment link's short_url (/l/{id}) is the checkout page, as the CDN's rewrite serves it.
        if path in ("/checkout", "/checkout/") or _PAYMENT_LINK_PATH.fullmatch(path):
            query = urlsplit(self.path).query
            self.path = "/checkout/index.html" + (f"?{query}" if query else "")
        super().do_GET()

    def end_headers(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/checkout/"):
            self.send_header("Content-Security-Policy", checkout_csp(self.api_base))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()


class CheckoutSite(LoopbackServer):
    def __init__(self, folder: Path, port: int, api_base: str, create_demo_order: Callable[[], str] | None) -> None:
        handler_class = type(
            "CheckoutHandler",
            (_CheckoutHandler,),
            {"api_base": api_base, "create_demo_order": staticmethod(create_demo_order) if create_demo_order else None},
        )
        super().__init__(port, functools.partial(handler_class, directory=str(folder)), f"checkout-{port}")
