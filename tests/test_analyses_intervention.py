"""The data_intervention_ab analysis (issue 26): checks without a kernel, and a verdict that finds
a planted improvement and nothing where the sets do not differ."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from workbench import ablation
from workbench.analyses import data_intervention_ab


@pytest.fixture(scope="module")
def sample(data_samples: Path) -> data_intervention_ab.InterventionReport:
    return data_intervention_ab.run(data_samples / "corpus.jsonl", annotations_path=data_samples / "reviews_10x5000.csv",
                                    n_repeats=2, sweep_thresholds=[0.16, 0.5])


def test_checks_pass_on_the_sample_without_a_kernel(sample: data_intervention_ab.InterventionReport) -> None:
    assert sample.checks().ok, sample.checks().summary()
    assert sample.labels is not None and sample.cleaning is not None and sample.sweep is not None
    assert sample.verdict.outcome in {"pays_off", "mixed", "no_effect", "hurts"}
    assert sample.verdict.headline and len(sample.facts()) == 2


def _result(estimate: float, low: float, high: float, significant: bool) -> ablation.AblationResult:
    diff = pd.DataFrame({"set": ["cleaned"], "baseline": ["raw"], "metric": ["accuracy"], "estimate": [estimate],
                         "ci_low": [low], "ci_high": [high], "p_value": [0.001 if significant else 0.6],
                         "significant": [significant], "better": [estimate > 0]})
    table = pd.DataFrame({"set": ["raw", "cleaned"], "repeat": [0, 0], "n_train": [100, 100], "accuracy": [0.7, 0.7]})
    return ablation.AblationResult(table=table, estimates=pd.DataFrame(), differences=diff, task="classification",
                                   budget=100, budget_policy="equal", confidence=0.95)


def test_a_planted_gain_pays_off_and_no_difference_is_no_effect(sample: data_intervention_ab.InterventionReport) -> None:
    gain = dataclasses.replace(sample, labels=_result(0.05, 0.02, 0.08, True), cleaning=None, sweep=None)
    verdict = data_intervention_ab._verdict(gain.labels, None, None, {})  # noqa: SLF001 - the decision rule itself
    assert verdict.outcome == "pays_off" and verdict.tone == "good"
    null = data_intervention_ab._verdict(_result(0.001, -0.02, 0.02, False), None, None, {})  # noqa: SLF001
    assert null.outcome == "no_effect" and null.tone == "neutral"
    worse = data_intervention_ab._verdict(_result(-0.05, -0.08, -0.02, True), None, None, {})  # noqa: SLF001
    assert worse.outcome == "hurts" and worse.tone == "bad"


def test_checks_fail_when_a_set_got_another_budget(sample: data_intervention_ab.InterventionReport) -> None:
    assert sample.labels is not None
    table = sample.labels.table.copy()
    table.loc[0, "n_train"] = table["n_train"].max() + 1
    broken = dataclasses.replace(sample, labels=dataclasses.replace(sample.labels, table=table))
    assert "labels: training sets got the same budget" in {c.name for c in broken.checks().failed}
