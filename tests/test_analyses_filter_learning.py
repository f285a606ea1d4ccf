"""The filter_learning analysis (issue 30): planted reviewer rules found, null data finds
nothing, the replay's bookkeeping, the store as input, and the report's sentences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import samples
from workbench.analyses import filter_learning
from workbench.errors import WorkbenchError
from workbench.flywheel import train_filter


def _run(rule: str, n: int = 1200, noise: float = 0.03, **kw: object) -> filter_learning.FilterLearningReport:
    s = samples.make_scored_items(n, rule=rule, label_noise=noise, rng=3)  # type: ignore[arg-type]
    return filter_learning.run(s.tables["items"], s.tables["decisions"], **kw)  # type: ignore[arg-type]


def test_a_combined_rule_is_learned_and_beats_one_threshold() -> None:
    r = _run("combined", curve_seeds=2)
    assert r.verdict.outcome == "learned_filter_better" and r.verdict.tone == "good"
    assert r.filter.cv["gain_ci"][0] > 0
    assert set(r.weights()["feature"].head(3)) == {"unsafe_words", "short", "repetitive"}
    assert r.checks().ok
    # the verdict's numbers are the filter's
    assert f"{100 * r.filter.cv['auc_gain']:+.1f} AUC points" in r.verdict.headline


def test_a_one_threshold_rule_ties() -> None:
    r = _run("threshold", curve_seeds=0)
    assert r.verdict.outcome == "no_gain", r.verdict.summary()
    assert r.filter.cv["best_single"] == "perplexity"
    assert r.curves.empty and r.reach_line() is None and r.curve_figure() is None


def test_random_decisions_find_no_signal() -> None:
    r = _run("none", noise=0.0, curve_seeds=0)
    assert r.verdict.outcome == "no_signal" and r.verdict.tone == "warning"
    assert r.filter.cv["auc_ci"][0] <= 0.5 <= r.filter.cv["auc_ci"][1]


def test_the_replay_pairs_strategies_and_counts_labels() -> None:
    r = _run("combined", n=800, curve_seeds=2, curve_step=40, curve_budget=400)
    c = r.curves
    assert set(c["strategy"]) == set(filter_learning.STRATEGIES) and set(c["seed"]) == {0, 1}
    per = c.groupby(["strategy", "seed"])["n_labels"].agg(list)
    assert all(v == list(range(40, 401, 40)) for v in per)
    assert len(r.reach) == 2 and (r.reach["random_labels"] == 400).all()
    gain = r.paired_gain()
    wide = c.pivot_table(index=["seed", "n_labels"], columns="strategy", values="auc")
    expect = (wide["filter-uncertainty"] - wide["random"]).groupby("n_labels").mean()
    np.testing.assert_allclose(gain.set_index("n_labels")["gain"], expect.reindex(gain["n_labels"]))
    assert (gain["low"] <= gain["gain"]).all() and (gain["gain"] <= gain["high"]).all()
    summary = r.curve_summary()  # an AUC's interval stays in [0, 1] (the figure checker refuses more)
    assert ((summary["low"] >= 0) & (summary["high"] <= 1) & (summary["low"] <= summary["auc"])).all()


def test_labels_to_reach_reads_the_first_step_within_tolerance() -> None:
    c = pd.DataFrame({
        "strategy": ["random"] * 4 + ["filter-uncertainty"] * 4, "seed": 0, "n_labels": [10, 20, 30, 40] * 2,
        "auc": [0.70, 0.80, 0.86, 0.90, 0.75, 0.897, 0.91, 0.91], "average_precision": 0.5,
    })
    row = filter_learning.labels_to_reach(c).iloc[0]
    assert row["active_labels"] == 20 and row["share_of_random"] == 0.5 and row["random_share_to_reach"] == 1.0
    never = c.assign(auc=np.where(c["strategy"] == "random", c["auc"], 0.6))
    assert np.isnan(filter_learning.labels_to_reach(never).iloc[0]["share_of_random"])


def test_label_issues_show_text_and_the_reviewers_side() -> None:
    r = _run("combined", noise=0.05, curve_seeds=0)
    issues = r.label_issues()
    assert issues is not None and {"text", "reviewers", "filter_probability"} <= set(issues.columns)
    flagged = issues["reviewers"] == "flagged"
    assert (issues.loc[flagged, "filter_probability"] < 0.1).all()
    assert (issues.loc[~flagged, "filter_probability"] > 0.9).all()


def test_the_same_numbers_as_train_filter_with_the_same_defaults() -> None:
    s = samples.make_scored_items(600, label_noise=0.03, rng=5)
    r = filter_learning.run(s.tables["items"], s.tables["decisions"], curve_seeds=0)
    f = train_filter(s.tables["items"], s.tables["decisions"])
    assert r.filter.cv == f.cv and r.filter.coef == f.coef


def test_a_review_store_is_read_as_decisions(tmp_path: Path) -> None:
    from workbench.review import ReviewStore

    s = samples.make_scored_items(500, label_noise=0.0, rng=2)
    store = tmp_path / "r.sqlite"
    with ReviewStore(store) as st:
        for row in s.tables["decisions"].itertuples(index=False):
            st.record(row.item_id, "rev", row.decision)
    items = tmp_path / "items.csv"
    s.tables["items"].to_csv(items, index=False)
    r = filter_learning.run(items, store, curve_seeds=0)
    assert r.filter.n_items == 500 and r.inputs is not None


def test_bad_parameters_are_refused() -> None:
    s = samples.make_scored_items(300, rng=1)
    with pytest.raises(WorkbenchError, match="label_issue_confidence"):
        filter_learning.run(s.tables["items"], s.tables["decisions"], label_issue_confidence=1.5)
    few = s.tables["decisions"].head(40)  # enough to train, too few to replay: said, not raised
    r = filter_learning.run(s.tables["items"], few, curve_seeds=2, curve_step=30)
    assert r.curves.empty and any("Review more items" in f for f in r.findings)


def test_embedding_features_reach_the_report_and_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """features='both' with a tiny sentence-transformers model: the embedding dimensions stay out of
    the weights chart and the verdict, the report says what they are, and a second run embeds nothing."""
    from tests.test_flywheel_embeddings import Spy, save_tiny_sentence_model

    model = save_tiny_sentence_model(tmp_path / "st")
    s = samples.make_scored_items(400, label_noise=0.0, rng=4)
    kw = dict(features="both", embedding_model=str(model), cache_dir=str(tmp_path / "cache"), curve_seeds=1,
              curve_step=40, curve_budget=200)
    spy = Spy(monkeypatch)
    r = filter_learning.run(s.tables["items"], s.tables["decisions"], **kw)  # type: ignore[arg-type]
    assert r.filter.embedding is not None and len(r.filter.features) > len(r.filter.score_features)
    assert set(r.weights()["feature"]) == set(r.filter.score_features)
    assert "embedding" in (r.embedding_line() or "") and "text embedding" in r.comparison()["filter"].iloc[0]
    assert "embedding[" not in r.verdict.summary() and r.checks().ok
    embedded = len(spy.texts)
    assert embedded == s.tables["items"]["text"].nunique()
    again = filter_learning.run(s.tables["items"], s.tables["decisions"], **kw)  # type: ignore[arg-type]
    assert again.filter.coef == r.filter.coef and len(spy.texts) == embedded  # read from the cache
    only = filter_learning.run(s.tables["items"], s.tables["decisions"], **{**kw, "features": "embeddings"})  # type: ignore[arg-type]
    assert only.curves.empty and any("embeddings only" in f for f in only.findings)


def test_image_items_learn_from_clip_embeddings_through_the_command_line(tmp_path: Path) -> None:
    """Image items (the image_captions sample, demo CLIP): a reviewer who flags red images is learned
    from the images alone; the report words the features as image embeddings; the CLI passes them."""
    from typer.testing import CliRunner

    from tests.conftest import DATA_SAMPLES
    from workbench import io
    from workbench.cli import app

    folder = DATA_SAMPLES / "image_captions"
    table = io.load_table(folder / "image_captions.csv").head(240)
    truth = io.load_table(DATA_SAMPLES / "truth" / "image_captions_rows.csv").set_index("pair_id")
    red = truth.reindex(table["pair_id"])["colour"].eq("red").to_numpy()
    items = tmp_path / "images.csv"
    table.assign(image=[str(folder / p) for p in table["image"]]).to_csv(items, index=False)
    decisions = tmp_path / "decisions.csv"
    pd.DataFrame({"pair_id": table["pair_id"], "decision": np.where(red, "Poor quality", "Acceptable")}).to_csv(
        decisions, index=False)
    kw = dict(item_column="pair_id", decisions_item_column="pair_id", features="embeddings", image_column="image",
              allow_outside=True, cache_dir=str(tmp_path / "cache"), curve_seeds=0)
    r = filter_learning.run(items, decisions, **kw)  # type: ignore[arg-type]
    assert r.filter.embedding_kind == "image" and r.filter.cv["auc_ci"][0] > 0.9
    assert "image embedding" in r.comparison()["filter"].iloc[0] and "CLIP" in (r.embedding_line() or "")
    out = CliRunner().invoke(app, ["flywheel", "train", str(decisions), "--items", str(items), "--out",
                                   str(tmp_path / "f"), "--item", "pair_id", "--decisions-item", "pair_id",
                                   "--features", "embeddings", "--image-column", "image", "--allow-outside",
                                   "--cache-dir", str(tmp_path / "cache"), "--curve-seeds", "0"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == r.verdict.headline


def test_the_replay_survives_rare_flags_repeated_ids_and_a_store_under_any_name(tmp_path: Path) -> None:
    """Review findings: a seed whose held-out items are all of one kind has no AUC to reach (not a
    crash); a replay that cannot be made is a finding, the filter stands; repeated item ids are
    counted once; a SQLite store is read as a store whatever its suffix."""
    c = pd.DataFrame({"strategy": ["random"] * 2 + ["filter-uncertainty"] * 2, "seed": 0, "n_labels": [10, 20] * 2,
                      "auc": np.nan, "average_precision": np.nan})
    row = filter_learning.labels_to_reach(c).iloc[0]
    assert np.isnan(row["random_final_auc"]) and np.isnan(row["share_of_random"])
    gen = np.random.default_rng(0)
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(120)], "a": gen.random(120), "b": gen.random(120)})
    flagged = items["a"].rank(method="first") <= 3  # 3 of 120 flagged: held-out sets without a flag
    decisions = pd.DataFrame({"item_id": items["item_id"], "decision": np.where(flagged, "Poor quality", "Acceptable")})
    r = filter_learning.run(items, decisions, folds=3, curve_seeds=3)
    assert r.checks().ok and (r.reach_line() or "").strip()
    few = filter_learning.run(items, decisions, folds=3, curve_seeds=1, curve_step=500)
    assert few.curves.empty and any("not drawn" in f for f in few.findings)
    s = samples.make_scored_items(600, rng=6)
    twice = pd.concat([s.tables["items"], s.tables["items"]], ignore_index=True)
    assert not filter_learning.run(twice, s.tables["decisions"], curve_seeds=1).curves.empty
    from workbench.review import ReviewStore

    store = tmp_path / "reviews.store"
    with ReviewStore(store) as st:
        for d in s.tables["decisions"].itertuples(index=False):
            st.record(d.item_id, "rev", d.decision)
    assert filter_learning.run(s.tables["items"], store, curve_seeds=0).filter.n_items == 600
