"""What `sam build` produces, laid out as Lambda loads it: a function's folder, the common layer's
python/ folder and the packages the Python runtime ships (boto3 and what it needs, nothing else).
tests/integration/test_sam_build.py imports every handler from it; `make bench` times cold starts on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The Lambda Python runtime ships boto3 (and what it needs); nothing else comes for free.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def sam_build(
    build_dir: Path, source: Path = ROOT, cache_dir: Path | None = None, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`sam build` of `source` (this checkout by default) into `build_dir`; `environment` adds to
    this process's (e.g. LAMBDA_ARCH for the layer's Makefile)."""
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0", **(environment or {})}
    cache = cache_dir or source / ".aws-sam" / "cache"
    return subprocess.run(
        [str(BIN / "sam"), "build", "--build-dir", str(build_dir), "--cache-dir", str(cache)],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def runtime_packages(folder: Path) -> Path:
    """The runtime's packages, linked from this environment into `folder`."""
    import boto3

    site_packages = Path(boto3.__file__).parent.parent
    for name in RUNTIME_PACKAGES:
        source = site_packages / name if (site_packages / name).exists() else site_packages / f"{name}.py"
        (folder / source.name).symlink_to(source)
    return folder


def isolated_path_probe(paths: list[Path], statements: str) -> str:
    """Python source that runs `statements` with only `paths` (and the standard library) importable."""
    return (
        "import sys; "
        f"sys.path[:] = {[str(p) for p in paths]!r} + [p for p in sys.path "
        f"if 'site-packages' not in p and not p.startswith({str(ROOT)!r}) and p != '']\n" + statements
    )
