"""Who is calling, as far as the network tells: the address lockouts and budgets are kept per."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

from gateway.settings import get_settings

EDGE_HEADER = "x-gateway-edge"
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"


def viewer_address(headers: Mapping[str, str], source_ip: str) -> str:
    """The caller's address. Behind the dashboard's CloudFront distribution the connection comes
    from an edge server, shared by every viewer it serves, so the viewer's own address is the one
    CloudFront forwards (`CloudFront-Viewer-Address: ip:port`); it is believed only when the request
    carries the token that distribution adds (anyone can send the header itself straight to the
    API), and only when it is an address."""
    token = get_settings().edge_origin_token
    forwarded = headers.get(VIEWER_ADDRESS_HEADER)
    if not token or not forwarded or not hmac.compare_digest(headers.get(EDGE_HEADER, "").encode(), token.encode()):
        return source_ip
    host = forwarded.rsplit(":", 1)[0].strip("[]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return source_ip
