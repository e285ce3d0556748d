"""Static file servers for the dashboard and the checkout/SDK (what S3 + CloudFront serve in AWS)."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from devstack.loopback_server import LoopbackServer


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticSite(LoopbackServer):
    def __init__(self, folder: Path, port: int) -> None:
        super().__init__(port, functools.partial(_QuietHandler, directory=str(folder)), f"static-{port}")
