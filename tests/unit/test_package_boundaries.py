"""Which packages may import which (README, "Layout"; stack/__init__.py):

stack/ is imported by devstack/ and deploy/, which never import each other; toolkit/ (scripts/gateway)
imports any of those three, like a script; tests/ and benchmarks/ import any of them, never the other
way; layers/ and functions/ (what ships to Lambda) import none of them. Read from the source with
ast, so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ROOT

TOOLING = ("stack", "devstack", "deploy", "toolkit", "tests", "benchmarks")
# Each package's first-party imports that would break the direction.
FORBIDDEN = {
    "layers": set(TOOLING),
    "functions": set(TOOLING),
    "stack": {"devstack", "deploy", "toolkit", "tests", "benchmarks", "gateway"},
    "devstack": {"deploy", "toolkit", "tests", "benchmarks"},
    "deploy": {"devstack", "toolkit", "tests", "benchmarks"},
    "toolkit": {"tests", "benchmarks"},
    "scripts": {"tests", "benchmarks"},
    "tests": {"benchmarks"},
    "benchmarks": set(),
}


def imported_packages(source: str) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import in `source`, wherever it stands."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def crossings(root: Path) -> list[str]:
    found = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            if any(part in {".venv", "node_modules", "__pycache__"} for part in path.parts):
                continue
            for line, imported in imported_packages(path.read_text()):
                if imported in forbidden:
                    found.append(f"{path.relative_to(root)}:{line} imports {imported}")
    return found


def test_no_package_imports_against_the_direction() -> None:
    assert crossings(ROOT) == []


def test_the_tooling_does_use_the_neutral_package() -> None:
    """Guards the guard: the walk sees the imports it is meant to judge."""
    used = {
        package: {
            imported for path in (ROOT / package).rglob("*.py") for _, imported in imported_packages(path.read_text())
        }
        for package in ("devstack", "deploy", "benchmarks")
    }
    assert "stack" in used["devstack"] and "stack" in used["deploy"]
    assert "tests" in used["benchmarks"]


@pytest.mark.parametrize(
    ("package", "source", "reported"),
    [
        ("layers/common/gateway", "from devstack.test_merchant import TEST_MERCHANT\n", "devstack"),
        ("functions/api", "def handler():\n    import stack.template\n", "stack"),
        ("deploy", "from devstack import emulator\n", "devstack"),
        ("devstack", "from deploy.rehearsal import rehearse\n", "deploy"),
        ("stack", "from gateway.adapters import time_bounds\n", "gateway"),
        ("devstack", "from tests.support import AUTH\n", "tests"),
    ],
)
def test_an_import_against_the_direction_is_reported(tmp_path: Path, package: str, source: str, reported: str) -> None:
    folder = tmp_path / package
    folder.mkdir(parents=True)
    (folder / "module.py").write_text(source)
    line = source.count("\n")
    assert crossings(tmp_path) == [f"{package}/module.py:{line} imports {reported}"]


def test_the_test_merchants_credentials_do_not_ship() -> None:
    """The local test merchant lives with the local runtime (devstack/test_merchant.py); the layer
    keeps only the id its local-only route reads the row by."""
    from devstack.test_merchant import TEST_MERCHANT, TEST_MERCHANT_PASSWORD

    known = [
        TEST_MERCHANT["api_key"],
        TEST_MERCHANT["api_secret"],
        TEST_MERCHANT["webhook_secret"],
        TEST_MERCHANT_PASSWORD,
    ]
    shipped = [path for folder in ("layers", "functions") for path in (ROOT / folder).rglob("*") if path.is_file()]
    assert [
        f"{path.relative_to(ROOT)}: {value}"
        for path in shipped
        if "__pycache__" not in path.parts
        for value in known
        if value in path.read_text(errors="ignore")
    ] == []
