"""The dashboard's API types are the API's OpenAPI document, generated (one source, not two copies).

dashboard/src/api-schema.ts is what scripts/dashboard_types.py makes of the document the API serves;
a change to a reply model, a status or the event types must come with the regenerated file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "dashboard_types.py"
GENERATOR = ROOT / "dashboard" / "node_modules" / ".bin" / "openapi-typescript"


def test_the_dashboard_s_api_types_are_generated_from_the_served_document() -> None:
    if not GENERATOR.exists():
        pytest.fail(f"{GENERATOR.relative_to(ROOT)} is missing: run `make dashboard` (installs the dashboard's tools)")
    checked = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False, cwd=ROOT, timeout=120
    )
    # The script's message says what is stale and how to regenerate it, with the start of the diff.
    assert checked.returncode == 0, checked.stderr or checked.stdout
