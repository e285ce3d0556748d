"""The local sites send CloudFront's Content-Security-Policies from template.yaml (one source), with
only the directives that name AWS origins replaced (issue 24)."""

from __future__ import annotations

from devstack.checkout_site import FRAME_ANCESTORS, checkout_csp
from devstack.dashboard_site import dashboard_csp
from devstack.static_sites import directives, template_policy

API = "http://127.0.0.1:8000"


def test_the_checkout_policy_is_cloudfronts_but_for_the_api_origin_and_local_embedders() -> None:
    local, aws = directives(checkout_csp(API)), template_policy("CheckoutHeadersPolicy")
    assert local.keys() == aws.keys()
    assert {name for name in aws if local[name] != aws[name]} == {"connect-src", "frame-ancestors"}
    assert local["connect-src"] == f"'self' {API}" and local["frame-ancestors"] == FRAME_ANCESTORS


def test_the_dashboard_policy_is_cloudfronts_but_for_the_api_origin() -> None:
    local, aws = directives(dashboard_csp(API)), template_policy("DashboardHeadersPolicy")
    assert {name for name in aws if local[name] != aws[name]} == {"connect-src"}
    assert local["frame-ancestors"] == "'none'" and local["connect-src"] == f"'self' {API}"
