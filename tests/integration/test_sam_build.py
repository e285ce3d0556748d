"""What `sam build` produces is what Lambda runs: each function's folder and the common layer only.

The layer is built for the template's arm64 functions whatever machine builds it: every shared
object in it must be aarch64 (ELF e_machine 0xB7), none x86-64 (0x3E). This machine cannot import
those, so the import check takes the function folders from that build and the layer the same
Makefile builds with LAMBDA_ARCH=x86_64: every handler must import from those alone (no devstack,
no test or deploy code, every dependency in the layer's requirements), in a fresh interpreter, as a
cold start would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.artifacts import isolated_path_probe, runtime_packages, sam_build
from tests.support import ROOT, TOPOLOGY

EM_X86_64 = 0x3E
EM_AARCH64 = 0xB7
ELF_MAGIC = b"\x7fELF"


def _needs_python_312() -> None:
    if sys.version_info[:2] != (3, 12):
        pytest.skip(f"sam build needs python3.12 (the Lambda runtime); .venv runs {sys.version.split()[0]}")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _needs_python_312()
    build = tmp_path_factory.mktemp("sam-build")
    result = sam_build(build)
    assert result.returncode == 0, result.stdout + result.stderr
    return build


@pytest.fixture(scope="module")
def x86_64_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer as `sam build` makes it (the same Makefile target), for this x86-64 machine."""
    _needs_python_312()
    artifacts = tmp_path_factory.mktemp("layer-x86_64")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "ARTIFACTS_DIR": str(artifacts)}
    result = subprocess.run(
        ["make", "--no-print-directory", "build-CommonLayer", "LAMBDA_ARCH=x86_64"],
        cwd=ROOT / "layers" / "common",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return artifacts / "python"


def elf_machines(folder: Path) -> dict[str, int]:
    """Every ELF file under `folder` (extension modules and the libraries wheels vendor, such as
    libpq.so.5 in psycopg_binary.libs) → its e_machine."""
    machines = {}
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as handle:
            header = handle.read(20)
        if len(header) == 20 and header[:4] == ELF_MAGIC:
            byteorder = "little" if header[5] == 1 else "big"  # EI_DATA
            machines[str(path.relative_to(folder))] = int.from_bytes(header[18:20], byteorder)
    return machines


@pytest.mark.timeout(600)
def test_the_built_layer_holds_aarch64_shared_objects_only(build_dir: Path) -> None:
    layer = build_dir / "CommonLayer" / "python"
    assert (layer / "gateway" / "migrations" / "0001_initial.sql").is_file()
    assert not (layer / "botocore").exists(), "the layer's botocore would shadow the runtime's"
    machines = elf_machines(layer)
    compiled = {name.split("/", 1)[0] for name in machines}
    assert {"psycopg_binary", "pydantic_core"} <= compiled, sorted(compiled)
    x86 = sorted(name for name, machine in machines.items() if machine == EM_X86_64)
    assert x86 == [], f"x86-64 shared objects in the arm64 layer: {x86}"
    assert set(machines.values()) == {EM_AARCH64}, {n: hex(m) for n, m in machines.items() if m != EM_AARCH64}


@pytest.mark.timeout(600)
def test_the_architecture_check_sees_an_x86_64_layer(x86_64_layer: Path) -> None:
    machines = elf_machines(x86_64_layer)
    assert machines and set(machines.values()) == {EM_X86_64}


@pytest.mark.timeout(600)
def test_every_handler_imports_from_its_built_artifact_and_the_layer_alone(
    build_dir: Path, x86_64_layer: Path, tmp_path: Path
) -> None:
    runtime = runtime_packages(tmp_path)
    for function_id, spec in TOPOLOGY.functions.items():
        code = build_dir / function_id
        probe = isolated_path_probe(
            [code, x86_64_layer, runtime],
            f"import {spec.module}\nassert callable({spec.module}.{spec.function_name})\n"
            # The SnapStart hooks load outside Lambda's runtime too (registering nothing there).
            "from gateway.adapters import runtime_hooks\nassert runtime_hooks.REGISTERED is False\n",
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
