"""workbench.flywheel: a filter learned from reviewers' decisions, tested on planted rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import WorkbenchError
from workbench.flywheel import learning_curve, load_filter, train_filter
from workbench.samples import make_scored_items, reviewer_rule


def scored_items(n: int = 1_200, seed: int = 0) -> pd.DataFrame:
    return make_scored_items(n, rng=seed).tables["items"]


def combined_rule(items: pd.DataFrame) -> np.ndarray:
    """The planted reviewer rule: unsafe wording, or short and repetitive."""
    return reviewer_rule(items, "combined")


def decisions_for(items: pd.DataFrame, flagged: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"item_id": items["item_id"], "decision": np.where(flagged, "Poor quality", "Acceptable")})


def test_a_rule_that_combines_signals_is_learned_better_than_any_single_threshold() -> None:
    items = scored_items()
    f = train_filter(items, decisions_for(items, combined_rule(items)))
    assert f.cv["auc"] > f.cv["single_auc"]
    low, high = f.cv["gain_ci"]
    assert low > 0.03, f.summary()  # the gain is real: its interval is well above zero
    assert set(f.top_features(3)["feature"]) == {"unsafe_words", "short", "repetitive"}
    assert "AUC points" in f.summary()


def test_a_rule_that_is_one_threshold_ties_with_the_best_single_score() -> None:
    items = scored_items(seed=1)
    f = train_filter(items, decisions_for(items, (items["perplexity"] > 30).to_numpy()))
    assert f.cv["best_single"] == "perplexity"
    assert f.cv["single_auc"] == pytest.approx(1.0)
    low, high = f.cv["gain_ci"]
    assert low <= 0.0 <= high or abs(f.cv["auc_gain"]) < 0.01


def test_reviewers_who_decide_at_random_give_a_filter_no_better_than_chance() -> None:
    items = scored_items(seed=2)
    flagged = np.random.default_rng(9).random(len(items)) < 0.3
    f = train_filter(items, decisions_for(items, flagged))
    # no evidence of skill (out-of-fold AUC on null labels sits at or a little below 0.5)
    assert f.cv["auc_ci"][0] < 0.5 and f.cv["auc"] < 0.56
    assert f.cv["gain_ci"][0] < 0.0 + 0.02


def test_predictions_equal_scikit_learns_pipeline() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    items = scored_items(seed=3)
    y = combined_rule(items)
    f = train_filter(items, decisions_for(items, y))
    cols = list(f.features)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=1000, random_state=0))
    pipe.fit(items[cols].to_numpy(float), y)
    np.testing.assert_allclose(f.predict_proba(items).to_numpy(), pipe.predict_proba(items[cols].to_numpy(float))[:, 1],
                               atol=1e-6)


def test_label_issues_find_flipped_decisions() -> None:
    items = scored_items(seed=4)
    clean = (items["perplexity"] > 25).to_numpy()
    flipped = np.random.default_rng(1).choice(len(items), 15, replace=False)
    noisy = clean.copy()
    noisy[flipped] = ~noisy[flipped]
    f = train_filter(items, decisions_for(items, noisy))
    found = set(f.label_issues(confidence=0.9).index)
    planted = set(items["item_id"].iloc[flipped])
    assert len(found & planted) >= 12 and len(found - planted) <= 3


def test_save_and_load_round_trip_and_a_mismatched_feature_spec_is_refused(tmp_path: Path) -> None:
    items = scored_items(seed=5)
    f = train_filter(items, decisions_for(items, combined_rule(items)))
    path = f.save(tmp_path / "filter")
    again = load_filter(tmp_path / "filter", features=list(f.features))
    pd.testing.assert_series_equal(again.predict_proba(items), f.predict_proba(items))
    assert again.training_hash == f.training_hash and again.cv["auc"] == pytest.approx(f.cv["auc"])
    with pytest.raises(WorkbenchError, match="trained on the features"):
        load_filter(tmp_path / "filter", features=["perplexity"])
    with pytest.raises(WorkbenchError, match="columns are missing"):
        again.predict_proba(items.drop(columns="short"))
    spec = json.loads(path.read_text())
    spec["coef"] = spec["coef"][:-1]
    path.write_text(json.dumps(spec))
    with pytest.raises(WorkbenchError, match="damaged"):
        load_filter(path)


def test_a_decision_class_as_target_and_clear_errors() -> None:
    items = scored_items(seed=6)
    d = decisions_for(items, combined_rule(items))
    d.loc[items["unsafe_words"].to_numpy() > 0, "decision"] = "Unsafe"
    f = train_filter(items, d, target="Unsafe")
    assert f.top_features(1)["feature"].iloc[0] == "unsafe_words" and "Unsafe" in f.target
    with pytest.raises(WorkbenchError, match="no reviewer chose target='Spam'"):
        train_filter(items, d, target="Spam")
    with pytest.raises(WorkbenchError, match="share no id"):
        train_filter(items.assign(item_id="x" + items["item_id"]), d)
    with pytest.raises(WorkbenchError, match="not numbers"):
        train_filter(items.assign(short=["a"] + [0.1] * (len(items) - 1)), d, columns=["short", "repetitive"])
    with pytest.raises(WorkbenchError, match="model='forest' is not valid"):
        train_filter(items, d, model="forest")


def test_learning_curves_of_both_strategies() -> None:
    items = scored_items(2_000, seed=7)
    oracle = combined_rule
    rand = learning_curve(items, oracle, strategy="random", budget=300, step=50, seed=0)
    active = learning_curve(items, oracle, strategy="filter-uncertainty", budget=300, step=50, seed=0)
    assert rand["n_labels"].tolist() == active["n_labels"].tolist() == [50, 100, 150, 200, 250, 300]
    assert rand["auc"].iloc[-1] > 0.75 and active["auc"].iloc[-1] > 0.75
    # the random share of the active strategy estimates accuracy without the selection bias
    assert active["random_share_accuracy"].notna().all()
    assert (active["random_share_n"].diff().dropna() > 0).all() and active["random_share_n"].iloc[-1] < 150


def test_the_random_share_estimate_covers_the_held_out_accuracy_on_a_noisy_rule() -> None:
    """A uniform share drawn before any filter, judged out of fold: its interval covers the
    filter's accuracy on held-out items."""
    covered, steps = 0, 0
    for seed in range(3):
        s = make_scored_items(3_000, rule="combined", label_noise=0.1, rng=seed)
        flags = s.rows.set_index("item_id")["flagged"]
        curve = learning_curve(s.tables["items"], lambda f, flags=flags: flags.reindex(f["item_id"]).to_numpy(bool),
                               strategy="filter-uncertainty", budget=300, step=25, seed=seed)
        inside = (curve["random_share_low"] <= curve["accuracy"]) & (curve["accuracy"] <= curve["random_share_high"])
        covered, steps = covered + int(inside.sum()), steps + len(curve)
        assert (curve["random_share_high"] - curve["random_share_low"]).iloc[-1] < 0.2
    assert covered / steps >= 0.85, (covered, steps)


