"""The table profile behind the data_overview report."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import DATA_SAMPLES
from workbench import io, overview
from workbench.errors import SchemaError


def test_profile_counts_add_up_on_the_reviews_sample() -> None:
    ann = io.load_table(DATA_SAMPLES / "reviews_10x5000.csv", kind="annotations")
    p = overview.profile_table(ann)
    assert p.kind == "annotations" and p.n_rows == len(ann)
    assert p.labels["count"].sum() == len(ann)
    assert p.annotators["judgments"].sum() == len(ann)
    assert (p.ratings_per_item["ratings"] * p.ratings_per_item["items"]).sum() == len(ann)
    assert p.ratings_per_item["items"].sum() == ann["item_id"].nunique()
    assert p.timeline["judgments"].sum() == len(ann)
    assert f"{len(ann):,} rows" in p.summary()


def test_missing_values_are_counted() -> None:
    df = pd.DataFrame({"doc_id": ["1", "2", "3"], "text": ["a", None, "c"], "source": [None, None, "web"]})
    p = overview.profile_table(df, kind="corpus")
    cols = p.columns.set_index("column")
    assert cols.loc["text", "missing"] == 1 and cols.loc["source", "missing"] == 2
    assert "'source' with 2 (66.7%)" in p.summary()


@pytest.mark.parametrize(
    ("columns", "kind"),
    [
        (["pair_id", "annotator_id", "choice", "response_a", "response_b"], "preferences"),
        (["pair_id", "image", "caption"], "image_captions"),
        (["doc_id", "text"], "corpus"),
        (["item_id", "label"], "gold"),
    ],
)
def test_detect_kind(columns: list[str], kind: str) -> None:
    assert overview.detect_kind(pd.DataFrame(columns=columns)) == kind


def test_unknown_table_says_what_each_kind_needs() -> None:
    with pytest.raises(SchemaError, match=r"matches none of the tables it can be\. Required columns — preferences: 'pair_id'"):
        overview.detect_kind(pd.DataFrame({"a": [1]}))
