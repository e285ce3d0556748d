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
        # Issue 25, item 16: reserved IPv6 forms outside global unicast, or special-purpose in it.
        "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1 (RFC 2765)
        "::ffff:0:a9fe:a9fe",  # IPv4-translated 169.254.169.254
        "fec0::1",  # site-local (deprecated, still routed by some stacks)
        "::1:7f00:1",  # in ::/8, reserved
        "3fff::1",  # documentation (RFC 9637)
        "5f00::1",  # SRv6 SIDs (RFC 9602)
        "2001:db8::1",  # documentation
        "2001::1",  # Teredo
        "2001:2::1",  # benchmarking
        "2001:10::1",  # ORCHID (deprecated)
        "2001:100::1",  # elsewhere in the IETF protocol assignments block, 2001::/23
        "100::1",  # discard-only
        "::ffff:8.8.8.8",  # IPv4-mapped: not an address to connect to over IPv6
        "::8.8.8.8",  # IPv4-compatible (deprecated)
        "4000::1",  # unassigned, outside 2000::/3
    ],
)
def test_non_public_destinations_are_refused(address: str) -> None:
    assert not is_public_address(address)
    with pytest.raises(BlockedDestination):
        resolve_public(address, 443)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "2606:4700:4700::1111",
        "64:ff9b::808:808",
        "2002:808:808::1",
        "2a00:1450:4001:80b::200e",
        # Inside 2001::/23, but listed as globally reachable by the IANA registry.
        "2001:1::1",  # PCP anycast
        "2001:3::1",  # AMT
        "2001:4:112::1",  # AS112-v6
        "2001:200::1",  # a regular allocation just past 2001::/23
        "2620:4f:8000::1",  # AS112 direct delegation
    ],
)
def test_public_destinations_pass(address: str) -> None:
    assert is_public_address(address)
    assert resolve_public(address, 443) == address
