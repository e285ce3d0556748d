"""Static file servers: what S3 + CloudFront serve in AWS, with the headers CloudFront would add."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from devstack.loopback_server import LoopbackServer
from stack.site_config import config_script
from stack.template import load_template

ROOT = Path(__file__).resolve().parent.parent


def directives(policy: str) -> dict[str, str]:
    """A Content-Security-Policy by directive, in order."""
    parts = (part.strip().split(None, 1) for part in " ".join(policy.split()).split(";") if part.strip())
    return {name: value for name, value in parts}


@functools.cache
def template_policy(policy_id: str) -> dict[str, str]:
    """The Content-Security-Policy of a CloudFront response headers policy in template.yaml, by
    directive (a !Sub's text as written: the directives overridden locally are the ones it fills)."""
    config = load_template(ROOT / "template.yaml")["Resources"][policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
    policy = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    return directives(policy["Fn::Sub"] if isinstance(policy, dict) else policy)


def content_security_policy(policy_id: str, **local: str) -> str:
    """The policy CloudFront sends for this site (one source: template.yaml), with the directives
    that name AWS origins replaced by their local values (`connect_src="'self' http://…"`)."""
    policy = dict(template_policy(policy_id))
    for name, value in local.items():
        directive = name.replace("_", "-")
        assert directive in policy, f"{policy_id} has no {directive} to replace"
        policy[directive] = value
    return "; ".join(f"{name} {value}" for name, value in policy.items())


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
