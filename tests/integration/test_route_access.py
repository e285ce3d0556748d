"""Authentication no route can forget (issue 24): every route is private unless api_routes/access.py
lists it, and the middleware enforces what the table says, route by route."""

from __future__ import annotations

import re

import api_handler
import pytest

from api_routes.access import NOT_PRIVATE, Access, access_of
from tests.support import Gateway

NO_CREDENTIALS = {"x-api-key": None, "x-api-secret": None}


def _request_path(route_path: str) -> str:
    return re.sub(r"<[^>]+>", "pay_doesnotexist00", route_path)


@pytest.mark.parametrize("route", api_handler.ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_every_route_refuses_or_serves_callers_without_credentials_as_its_access_says(
    gateway: Gateway, route: api_handler.Route
) -> None:
    response = gateway.api(route.method, _request_path(route.path), headers=NO_CREDENTIALS)
    if route.access in (Access.PRIVATE, Access.LOCAL_PRIVATE, Access.PUBLISHABLE_KEY):
        assert response.status == 401, response.body
        assert response.json["error"]["code"] == "AUTHENTICATION_ERROR"
    else:
        assert response.status != 401, response.body


def test_a_route_nobody_listed_is_private() -> None:
    assert access_of("POST", "/api/v1/a_route_added_tomorrow") is Access.PRIVATE
    declared = {(route.method, route.path) for route in api_handler.ROUTES}
    assert set(NOT_PRIVATE) <= declared, "the table names a route that does not exist"


def test_local_only_routes_are_unknown_outside_the_local_runtime(gateway: Gateway, setting: object) -> None:
    setting("STAGE", "prod")  # type: ignore[operator]
    for route in api_handler.ROUTES:
        if route.access in (Access.LOCAL_ONLY, Access.LOCAL_PRIVATE):
            assert gateway.api(route.method, route.path, headers=NO_CREDENTIALS).status == 404
