"""Issue 27, second round of real data: each item on a small table written here (bad case, fixed behaviour)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.drift import recommend_actions, segment_errors


# ---- item 7: a root-cause segment with the same rows as its parent is one row -------------------
def _one_period_per_annotator() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Annotator x works only in the first period, y only in the second: ``annotator_id=x, period=P``
    holds exactly the rows of ``annotator_id=x``."""
    rows = []
    for who, day, wrong in (("x", "2024-01-01", 30), ("y", "2024-01-20", 3), ("z", "2024-01-01", 3), ("z", "2024-01-20", 3)):
        for i in range(40):
            rows.append({"item_id": f"{who}{day}{i}", "annotator_id": who, "timestamp": day,
                         "label": "neg" if i < wrong else "pos"})
    ann = pd.DataFrame(rows)
    gold = pd.DataFrame({"item_id": ann["item_id"], "label": "pos"})
    return ann, gold


def test_root_cause_segments_equal_to_their_parent_are_one_row():
    ann, gold = _one_period_per_annotator()
    t = segment_errors(ann, gold=gold, by=["annotator_id", "period"], period="14D", min_n=10)
    # before: 'annotator_id=x' and 'annotator_id=x, period=2024-01-01' both, with identical counts
    assert "annotator_id=x" in set(t["segment"])
    assert not t["segment"].str.startswith("annotator_id=x, ").any()
    # z worked in both periods: its two-column segments differ from 'annotator_id=z' and stay
    assert {"annotator_id=z, period=2024-01-01", "annotator_id=z, period=2024-01-15"} <= set(t["segment"])
    # y's one-period segment is gone too; the period segments (several annotators) stay
    assert not t["segment"].str.startswith("annotator_id=y, ").any()
    assert {"period=2024-01-01", "period=2024-01-15"} <= set(t["segment"])


# ---- item 8: recommended actions keep the group that tells them apart ---------------------------
def test_actions_keep_their_distinguishing_group():
    rc = pd.DataFrame({
        "segment": ["vendor=A, site=north", "vendor=B, site=north"], "vendor": ["A", "B"], "site": ["north", "north"],
        "depth": 2, "n": [120, 110], "error_rate": [0.7, 0.6], "ci_low": [0.61, 0.5], "ci_high": [0.78, 0.7],
        "overall_rate": [0.12, 0.12], "p_adjusted": [1e-20, 1e-10], "significant": [True, True], "excess": [0.58, 0.5]})
    actions = recommend_actions(None, rc)["action"].tolist()
    assert len(actions) == 2 and actions[0] != actions[1]
    assert "vendor A" in actions[0] and "vendor B" in actions[1]
    assert all("site north" in a for a in actions)  # a column outside the sentence templates is named too
    # two custom columns only (no known group): before, both said "Review the judgments made under ."
    rc2 = rc.drop(columns="vendor").assign(shift=["early", "late"],
                                           segment=["site=north, shift=early", "site=north, shift=late"])
    rc2 = rc2[["segment", "site", "shift", *[c for c in rc2.columns if c not in ("segment", "site", "shift")]]]
    a2 = recommend_actions(None, rc2)["action"].tolist()
    assert a2[0] != a2[1] and "shift early" in a2[0] and "shift late" in a2[1]
    assert np.all([not a.endswith("under .") for a in a2])
