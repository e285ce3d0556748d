"""The ports the local runs start servers on: never one the kernel may hand an outgoing connection."""

from __future__ import annotations

import socket

from stack import loopback


def test_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    # Given the kernel's range for outgoing connections
    low, _ = loopback._ephemeral_range()
    # When a run asks for several ports in a row
    ports = [loopback.free_port() for _ in range(20)]
    # Then none repeats, none is one an outgoing connection could take, and each can be bound
    assert len(set(ports)) == len(ports)
    assert all(port < low for port in ports), ports
    for port in ports:
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))


def test_a_port_in_use_is_never_handed_out(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Given a listener on the only candidate port below the range
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        taken.listen()
        monkeypatch.setattr(loopback, "_LOWEST", busy)
        monkeypatch.setattr(loopback, "_ephemeral_range", lambda: (busy + 1001, busy + 2000))
        monkeypatch.setattr(loopback, "_handed_out", set())
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # the whole range, under xdist too
        # When a port is asked for, then it is not the busy one
        assert all(loopback.free_port() != busy for _ in range(30))


def test_parallel_test_workers_draw_from_disjoint_shares(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Given two pytest-xdist worker processes, each remembering only the ports it handed out itself
    handed: dict[str, set[int]] = {}
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        monkeypatch.setattr(loopback, "_handed_out", set())
        # When each asks for ports
        handed[worker] = {loopback.free_port() for _ in range(30)}
    # Then no port is handed to both, whatever the timing of their servers' binds
    assert handed["gw0"].isdisjoint(handed["gw1"])
    assert max(handed["gw0"]) < min(handed["gw1"])
    low, _ = loopback._ephemeral_range()
    assert all(port < low for port in handed["gw1"])
