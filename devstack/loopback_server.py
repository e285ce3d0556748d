"""A threaded HTTP server on 127.0.0.1 that serves from a background thread."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any


class LoopbackHTTPServer(ThreadingHTTPServer):
    # The stdlib's backlog of 5 resets connections under a burst of concurrent clients.
    request_queue_size = 128

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        """As the stdlib's, but shutdown() returns within 50 ms instead of up to half a second (its
        default poll): a stack stopping several servers, and every test's receiver, waited for it."""
        super().serve_forever(poll_interval)


class LoopbackServer:
    def __init__(self, port: int, handler: Any, name: str) -> None:
        self._server = LoopbackHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
