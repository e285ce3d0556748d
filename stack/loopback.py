"""A free port on loopback, for whatever a local run starts there (the runtime's servers, LocalStack)."""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

# Ports the kernel hands out for outgoing connections (Linux's default range when /proc cannot say).
_EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL = (32768, 60999)
_LOWEST = 20000
# Handed out by this process already: three servers asking in a row must get three ports.
_handed_out: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(part) for part in _EPHEMERAL_RANGE_FILE.read_text().split())
        return low, high
    except (OSError, ValueError):
        return _DEFAULT_EPHEMERAL


def _share(candidates: range) -> range:
    """Under pytest-xdist, worker N of M draws only from the N-th of M equal slices of `candidates`:
    each worker process remembers only its own ports, so without this two workers could both pick
    a port between one's probe and its server's bind. (A process the worker starts, such as a local
    stack, inherits the worker's variables and so its slice.)"""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if not (worker.startswith("gw") and worker[2:].isdigit() and count.isdigit()):
        return candidates
    index, total = int(worker[2:]), int(count)
    if not 0 <= index < total:
        return candidates
    size = len(candidates) // total
    return candidates[index * size : (index + 1) * size]


def free_port() -> int:
    """A port free now and outside the ephemeral range: a port bound to 0 and released is the next
    one the kernel may give an outgoing connection (a test's httpx client, a Postgres connection),
    so a server started on it seconds later can find it taken (CI saw exactly that)."""
    low, _ = _ephemeral_range()
    candidates = _share(range(_LOWEST, low) if low > _LOWEST + 1000 else range(0))
    for port in random.sample(candidates, min(50, len(candidates))):
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            _handed_out.add(port)
            return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
