"""The SSRF guard decides on every address a URL can reach, IPv4 embedded in IPv6 included. Checked
by what it refuses: nothing here opens a connection (literal addresses resolve without DNS)."""

from __future__ import annotations

import pytest

from gateway.adapters.webhook_http import BlockedDestination, is_public_address, resolve_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "169.254.169.254",  # instance metadata
        "::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::808:808",  # local-use NAT64 prefix: never public
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "224.0.0.1",
    ],
)
def test_non_public_destinations_are_refused(address: str) -> None:
    assert not is_public_address(address)
    with pytest.raises(BlockedDestination):
        resolve_public(address, 443)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1"])
def test_public_destinations_pass(address: str) -> None:
    assert is_public_address(address)
    assert resolve_public(address, 443) == address
