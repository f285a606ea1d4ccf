"""The data_overview analysis (issue 26): checks without a kernel, a verdict that says what needs
a look, no empty chart where there is nothing to show (issue 28)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from workbench.analyses import data_overview


def test_sample_profile_checks_pass_without_a_kernel(data_samples) -> None:
    r = data_overview.run(data_samples / "reviews_10x5000.csv")
    assert r.checks().ok and r.verdict.outcome == "annotations" and r.verdict.tone == "good"
    assert r.verdict.headline.startswith("An annotations table of 15,000 rows")
    assert r.missing_figure() is None and r.missing_note() == "No column has missing values."


def test_missing_values_and_one_annotator_are_warnings() -> None:
    t = pd.DataFrame({"item_id": ["1", "2", "3"], "annotator_id": ["x"] * 3, "label": ["a", "b", "a"],
                      "duration_s": [1.0, None, 2.0]})
    r = data_overview.run(t)
    assert r.verdict.tone == "warning" and r.missing_figure() is not None
    bullets = " ".join(r.verdict.bullets)
    assert "'duration_s': 1 (33.3%)" in bullets and "One annotator only" in bullets


def test_checks_fail_when_the_profile_does_not_add_up() -> None:
    t = pd.DataFrame({"item_id": ["1", "1", "2"], "annotator_id": ["x", "y", "x"], "label": ["a", "b", "a"]})
    r = data_overview.run(t)
    broken = dataclasses.replace(r, table=pd.concat([t, t]))
    assert {c.name for c in broken.checks().failed} >= {"the profile counts every row", "label counts add up to the rows"}


def test_a_multi_question_table_is_profiled_as_it_is_with_its_questions_named(tmp_path) -> None:
    """The overview looks at any table: a two-question annotations file is profiled whole, and the
    verdict says it answers two questions and how to pick one (issue 27)."""
    rows = [(f"t{i}", f"u{j}", q, "yes" if (i + j) % 2 else "no") for i in range(10) for j in range(2)
            for q in ("sentiment", "toxic")]
    path = tmp_path / "two.csv"
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "question", "label"]).to_csv(path, index=False)
    r = data_overview.run(path)
    assert r.verdict.outcome == "several_questions" and r.verdict.tone == "warning"
    assert "answering 2 questions" in r.verdict.headline and "'sentiment' (20 answers)" in r.verdict.bullets[0]
    assert r.checks().ok and r.profile.n_rows == 40
    one = data_overview.run(path, options={"question": "toxic"})
    assert one.verdict.outcome == "annotations" and one.profile.n_rows == 20
