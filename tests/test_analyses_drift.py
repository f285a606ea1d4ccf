"""The annotator_drift analysis (issue 26): checks without a kernel, a planted drifting
annotator found and nothing on stationary data, and ``workbench drift`` printing the
analysis' numbers (sample data and a table with renamed columns)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.analyses import annotator_drift
from workbench.cli import app
from workbench.samples import make_reviews


def _stationary(n_items: int = 1500, n_annotators: int = 6, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every annotator has the same accuracy at all times: nothing to find."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n_items) < 0.5
    ai = np.argsort(rng.random((n_items, n_annotators)), axis=1)[:, :3].ravel()
    ii = np.repeat(np.arange(n_items), 3)
    lab = np.where(rng.random(len(ii)) < 0.9, truth[ii], ~truth[ii])
    secs = rng.integers(0, 60 * 86400, len(ii))
    ann = pd.DataFrame({
        "item_id": [f"i{i}" for i in ii], "annotator_id": [f"a{a}" for a in ai],
        "label": np.where(lab, "positive", "negative"),
        "timestamp": pd.Timestamp("2025-01-01") + pd.to_timedelta(secs, unit="s"),
        "cohort": np.where(ai % 2 == 0, "day", "night"), "category": np.array(["books", "toys", "kitchen"])[ii % 3],
        "guideline_version": np.where(secs > 30 * 86400, "v2", "v1"),
    })
    gold_items = np.flatnonzero(rng.random(n_items) < 0.2)
    gold = pd.DataFrame({"item_id": [f"i{i}" for i in gold_items],
                         "label": np.where(truth[gold_items], "positive", "negative")})
    return ann, gold


@pytest.fixture(scope="module")
def sample_result(data_samples: Path) -> annotator_drift.AnnotatorDriftReport:
    return annotator_drift.run(annotations_path=data_samples / "reviews_10x5000.csv",
                               gold_path=str(data_samples / "reviews_10x5000_gold.csv"))


def test_checks_pass_on_the_sample_without_a_kernel(sample_result: annotator_drift.AnnotatorDriftReport) -> None:
    checks = sample_result.checks()
    assert checks.ok, checks.summary()
    assert len(checks) == 8
    v = sample_result.verdict
    assert v.outcome == "drift" and v.tone == "bad" and 3 <= len(v.bullets) <= 5
    assert v.headline.startswith("8 drift alert(s) at a false-alarm rate of 0.01; ann_03 drifted on 2025-04-16")


def test_planted_drifting_annotator_is_found_and_stationary_data_gives_nothing() -> None:
    s = make_reviews(1500, 6, 3, 60, drift_annotator="ann_03", drift_day=30, drift_accuracy=0.55,
                     cohort_confusion=False, gold_fraction=0.3, rng=1)
    planted = annotator_drift.run(s.tables["reviews_10x5000"], gold=s.tables["reviews_10x5000_gold"])
    assert planted.checks().ok, planted.checks().summary()
    assert planted.verdict.outcome == "drift" and planted.verdict.tone == "bad"
    assert planted.alerted_annotators == ("ann_03",)
    assert "ann_03 drifted on" in planted.verdict.headline
    for seed in range(2):
        ann, gold = _stationary(seed=seed)
        null = annotator_drift.run(ann, gold=gold)
        assert null.checks().ok, null.checks().summary()
        assert null.drift.alerts.empty and null.distinct_causes.empty
        assert null.verdict.outcome == "no_drift" and null.verdict.tone == "good", null.verdict
        assert null.verdict.headline.startswith("0 drift alert(s)")


def test_checks_fail_on_nonsense(sample_result: annotator_drift.AnnotatorDriftReport) -> None:
    broken = dataclasses.replace(sample_result, actions=sample_result.actions.iloc[:1])
    assert "recommended actions match the findings" in {c.name for c in broken.checks().failed}
    wq = sample_result.quality.assign(value=sample_result.quality["value"] + 2)
    assert not dataclasses.replace(sample_result, quality=wq).checks().ok


def test_missing_columns_are_findings_not_errors() -> None:
    ann, gold = _stationary(600)
    r = annotator_drift.run(ann.drop(columns=["cohort", "guideline_version"]), gold=gold)
    assert r.cohort_column is None and r.checks().ok
    assert any("'cohort'" in f for f in r.findings)


# ---- one computation: `workbench drift` prints the analysis -------------------------------------------

def _cli(*args: str) -> str:
    out = CliRunner().invoke(app, ["drift", *args])
    assert out.exit_code == 0, out.output
    return out.output


def test_drift_cli_prints_the_analysis_on_the_sample(sample_result: annotator_drift.AnnotatorDriftReport,
                                                      data_samples: Path, tmp_path: Path) -> None:
    causes = tmp_path / "causes.csv"
    text = _cli(str(data_samples / "reviews_10x5000.csv"), "--gold", str(data_samples / "reviews_10x5000_gold.csv"),
                "--causes-out", str(causes))
    assert text.splitlines()[0] == sample_result.verdict.headline
    assert sample_result.conclusion() in text and sample_result.drift.summary() in text
    assert text.strip().endswith(sample_result.checks().summary())
    written = pd.read_csv(causes)
    np.testing.assert_allclose(written["p_adjusted"], sample_result.causes["p_adjusted"])


def test_drift_cli_on_a_table_with_renamed_columns(tmp_path: Path) -> None:
    s = make_reviews(1200, 6, 3, 60, drift_annotator="ann_02", drift_day=30, drift_accuracy=0.55,
                     cohort_confusion=False, gold_fraction=0.3, rng=2)
    ann, gold = s.tables["reviews_10x5000"], s.tables["reviews_10x5000_gold"]
    names = {"item_id": "task", "annotator_id": "worker", "label": "y", "timestamp": "t"}
    ann.rename(columns=names).to_csv(tmp_path / "a.csv", index=False)
    gold.rename(columns=names).to_csv(tmp_path / "g.csv", index=False)
    text = _cli(str(tmp_path / "a.csv"), "--gold", str(tmp_path / "g.csv"), "--item", "task", "--annotator", "worker",
                "--label", "y", "--timestamp", "t")
    via_file = annotator_drift.run(annotations_path=tmp_path / "a.csv", gold_path=str(tmp_path / "g.csv"),
                                   columns=names)
    canonical = annotator_drift.run(ann, gold=gold)
    assert text.splitlines()[0] == via_file.verdict.headline == canonical.verdict.headline
    assert "worker drifted" not in text and "ann_02 drifted on" in text
    assert via_file.conclusion() == canonical.conclusion() and via_file.conclusion() in text
