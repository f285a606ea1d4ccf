"""The annotation_reliability analysis (issue 26): checks without a kernel, planted truth and
null data, the gold table's columns, value_order on the CLI, and 'workbench reliability'
printing the same numbers as the report on the sample data, a renamed-column table and real
crowd answers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import DATA_SAMPLES as SAMPLES
from workbench.analyses import annotation_reliability
from workbench.cli import app

N = 100  # bootstrap resamples in tests


def _crowd(n_items: int, n_annotators: int, accuracy: float, seed: int, labels=("neg", "pos")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three judgments per item by annotators right with probability ``accuracy``; gold on every item."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(labels, n_items)
    rows = []
    for i, t in enumerate(truth):
        for a in rng.choice(n_annotators, 3, replace=False):
            right = rng.random() < accuracy
            given = t if right else rng.choice([x for x in labels if x != t])
            rows.append({"item_id": f"i{i:04d}", "annotator_id": f"ann{a}", "label": given})
    gold = pd.DataFrame({"item_id": [f"i{i:04d}" for i in range(n_items)], "label": truth})
    return pd.DataFrame(rows), gold


def test_checks_run_without_a_kernel_on_the_sample_data() -> None:
    r = annotation_reliability.run(annotations_path=SAMPLES / "reviews_10x5000.csv", n_resamples=N)
    assert r.inputs is not None and r.inputs.path("gold_path") and r.inputs.path("preferences_path")
    checks = r.checks()
    assert checks.ok and len(checks) == 11, checks.summary()
    assert r.verdict.outcome == "reject" and r.verdict.tone == "bad"
    assert 3 <= len(r.verdict.bullets) <= 5 and r.verdict.bullets[-1].startswith("Action:")
    assert r.differing_table() is not None and r.preference_differing_table() is not None


def test_planted_reliable_batch_is_accepted_and_random_labels_are_not() -> None:
    ann, gold = _crowd(600, 6, 0.99, seed=1)
    good = annotation_reliability.run(ann, gold=gold, n_resamples=N, min_qa_accuracy=0.9)
    assert good.alpha is not None and good.alpha.estimate > 0.9
    assert good.verdict.outcome == "accept" and good.verdict.tone == "good", good.verdict.summary()
    assert good.checks().ok
    null_ann, null_gold = _crowd(600, 6, 0.5, seed=2)
    null = annotation_reliability.run(null_ann, gold=null_gold, n_resamples=N)
    assert null.alpha is not None and abs(null.alpha.estimate) < 0.1
    assert null.verdict.outcome == "reject" and null.verdict.tone == "bad"
    assert null.checks().ok
    without_gold = annotation_reliability.run(null_ann, n_resamples=N)
    assert without_gold.verdict.outcome == "unreliable" and without_gold.acceptance is None


def test_one_annotator_is_a_finding_not_a_crash() -> None:
    ann = pd.DataFrame({"item_id": [f"i{i}" for i in range(30)], "annotator_id": "a", "label": ["x", "y"] * 15})
    r = annotation_reliability.run(ann, n_resamples=N)
    assert r.verdict.outcome == "not_measurable" and r.verdict.tone == "neutral"
    assert r.alpha is None and r.checks().ok
    assert "one annotator" in r.verdict.headline


def test_checks_fail_on_nonsense() -> None:
    import dataclasses

    ann, gold = _crowd(200, 4, 0.9, seed=3)
    r = annotation_reliability.run(ann, gold=gold, n_resamples=N)
    broken = dataclasses.replace(r, annotations=pd.concat([r.annotations, r.annotations.head(3)]))
    assert not broken.checks().ok
    assert "every judgment is in the table's counts" in broken.checks().summary()


# ---- CLI and report: the same numbers ------------------------------------------------------------

def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["reliability", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_prints_the_analysis_summary_on_the_sample_data() -> None:
    ann, gold = SAMPLES / "reviews_10x5000.csv", SAMPLES / "reviews_10x5000_gold.csv"
    out = _cli(str(ann), "--gold", str(gold), "--n-resamples", str(N))
    r = annotation_reliability.run(annotations_path=ann, gold_path=gold, preferences_path="", n_resamples=N)
    assert out.splitlines()[0] == r.verdict.headline
    assert r.alpha is not None and r.alpha.summary() in out
    assert r.acceptance is not None and r.acceptance.summary() in out
    assert out.strip() == r.summary().strip()


def _renamed(tmp_path: Path) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    ann, gold = _crowd(300, 5, 0.85, seed=4, labels=("low", "medium", "high"))
    path = tmp_path / "renamed.csv"
    ann.rename(columns={"item_id": "orig_id", "annotator_id": "worker", "label": "response"}).to_csv(path, index=False)
    return path, ann, gold


def test_gold_is_read_as_item_id_label_or_with_the_annotation_names(tmp_path: Path) -> None:
    path, ann, gold = _renamed(tmp_path)
    plain_gold, own_gold = tmp_path / "gold.csv", tmp_path / "gold_own_names.csv"
    gold.to_csv(plain_gold, index=False)
    gold.rename(columns={"item_id": "orig_id", "label": "response"}).to_csv(own_gold, index=False)
    names = {"item_column": "orig_id", "annotator_column": "worker", "label_column": "response"}
    reference = annotation_reliability.run(ann, gold=gold, n_resamples=N)
    for g, used in ((plain_gold, {}), (own_gold, {"item_id": "orig_id", "label": "response"})):
        r = annotation_reliability.run(annotations_path=path, gold_path=g, preferences_path="", n_resamples=N, **names)
        assert r.gold_columns == used
        assert any(("own columns item_id and label" if not used else "annotation file's column names") in f
                   for f in r.findings), r.findings
        assert r.alpha is not None and reference.alpha is not None and r.alpha.estimate == reference.alpha.estimate
        assert r.acceptance is not None and r.acceptance.summary() == reference.acceptance.summary()  # type: ignore[union-attr]
        out = _cli(str(path), "--gold", str(g), "--item", "orig_id", "--annotator", "worker", "--label", "response",
                   "--n-resamples", str(N))
        assert out.strip() == r.summary().strip()


def test_value_order_reaches_the_cli_as_it_reaches_the_report(tmp_path: Path) -> None:
    path, _, _ = _renamed(tmp_path)
    names = {"item_column": "orig_id", "annotator_column": "worker", "label_column": "response"}
    order = ["low", "medium", "high"]
    ordered = annotation_reliability.run(annotations_path=path, gold_path="", preferences_path="", level="ordinal",
                                         value_order=order, n_resamples=N, **names)
    sorted_labels = annotation_reliability.run(annotations_path=path, gold_path="", preferences_path="",
                                               level="ordinal", n_resamples=N, **names)
    assert ordered.alpha is not None and sorted_labels.alpha is not None
    assert ordered.alpha.estimate != sorted_labels.alpha.estimate  # the order matters for ordinal labels
    out = _cli(str(path), "--item", "orig_id", "--annotator", "worker", "--label", "response", "--level", "ordinal",
               *[x for v in order for x in ("--value-order", v)], "--n-resamples", str(N))
    assert ordered.alpha.summary() in out and sorted_labels.alpha.summary() not in out


def test_real_crowd_answers_reproduce_published_accuracies_and_cli_equals_report(external: Path, tmp_path: Path) -> None:
    folder = external / "crowd-truth-inference" / "product"
    truth = pd.read_csv(folder / "truth.csv", dtype=str)
    gold = tmp_path / "truth.csv"  # gold with the answer file's own names (question, answer)
    truth.rename(columns={"truth": "answer"}).to_csv(gold, index=False)
    names = ("--item", "question", "--annotator", "worker", "--label", "answer")
    r = annotation_reliability.run(annotations_path=folder / "answer.csv", gold_path=gold, preferences_path="",
                                   item_column="question", annotator_column="worker", label_column="answer",
                                   segment_column="", n_resamples=20)
    assert r.checks().ok, r.checks().summary()
    assert r.on_gold is not None
    # crowd-kit's JOSS paper: majority vote ~0.897, Dawid-Skene ~0.940 on this data set
    assert r.on_gold.loc["majority_vote", "accuracy"] == pytest.approx(0.897, abs=0.01)
    assert r.on_gold.loc["dawid_skene", "accuracy"] == pytest.approx(0.940, abs=0.01)
    out = _cli(str(folder / "answer.csv"), "--gold", str(gold), *names, "--segment", "", "--n-resamples", "20")
    assert out.splitlines()[0] == r.verdict.headline and out.strip() == r.summary().strip()
