"""calibrate(): precision/recall over thresholds, best threshold with bootstrap CI, rules file.

Planted truth: simulated reviewers follow a hidden rule on a score of the committed corpus
sample; calibration must recover the rule's threshold within its CI, and find nothing on
reviewers who ignore the score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import precision_recall_curve

from workbench.calibration import calibrate, human_flags, save_calibrated_rules
from workbench.errors import WorkbenchError
from workbench.io import load_table
from workbench.review import ReviewStore, SimulatedReviewer, Triage, simulate_session


@pytest.fixture(scope="module")
def corpus_scores(data_samples: Path) -> pd.DataFrame:
    """The corpus sample with two cheap scores: share of repeated words, mean word length."""
    corpus = load_table(data_samples / "corpus.jsonl", kind="corpus")
    words = corpus["text"].fillna("").str.lower().str.findall(r"\w+")
    n = words.str.len().clip(lower=1)
    unique = words.map(lambda w: len(set(w)))
    return corpus.assign(
        repetition=1.0 - unique / n,
        mean_word_len=corpus["text"].fillna("").str.replace(r"\W+", "", regex=True).str.len() / n,
    )


@pytest.mark.parametrize(
    ("metric", "direction", "quantile", "strategy"),
    [("repetition", "max", 0.8, "random"), ("mean_word_len", "min", 0.3, "triage")],
)
def test_recovers_hidden_rule_threshold_within_ci(
    corpus_scores: pd.DataFrame, tmp_path: Path, metric: str, direction: str, quantile: float, strategy: str
) -> None:
    threshold = float(corpus_scores[metric].quantile(quantile))
    store = ReviewStore(tmp_path / "cal.sqlite", synchronous="NORMAL")
    reviewer = SimulatedReviewer(metric, direction, threshold, error_rate=0.05)  # type: ignore[arg-type]
    opts: dict[str, object] = {"strategy": strategy}
    if strategy == "triage":  # flagged side first, plus 40% exploration of the rest
        opts["strategy"] = Triage(low={metric: float(corpus_scores[metric].quantile(0.5))}, explore_share=0.4)
    for name, seed in (("sim-1", 1), ("sim-2", 2)):
        simulate_session(corpus_scores, store, reviewer, name=name, n=300, rng=seed, overlap_share=0.1, **opts)
    res = calibrate(corpus_scores, store.decisions(), metric=metric, item="doc_id", n_resamples=500, rng=0)
    assert res.direction == direction  # inferred from the data for these unknown metrics
    assert res.ci_low <= threshold <= res.ci_high, res.summary()
    spread = corpus_scores[metric].quantile(0.9) - corpus_scores[metric].quantile(0.1)
    assert res.ci_high - res.ci_low < 0.5 * spread  # informative, not the whole range
    assert res.precision > 0.8 and res.recall > 0.8
    assert res.precision_ci[0] <= res.precision <= res.precision_ci[1]
    assert str(round(res.threshold, 2))[:3] in res.summary().replace(",", "")


def test_null_reviewers_give_no_better_than_chance_filter(corpus_scores: pd.DataFrame) -> None:
    g = np.random.default_rng(7)
    sample = corpus_scores.sample(600, random_state=3)
    decisions = pd.DataFrame(
        {"item_id": sample["doc_id"], "decision": np.where(g.uniform(size=600) < 0.3, "Poor quality", "Acceptable")}
    )
    res = calibrate(sample, decisions, metric="repetition", direction="max", item="doc_id", n_resamples=300, rng=1)
    base_rate = (decisions["decision"] != "Acceptable").mean()
    assert res.precision_ci[0] <= base_rate + 0.02  # precision not credibly above chance
    spread = sample["repetition"].max() - sample["repetition"].min()
    assert res.ci_high - res.ci_low > 0.3 * spread  # the threshold is not pinned down


def test_curve_matches_sklearn_precision_recall_curve() -> None:
    g = np.random.default_rng(0)
    s = np.round(g.normal(size=300), 1)  # ties on purpose
    y = g.uniform(size=300) < 1 / (1 + np.exp(-2 * s))
    scores = pd.DataFrame({"item_id": [f"i{i}" for i in range(300)], "m": s})
    dec = pd.DataFrame({"item_id": scores["item_id"], "decision": np.where(y, "Unsafe", "Acceptable")})
    res = calibrate(scores, dec, metric="m", direction="max", n_resamples=50, rng=0)
    p, r, t = precision_recall_curve(y, s)  # flags s >= t, one point per distinct score
    ours = res.curve[res.curve["n_flagged"] > 0].set_index("n_flagged")
    theirs = pd.DataFrame({"precision": p[:-1], "recall": r[:-1], "t": t})
    theirs["n_flagged"] = [(s >= v).sum() for v in t]
    theirs = theirs.set_index("n_flagged").loc[ours.index]
    np.testing.assert_allclose(ours["precision"], theirs["precision"])
    np.testing.assert_allclose(ours["recall"], theirs["recall"])
    # each candidate threshold separates exactly the flagged items
    for k, thr in zip(res.curve["n_flagged"], res.curve["threshold"], strict=True):
        assert (s > thr).sum() == k
    best = res.curve["fbeta"].idxmax()
    assert res.threshold == res.curve.loc[best, "threshold"]


def test_min_direction_and_cost_target_move_the_threshold() -> None:
    g = np.random.default_rng(1)
    s = g.uniform(0, 1, 2000)
    y = g.uniform(size=2000) < np.where(s < 0.3, 0.9, 0.15)  # low CLIP scores are bad
    scores = pd.DataFrame({"item_id": np.arange(2000).astype(str), "clip_score": s})
    dec = pd.DataFrame({"item_id": scores["item_id"], "decision": np.where(y, "Poor quality", "Acceptable")})
    f1 = calibrate(scores, dec, metric="clip_score", n_resamples=200, rng=0)
    assert f1.direction == "min" and 0.25 < f1.threshold < 0.35 and f1.ci_low < 0.3 < f1.ci_high
    # missing a bad item costs 20 times a false alarm: flag more
    cost = calibrate(scores, dec, metric="clip_score", target="cost", cost_fn=20, n_resamples=200, rng=0)
    assert cost.threshold > f1.threshold + 0.2 and cost.recall > f1.recall
    # F2 favours recall too
    f2 = calibrate(scores, dec, metric="clip_score", target="fbeta", beta=2, n_resamples=200, rng=0)
    assert f2.recall >= f1.recall
    assert "clip_score < " in f1.summary()
    assert list(f1.to_frame().columns[:3]) == ["metric", "direction", "threshold"]


def test_human_flags_majority_and_bad_input() -> None:
    d = pd.DataFrame(
        {"item_id": ["a", "a", "a", "b", "b"], "decision": ["Unsafe", "Acceptable", "Acceptable", "Biased", "Biased"]}
    )
    assert human_flags(d).to_dict() == {"a": False, "b": True}
    scores = pd.DataFrame({"item_id": ["a", "b"], "m": [1.0, 2.0]})
    with pytest.raises(WorkbenchError, match="missing column"):
        calibrate(scores, d, metric="nope")
    with pytest.raises(WorkbenchError, match="reviewers flagged every one"):
        calibrate(scores, d[d["item_id"] == "b"], metric="m")
    with pytest.raises(WorkbenchError, match="no reviewed item has a 'm' score"):
        calibrate(scores.assign(item_id=["x", "y"]), d, metric="m")
    with pytest.raises(WorkbenchError, match="target='auc' is not valid"):
        calibrate(scores, d, metric="m", target="auc")  # type: ignore[arg-type]


def test_results_write_the_rules_file_that_decide_reads(tmp_path: Path) -> None:
    g = np.random.default_rng(2)
    s = g.lognormal(6, 1, 800)
    scores = pd.DataFrame({"item_id": np.arange(800).astype(str), "perplexity": s, "other": g.uniform(size=800)})
    dec = pd.DataFrame({"item_id": scores["item_id"], "decision": np.where(s > 1500, "Poor quality", "Acceptable")})
    res = calibrate(scores, dec, metric="perplexity", n_resamples=100, rng=0)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [
        {"metric": "other", "direction": "max", "threshold": 0.99, "percentile": None, "action": "review", "review_margin": 0.0},
        {"metric": "perplexity", "direction": "max", "threshold": 99999.0, "percentile": None, "action": "drop", "review_margin": 0.0},
    ]}))
    save_calibrated_rules([res], path)
    rules = yaml.safe_load(path.read_text())["rules"]
    assert [r["metric"] for r in rules] == ["other", "perplexity"]  # merged, replaced
    assert rules[1]["threshold"] == pytest.approx(res.threshold) and rules[1]["direction"] == "max"
    assert rules[1]["action"] == "drop"
    composite = pytest.importorskip("workbench.scoring.composite")
    loaded = composite.load_rules(path)
    out = composite.decide(scores, loaded)
    flagged = out["decision"].eq("drop").to_numpy()
    assert (flagged == (s > res.threshold)).all()
    assert res.rule().threshold == pytest.approx(res.threshold)


def test_too_few_decisions_per_side_write_no_rule(tmp_path: Path) -> None:
    """Three decisions once calibrated "top_2gram_char_fraction > -1e-12 -> drop" (drop
    everything): below min_per_side per side nothing is fitted, and the error says how many
    more decisions each side needs."""
    scores = pd.DataFrame({"item_id": [f"i{i}" for i in range(40)], "m": np.arange(40.0)})
    three = pd.DataFrame({"item_id": ["i1", "i30", "i31"], "decision": ["Acceptable", "Unsafe", "Unsafe"]})
    with pytest.raises(WorkbenchError, match="flagged 2 and kept 1 .* Review 18 more flagged and 19 more kept"):
        calibrate(scores, three, metric="m", direction="max")
    many = pd.DataFrame({"item_id": scores["item_id"], "decision": np.where(scores["m"] >= 25, "Unsafe", "Acceptable")})
    with pytest.raises(WorkbenchError, match="flagged 15 and kept 25 .* Review 5 more flagged item"):
        calibrate(scores, many, metric="m", direction="max")
    res = calibrate(scores, many, metric="m", direction="max", min_per_side=15, n_resamples=50, rng=0)
    assert res.threshold == 24.5  # enough on both sides: fitted and written
    assert save_calibrated_rules([res], tmp_path / "rules.yaml").exists()
    with pytest.raises(WorkbenchError, match="min_per_side=0 must be at least 1"):
        calibrate(scores, many, metric="m", min_per_side=0)
