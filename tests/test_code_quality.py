"""The house style's machine-checkable part: ruff's lint rules (pyproject.toml) on the whole
tree and mypy on the package (STYLE.md: "full type hints, py.typed, mypy clean")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", "workbench", "tests", "benchmarks", "--output-format", "concise")
    assert done.returncode == 0, f"ruff check found problems (fix, or `ruff check --fix`):\n{done.stdout}{done.stderr}"


def test_mypy_clean() -> None:
    done = _run("mypy", "workbench", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert done.returncode == 0, f"mypy found type errors:\n{done.stdout}{done.stderr}"
