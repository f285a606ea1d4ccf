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
