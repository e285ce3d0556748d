"""Who may call each route: the one table that authentication, the OpenAPI document's security,
CORS and the latency metric's route families read.

Every route needs the merchant's API key and secret, or a dashboard session, unless it is listed
here: a new route is private until someone decides otherwise, in this file.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, NamedTuple


class Access(StrEnum):
    PRIVATE = "private"  # key + secret (merchant servers) or a Bearer session (the dashboard)
    PUBLISHABLE_KEY = "publishable_key"  # the checkout: the key only, its own budgets
    NONE = "none"  # no credentials
    SIGN_IN = "sign_in"  # no credentials; a wrong password is 401, a lockout 429; the dashboard calls it
    LOCAL_ONLY = "local_only"  # no credentials, and no such route outside the local runtime
    # Private, and no such route outside the local runtime: a test-mode action on the caller's own data.
    LOCAL_PRIVATE = "local_private"
    # The shopper's page of a payment link: no credentials; the link's id in the path names the
    # merchant, whose checkout budgets (the publishable key's and the caller address's) it spends.
    PAYMENT_LINK = "payment_link"


# (method, the route's path as the routers declare it) -> who may call it; anything else: PRIVATE.
NOT_PRIVATE: dict[tuple[str, str], Access] = {
    ("GET", "/health"): Access.NONE,
    ("GET", "/api/v1/openapi.json"): Access.NONE,
    ("GET", "/api/v1/docs"): Access.NONE,
    ("POST", "/api/v1/auth/login"): Access.SIGN_IN,
    ("GET", "/api/v1/orders/<order_id>/public"): Access.PUBLISHABLE_KEY,
    ("POST", "/api/v1/payments/public"): Access.PUBLISHABLE_KEY,
    ("GET", "/api/v1/payments/<payment_id>/public"): Access.PUBLISHABLE_KEY,
    ("GET", "/api/v1/payment_links/<payment_link_id>/public"): Access.PAYMENT_LINK,
    ("GET", "/api/v1/test/merchant"): Access.LOCAL_ONLY,
    ("GET", "/api/v1/test/jobs/status"): Access.LOCAL_ONLY,
    ("POST", "/api/v1/test/settlements/run"): Access.LOCAL_PRIVATE,
    ("POST", "/api/v1/test/payment_links/<payment_link_id>/expire"): Access.LOCAL_PRIVATE,
    ("POST", "/api/v1/test/payments/<payment_id>/dispute"): Access.LOCAL_PRIVATE,
    ("POST", "/api/v1/test/disputes/<dispute_id>/resolve"): Access.LOCAL_PRIVATE,
}


LOCAL_ACCESS = (Access.LOCAL_ONLY, Access.LOCAL_PRIVATE)


def access_of(method: str, path: str) -> Access:
    return NOT_PRIVATE.get((method.upper(), path), Access.PRIVATE)


class Route(NamedTuple):
    method: str
    path: str  # as declared: /api/v1/orders/<order_id>/public
    access: Access
    rule: re.Pattern[str]  # the resolver's own compiled path pattern

    @property
    def document_path(self) -> str:
        """The path as the OpenAPI document writes it: /api/v1/orders/{order_id}/public."""
        return re.sub(r"<([^>]+)>", r"{\1}", self.path)

    @property
    def family(self) -> str:
        """`payments` for /api/v1/payments/<payment_id>/refunds: the latency metric's dimension."""
        parts = self.path.split("/")
        return parts[3] if parts[1:3] == ["api", "v1"] and len(parts) > 3 else parts[1]


def routes_at(routes: list[Route], path: str) -> list[Route]:
    """The declared routes a request path matches (any method)."""
    return [route for route in routes if route.rule.match(path)]


def route_for(matched: list[Route], method: str) -> Route | None:
    """Of the routes a path matched, the one a request goes to, as the resolver picks it: a literal
    path before a parameter."""
    matching = [route for route in matched if route.method == method]
    return min(matching, key=lambda route: "<" in route.path, default=None)


def routes_of(app: Any) -> list[Route]:
    """The resolver's routes, each with who may call it."""
    return [Route(r.method, r.path, access_of(r.method, r.path), r.rule) for r in app_routes(app)]


def app_routes(app: Any) -> list[Any]:
    """The resolver's routes (Powertools keeps its table in these two lists)."""
    return list(app._static_routes) + list(app._dynamic_routes)
