"""What `sam build` produces is what Lambda runs: each function's folder and the common layer only.
Every handler must import from those alone (no devstack, no test or deploy code, every dependency
in the layer's requirements), in a fresh interpreter, as a cold start would, and start its tracer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.artifacts import isolated_path_probe, runtime_packages, sam_build
from tests.support import TOPOLOGY


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if sys.version_info[:2] != (3, 12):
        pytest.skip(f"sam build needs python3.12 (the Lambda runtime); .venv runs {sys.version.split()[0]}")
    build = tmp_path_factory.mktemp("sam-build")
    result = sam_build(build)
    assert result.returncode == 0, result.stdout + result.stderr
    return build


@pytest.mark.timeout(600)
def test_every_handler_imports_from_its_built_artifact_and_the_layer_alone(build_dir: Path, tmp_path: Path) -> None:
    layer = build_dir / "CommonLayer" / "python"
    runtime = runtime_packages(tmp_path)
    assert (layer / "gateway" / "migrations" / "0001_initial.sql").is_file()
    assert not (layer / "botocore").exists(), "the layer's botocore would shadow the runtime's"
    for function_id, spec in TOPOLOGY.functions.items():
        code = build_dir / function_id
        probe = isolated_path_probe(
            [code, layer, runtime],
            f"import {spec.module}\n"
            f"assert callable({spec.module}.{spec.function_name})\n"
            # Tracing is on in Lambda: the layer's X-Ray SDK must load on the runtime's botocore.
            "from gateway.adapters import tracing\n"
            "assert tracing.active_tracer() is not None\n",
        )
        env = {
            "PATH": os.environ["PATH"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "LAMBDA_TASK_ROOT": str(code),
        }
        result = subprocess.run(
            [sys.executable, "-I", "-c", probe],
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{function_id}: {result.stderr}"
