"""A free port on loopback, for whatever a local run starts there (the runtime's servers, LocalStack)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