def test_delong_standard_errors_agree_with_the_bootstrap() -> None:
    from sklearn.metrics import roc_auc_score

    from workbench.flywheel import delong

    gen = np.random.default_rng(3)
    y = gen.random(600) < 0.3
    a = np.round(gen.normal(size=600) + y, 1)  # rounded: ties
    b = a + gen.normal(scale=0.8, size=600)
    auc, se, se_diff = delong(y, a, b)
    assert auc == pytest.approx(roc_auc_score(y, a))
    idx = gen.integers(0, 600, (500, 600))
    boot = np.array([roc_auc_score(y[i], a[i]) for i in idx])
    diff = boot - np.array([roc_auc_score(y[i], b[i]) for i in idx])
    assert se == pytest.approx(boot.std(), rel=0.15)
    assert se_diff == pytest.approx(diff.std(), rel=0.15)
    assert delong(y, np.where(y, 1.0, 0.0))[:2] == (1.0, 0.0)  # perfectly separated: no spread
    # DeLong's definition, pair by pair (the placement values), on a small set with ties
    ys, ss = y[:40], a[:40]
    pos, neg = ss[ys], ss[~ys]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    want = np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    assert delong(ys, ss)[1] == pytest.approx(want)


@pytest.mark.parametrize(("rule", "gain_found"), [("combined", True), ("threshold", False), ("none", False)])
def test_on_the_sample_the_filter_finds_the_planted_combination_and_nothing_else(rule: str, gain_found: bool) -> None:
    s = make_scored_items(1_500, rule=rule, label_noise=0.03, rng=11)  # type: ignore[arg-type]
    f = train_filter(s.tables["items"], s.tables["decisions"])
    assert (f.cv["gain_ci"][0] > 0) is gain_found, f.summary()


