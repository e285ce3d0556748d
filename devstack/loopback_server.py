"""A threaded HTTP server on 127.0.0.1 that serves from a background thread."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any


class LoopbackHTTPServer(ThreadingHTTPServer):
    # The stdlib's backlog of 5 resets connections under a burst of concurrent clients.
    request_queue_size = 128


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
