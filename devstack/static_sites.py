"""Static file servers: what S3 + CloudFront serve in AWS, with the headers CloudFront would add."""

from __future__ import annotations

import functools
import json
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from devstack.loopback_server import LoopbackServer


def config_script(config: dict[str, str]) -> bytes:
    """/config.js: the API base URL and friends, configuration rather than compiled-in constants.
    The same file the deploy writes to the S3 buckets (deploy/publish_sites.py)."""
    return f"window.GATEWAY_CONFIG = window.DEMO_CONFIG = {json.dumps(config)};\n".encode()


class SiteHandler(SimpleHTTPRequestHandler):
    """Quiet, with helpers for generated responses (config.js, redirects, error pages)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def port(self) -> int:
        address = self.server.server_address
        assert isinstance(address, tuple)
        return int(address[1])

    def send_body(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_config(self, config: dict[str, str]) -> None:
        self.send_body(200, "application/javascript", config_script(config))


class StaticSite(LoopbackServer):
    def __init__(self, folder: Path, port: int) -> None:
        super().__init__(port, functools.partial(SiteHandler, directory=str(folder)), f"static-{port}")
