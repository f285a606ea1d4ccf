"""The quality_dashboard analysis (issue 26): the report, the live page and `workbench review kpis`
show one snapshot; the verdict says what was decided."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.analyses import quality_dashboard
from workbench.cli import app
from workbench.review import ReviewStore


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return quality_dashboard.demo_store(tmp_path_factory.mktemp("demo"), per_reviewer=60)


def test_checks_pass_on_the_demo_store_without_a_kernel(demo: tuple[Path, Path]) -> None:
    store, gold = demo
    res = quality_dashboard.run(store, gold_path=gold)
    assert res.snapshot.state == "ok" and res.checks().ok, res.checks().summary()
    assert res.verdict.outcome in ("ok", "attention") and res.snapshot.n_decisions > 100


def test_cli_prints_the_same_analysis(demo: tuple[Path, Path]) -> None:
    store, gold = demo
    out = CliRunner().invoke(app, ["review", "kpis", str(store), "--gold", str(gold)])
    assert out.exit_code == 0, out.output
    res = quality_dashboard.run(store, gold_path=gold)
    assert out.output.splitlines()[0] == res.verdict.headline
    assert res.snapshot.kpis is not None and res.snapshot.kpis.summary() in out.output


def test_a_reviewer_too_fast_to_read_is_a_warning_and_none_is_not(tmp_path: Path) -> None:
    t0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    for name, fast in (("fast.sqlite", True), ("calm.sqlite", False)):
        with ReviewStore(tmp_path / name, synchronous="NORMAL") as s:
            for i in range(40):
                s.record(f"item-{i}", "ann", "Acceptable", created_at=t0 + pd.Timedelta(seconds=20 * i),
                         display_ms=150.0 if fast else 6000.0)
                s.record(f"item-{i}", "bea", "Acceptable", created_at=t0 + pd.Timedelta(seconds=20 * i + 5),
                         display_ms=6000.0)
        res = quality_dashboard.run(tmp_path / name)
        assert res.checks().ok
        if fast:
            assert res.verdict.outcome == "attention" and res.verdict.tone == "warning"
            assert "ann" in " ".join(res.verdict.bullets)
        else:
            assert res.verdict.outcome == "ok" and res.verdict.tone == "good"


def test_a_missing_store_is_a_bad_verdict_and_a_cli_error(tmp_path: Path) -> None:
    res = quality_dashboard.run(tmp_path / "typo.sqlite")
    assert res.verdict.outcome == "error" and res.verdict.tone == "bad"
    out = CliRunner().invoke(app, ["review", "kpis", str(tmp_path / "typo.sqlite")])
    assert out.exit_code != 0 and "no review store" in str(out.exception)


def test_the_dashboard_command_refuses_a_store_that_is_not_there(tmp_path: Path) -> None:
    """Issue 28: `workbench dashboard typo.sqlite` started without a word on an empty page."""
    out = CliRunner().invoke(app, ["dashboard", str(tmp_path / "typo.sqlite"), "--port", "0"])
    assert out.exit_code != 0 and "no review store" in str(out.exception) and "--create" in str(out.exception)
    assert not (tmp_path / "typo.sqlite").exists()