def test_the_review_queue_serves_what_the_filter_knows_least_with_an_unbiased_random_share(tmp_path: Path) -> None:
    from workbench.review import FilterUncertainty, ReviewQueue, ReviewStore

    s = make_scored_items(2_000, rule="combined", rng=21)
    items, truth = s.tables["items"], s.rows.set_index("item_id")["flagged"]
    first = items.iloc[:300]
    f = train_filter(first, s.tables["decisions"].iloc[:300])
    rest = items.iloc[300:].reset_index(drop=True)
    with ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL") as store:
        queue = ReviewQueue(rest, store, reviewer="ann", strategy=FilterUncertainty(f, random_share=0.25, seed=3),
                            gold_share=0.0)
        served = []
        for _ in range(200):
            it = queue.next()
            served.append(it)
            queue.submit(it, "Poor quality" if truth[it.item_id] else "Acceptable")  # type: ignore[arg-type,union-attr]
    reasons = [q.reason for q in served if q is not None]
    share = np.mean([r.startswith("random share") for r in reasons])
    assert 0.15 < share < 0.35
    p = f.predict_proba(rest.set_index("item_id"))
    unsure = [q.item_id for q in served if q is not None and q.reason.startswith("filter unsure")]
    assert (p[unsure] - 0.5).abs().mean() < (p - 0.5).abs().mean() / 2  # the uncertain ones first
    # the filter's accuracy on the random share estimates its accuracy on all items
    rand = [q.item_id for q in served if q is not None and q.reason.startswith("random share")]
    acc_share = ((p[rand] >= 0.5) == truth[rand]).mean()
    acc_all = ((p >= 0.5) == truth[p.index]).mean()
    se = np.sqrt(acc_all * (1 - acc_all) / len(rand))
    assert abs(acc_share - acc_all) < 3 * se + 1e-9
    acc_unsure = ((p[unsure] >= 0.5) == truth[unsure]).mean()
    assert acc_unsure < acc_all  # the uncertain items alone would understate it


def test_the_command_line_trains_writes_and_simulates(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.review import ReviewStore

    s = make_scored_items(600, rng=4, label_noise=0.03)
    s.tables["items"].to_csv(tmp_path / "scored.csv", index=False)
    with ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL") as store:
        for r in s.tables["decisions"].itertuples():
            store.record(r.item_id, r.reviewer, r.decision)
    runner = CliRunner()
    out = runner.invoke(app, ["flywheel", "train", str(tmp_path / "r.sqlite"), "--items", str(tmp_path / "scored.csv"),
                              "--out", str(tmp_path / "filter")])
    assert out.exit_code == 0, out.output
    assert "Learned filter" in out.output and "AUC points" in out.output
    from workbench.analyses import filter_learning  # the command prints the report's analysis

    report = filter_learning.run(tmp_path / "scored.csv", tmp_path / "r.sqlite")
    assert out.output.splitlines()[0] == report.verdict.headline
    f = load_filter(tmp_path / "filter")
    assert set(f.features) == {"unsafe_words", "short", "repetitive", "perplexity", "noise"}
    issues = pd.read_csv(tmp_path / "filter" / "label_issues.csv")
    planted = set(s.rows.loc[s.rows["flipped"], "item_id"])
    assert len(set(issues["item_id"]) & planted) >= len(issues) // 2
    curve = runner.invoke(app, ["flywheel", "curve", str(tmp_path / "scored.csv"), "--store", str(tmp_path / "r.sqlite"),
                                "--budget", "150", "--step", "50"])
    assert curve.exit_code == 0 and "n_labels" in curve.output and "150" in curve.output, curve.output


def test_a_rule_can_use_a_learned_filter_in_score_text(tmp_path: Path) -> None:
    """train on text statistics -> score text --filter DIR with a rule on learned:NAME."""
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.scoring import Rule, save_rules, score_texts

    gen = np.random.default_rng(2)
    words = ["alpha", "beta", "gamma", "delta", "data", "model", "review", "label"]
    texts = [" ".join(gen.choice(words, int(gen.integers(3, 40)))) + "." for _ in range(300)]
    corpus = pd.DataFrame({"doc_id": [f"t{i}" for i in range(300)], "text": texts})
    stats = score_texts(corpus["text"], metrics=["stats"]).assign(item_id=corpus["doc_id"])
    flagged = (stats["n_words"] < 12).to_numpy()  # the reviewers drop short texts
    f = train_filter(stats, decisions_for(stats, flagged), columns=["n_words", "n_chars", "mean_word_length"])
    f.save(tmp_path / "short")
    corpus.to_csv(tmp_path / "corpus.csv", index=False)
    save_rules([Rule("learned:short", "max", threshold=0.7)], tmp_path / "rules.yaml")
    out = CliRunner().invoke(app, ["score", "text", str(tmp_path / "corpus.csv"), "--out", str(tmp_path / "scored.csv"),
                                   "--metrics", "stats", "--no-cache", "--rules", str(tmp_path / "rules.yaml"),
                                   "--filter", str(tmp_path / "short")])
    assert out.exit_code == 0, out.output
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert "learned:short" in scored.columns
    dropped = scored["decision"] == "drop"
    assert (dropped == (scored["learned:short"] >= 0.7)).all()
    assert ((scored["n_words"] < 12) == dropped).mean() > 0.95
