"""The static sites' /config.js: the API base URL and friends, configuration rather than compiled-in
constants. The local runtime serves it (devstack/static_sites.py); the deploy writes the same file to
the S3 buckets (deploy/publish_sites.py)."""

from __future__ import annotations

import json


def config_script(config: dict[str, str]) -> bytes:
    return f"window.GATEWAY_CONFIG = window.DEMO_CONFIG = {json.dumps(config)};\n".encode()
