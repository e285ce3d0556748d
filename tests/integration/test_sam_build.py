"""What `sam build` produces is what Lambda runs: each function's folder and the common layer only.
Every handler must import from those alone (no devstack, no test or deploy code, every dependency
in the layer's requirements), in a fresh interpreter, as a cold start would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, TOPOLOGY

BIN = Path(sys.executable).parent
# The Lambda Python runtime ships boto3 (and what it needs); nothing else comes for free.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def lambda_runtime_packages(folder: Path) -> Path:
    import boto3

    site_packages = Path(boto3.__file__).parent.parent
    for name in RUNTIME_PACKAGES:
        source = site_packages / name if (site_packages / name).exists() else site_packages / f"{name}.py"
        (folder / source.name).symlink_to(source)
    return folder


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if sys.version_info[:2] != (3, 12):
        pytest.skip(f"sam build needs python3.12 (the Lambda runtime); .venv runs {sys.version.split()[0]}")
    build = tmp_path_factory.mktemp("sam-build")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        [str(BIN / "sam"), "build", "--build-dir", str(build), "--cache-dir", str(ROOT / ".aws-sam" / "cache")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return build


@pytest.mark.timeout(600)
def test_every_handler_imports_from_its_built_artifact_and_the_layer_alone(build_dir: Path, tmp_path: Path) -> None:
    layer = build_dir / "CommonLayer" / "python"
    runtime = lambda_runtime_packages(tmp_path)
    assert (layer / "gateway" / "migrations" / "0001_initial.sql").is_file()
    for function_id, spec in TOPOLOGY.functions.items():
        code = build_dir / function_id
        probe = (
            "import sys; "
            f"sys.path[:] = [{str(code)!r}, {str(layer)!r}, {str(runtime)!r}] + [p for p in sys.path "
            "if 'site-packages' not in p "
            f"and not p.startswith({str(ROOT)!r}) and p != '']; "
            f"import {spec.module}; "
            f"assert callable({spec.module}.{spec.function_name})"
        )
        env = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "ERROR"}
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
