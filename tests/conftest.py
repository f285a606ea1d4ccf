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
