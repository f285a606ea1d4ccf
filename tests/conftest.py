"""Shared fixtures: paths to the repository, the committed samples and the external data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_SAMPLES = ROOT / "data_samples"
NOTEBOOKS = ROOT / "notebooks"
EXTERNAL = ROOT.parent / "shared" / "external"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def data_samples() -> Path:
    return DATA_SAMPLES


@pytest.fixture(scope="session")
def external() -> Path:
    """The public data sets in ../shared/external; the test skips cleanly where absent."""
    if not EXTERNAL.is_dir():
        pytest.skip("../shared/external is absent (only the project's own checkout has it)")
    return EXTERNAL


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each test module on one xdist worker (module fixtures such as a loaded model are
    built once), except tests that name their own ``xdist_group`` (one per notebook)."""
    for item in items:
        if not any(m.name == "xdist_group" for m in item.iter_markers()):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
