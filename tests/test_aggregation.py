"""Majority vote and Dawid–Skene: published accuracies, crowd-kit cross-check, planted truth."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene

from workbench.aggregation import compare_to_gold, dawid_skene, majority_vote, vote_shares
from workbench.errors import ConvergenceWarning, WorkbenchError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:.*(inplace|copy) keyword")

SETS = ("product", "dog", "duck", "face-sentiment")


def load_crowd(external: Path, name: str) -> tuple[pd.DataFrame, pd.Series]:
    base = external / "crowd-truth-inference" / name
    if not base.is_dir():
        pytest.skip(f"{base} is absent")
    ans = pd.read_csv(base / "answer.csv", dtype=str)
    truth = pd.read_csv(base / "truth.csv", dtype=str).set_index("question")["truth"]
    df = ans.rename(columns={"question": "item_id", "worker": "annotator_id", "answer": "label"})
    return df, truth


def accuracy(labels: pd.Series, truth: pd.Series) -> float:
    return float((labels.reindex(truth.index) == truth).mean())


def test_product_matches_published_accuracy(external):
    # D_Product of Zheng et al. (2017), "Truth Inference in Crowdsourcing: Is the Problem
    # Solved?", PVLDB 10(5) (doi:10.14778/3055540.3055547); accuracies as published in the
    # crowd-kit paper's table (Ustalov et al., JOSS): DS 0.940, MV 0.897.
    df, truth = load_crowd(external, "product")
    res = dawid_skene(df)
    assert res.converged
    assert accuracy(res.labels, truth) == pytest.approx(0.940, abs=0.002)
    assert accuracy(majority_vote(df, rng=0), truth) == pytest.approx(0.897, abs=0.002)


@pytest.mark.parametrize("name", SETS)
def test_dawid_skene_never_much_worse_than_majority_vote(external, name):
    df, truth = load_crowd(external, name)
    ds = accuracy(dawid_skene(df, max_iter=300).labels, truth)
    mv = accuracy(majority_vote(df, rng=0), truth)
    assert ds >= mv - 0.01


@pytest.mark.parametrize("name", ["dog", "duck"])
def test_dawid_skene_agrees_with_crowd_kit(external, name):
    df, _ = load_crowd(external, name)
    ours = dawid_skene(df, max_iter=300, tol=1e-7)
    ck = DawidSkene(n_iter=300, tol=1e-7).fit(
        df.rename(columns={"item_id": "task", "annotator_id": "worker"})
    )
    same = (ours.labels == ck.labels_.reindex(ours.labels.index)).mean()
    assert same >= 0.98
    probs = ck.probas_.reindex(index=ours.posteriors.index, columns=ours.posteriors.columns)
    assert np.abs(probs.to_numpy() - ours.posteriors.to_numpy()).mean() < 0.03


def _planted(n_items=2000, rng=0):
    """3 classes; 4 good annotators (90%), 1 who answers 'c' to everything true 'a', 2 spammers."""
    gen = np.random.default_rng(rng)
    classes = np.array(["a", "b", "c"])
    truth = gen.choice(3, n_items, p=[0.5, 0.3, 0.2])
    confusions = {}
    for w in ["g1", "g2", "g3", "g4"]:
        confusions[w] = np.full((3, 3), 0.05) + np.eye(3) * 0.85
    confusions["flip"] = np.array([[0.05, 0.05, 0.9], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])
    for w in ["s1", "s2"]:
        confusions[w] = np.full((3, 3), 1 / 3)
    rows = []
    for w, conf in confusions.items():
        rated = gen.random(n_items) < 0.6
        cum = conf[truth[rated]].cumsum(axis=1)
        given = (gen.random(rated.sum())[:, None] > cum).sum(axis=1)
        rows.append(pd.DataFrame({"item_id": np.flatnonzero(rated).astype(str), "annotator_id": w, "label": classes[given]}))
    df = pd.concat(rows, ignore_index=True)
    return df, pd.Series(classes[truth], index=np.arange(n_items).astype(str)), confusions


def test_dawid_skene_recovers_planted_confusions():
    df, truth, confusions = _planted()
    res = dawid_skene(df)
    assert res.converged and res.n_iter > 1
    assert accuracy(res.labels, truth) > accuracy(majority_vote(df, rng=0), truth) + 0.02
    for w, conf in confusions.items():
        est = res.confusion.loc[w].to_numpy()
        assert np.abs(est - conf).max() < 0.08, w
    assert res.priors.to_numpy() == pytest.approx([0.5, 0.3, 0.2], abs=0.03)
    assert np.allclose(res.posteriors.sum(axis=1), 1.0)
    acc = res.annotator_accuracy()
    assert set(acc.nsmallest(2).index) == {"s1", "s2"}
    assert "converged" in res.summary()
    frame = res.to_frame()
    assert list(frame.columns[:2]) == ["label", "confidence"]


def test_dawid_skene_order_invariant():
    df, _, _ = _planted(n_items=300, rng=1)
    a = dawid_skene(df)
    b = dawid_skene(df.sample(frac=1.0, random_state=3))
    assert (a.labels.sort_index() == b.labels.sort_index()).all()
    assert np.allclose(a.posteriors.sort_index(), b.posteriors.sort_index(), atol=1e-8)


def test_dawid_skene_warns_at_max_iter():
    df, _, _ = _planted(n_items=300, rng=2)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        res = dawid_skene(df, max_iter=2)
    assert not res.converged and res.n_iter == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dawid_skene(df).converged


def test_majority_vote_tie_policies():
    df = pd.DataFrame(
        {
            "item_id": ["1", "1", "1", "2", "2", "3", "3"],
            "annotator_id": ["u", "v", "w", "u", "v", "u", "v"],
            "label": ["x", "x", "y", "y", "x", "y", "x"],
        }
    )
    assert majority_vote(df, ties="first").tolist() == ["x", "x", "x"]
    assert majority_vote(df, ties="first", value_order=["y", "x"]).tolist() == ["x", "y", "y"]
    ab = majority_vote(df, ties="abstain")
    assert ab.iloc[0] == "x" and ab.iloc[1:].isna().all()
    assert ab.attrs["n_ties"] == 2
    with pytest.raises(WorkbenchError, match="2 item.s. have tied top labels"):
        majority_vote(df, ties="error")
    with pytest.raises(WorkbenchError, match="ties='coin' is not valid"):
        majority_vote(df, ties="coin")
    # random ties: reproducible by rng, independent of row order, roughly fair
    big = pd.DataFrame(
        {"item_id": np.repeat(np.arange(2000), 2).astype(str), "annotator_id": ["u", "v"] * 2000, "label": ["x", "y"] * 2000}
    )
    r1 = majority_vote(big, rng=7)
    r2 = majority_vote(big.iloc[::-1], rng=7).reindex(r1.index)
    assert (majority_vote(big, rng=7) == r1).all()
    assert 0.45 < (r1 == "x").mean() < 0.55
    assert 0.45 < (r2 == "x").mean() < 0.55


def test_vote_shares():
    df, _, _ = _planted(n_items=100)
    shares = vote_shares(df)
    assert np.allclose(shares.sum(axis=1), 1.0)
    mv = majority_vote(df, ties="abstain")
    decided = mv.dropna()
    assert (shares.loc[decided.index].idxmax(axis=1) == decided).all()


@pytest.mark.parametrize("func", [majority_vote, dawid_skene, vote_shares])
def test_aggregation_rejects_bad_tables(func):
    df = pd.DataFrame({"item_id": ["1", "1", "2", "2"], "annotator_id": ["u", "v", "u", "v"], "label": ["x", "y", "y", "y"]})
    with pytest.raises(WorkbenchError, match="missing value"):
        func(df.assign(label=["x", np.nan, "y", "y"]))
    with pytest.raises(WorkbenchError, match="at least 2 annotators"):
        func(df.assign(annotator_id="u", item_id=["1", "2", "3", "4"]))
    with pytest.raises(WorkbenchError, match="not in value_order"):
        func(df, value_order=["y"])
    with pytest.raises(WorkbenchError, match="rows share the same"):
        func(pd.concat([df, df.iloc[[1]]], ignore_index=True))
    with pytest.raises(WorkbenchError, match="is empty"):
        func(df.iloc[:0])
    with pytest.raises(WorkbenchError, match="missing column"):
        func(df, label="answer")


def test_dawid_skene_rejects_bad_options():
    df, _, _ = _planted(n_items=50)
    with pytest.raises(WorkbenchError, match="max_iter=0"):
        dawid_skene(df, max_iter=0)
    with pytest.raises(WorkbenchError, match="tol=0"):
        dawid_skene(df, tol=0)
    with pytest.raises(WorkbenchError, match="smoothing=-1"):
        dawid_skene(df, smoothing=-1)


def test_compare_to_gold_counts_accuracy_and_who_is_right_where_methods_differ():
    from statsmodels.stats.proportion import proportion_confint

    from workbench.samples import make_reviews

    s = make_reviews(800, 8, 3, 30, gold_fraction=0.3, rng=2)
    ann, gold = s.tables["reviews_10x5000"], s.tables["reviews_10x5000_gold"]
    ann = ann[np.arange(len(ann)) % 4 != 0]  # some items keep 2 ratings: majority-vote ties
    mv = majority_vote(ann, ties="abstain")
    ds = dawid_skene(ann).labels
    out = compare_to_gold({"majority_vote": mv, "dawid_skene": ds}, gold)
    assert list(out.index) == ["majority_vote", "dawid_skene"]
    truth = gold.set_index("item_id")["label"]
    for name, lab in (("majority_vote", mv), ("dawid_skene", ds)):
        lab = lab.reindex(truth.index)
        n, correct = int(lab.notna().sum()), int((lab == truth).sum())
        assert (out.loc[name, "n"], out.loc[name, "correct"]) == (n, correct)
        assert out.loc[name, "accuracy"] == pytest.approx(correct / n)
        lo, hi = proportion_confint(correct, n, method="wilson")
        assert (out.loc[name, "ci_low"], out.loc[name, "ci_high"]) == pytest.approx((lo, hi))
    assert out.loc["majority_vote", "n"] < out.loc["dawid_skene", "n"]  # abstained ties are not compared
    both = mv.reindex(truth.index).notna()
    diff = both & (mv.reindex(truth.index) != ds.reindex(truth.index))
    assert out["n_differing"].tolist() == [int(diff.sum())] * 2
    assert out.loc["dawid_skene", "correct_on_differing"] == int((ds.reindex(truth.index)[diff] == truth[diff]).sum())
    # categorical labels compare by value like plain ones
    cat = compare_to_gold({"dawid_skene": ds.astype("category")}, gold)
    assert cat.loc["dawid_skene", "correct"] == out.loc["dawid_skene", "correct"]


def test_compare_to_gold_ids_and_labels_must_share_a_dtype():
    mv = pd.Series(["a", "b", "a"], index=pd.Index([1, 2, 3], dtype="int64"))
    gold = pd.DataFrame({"item_id": ["1", "2"], "label": ["a", "b"]})
    with pytest.raises(WorkbenchError, match=r"gold 'item_id' is str, labels\['mv'\] index 'item_id' is int64; cast one "
                                             r"\(e\.g\. labels\['mv'\]\.index = labels\['mv'\]\.index\.astype\(str\)\)"):
        compare_to_gold({"mv": mv}, gold)
    with pytest.raises(WorkbenchError, match=r"gold 'item_id' is int64, labels\['mv'\] index 'item_id' is str; cast one "
                                             r"\(e\.g\. gold\['item_id'\] = gold\['item_id'\]\.astype\(str\)\)"):
        compare_to_gold({"mv": mv.set_axis(mv.index.astype(str))}, gold.assign(item_id=[1, 2]))
    with pytest.raises(WorkbenchError, match=r"none of its 1 items.*Check that both use the same item ids"):
        compare_to_gold({"mv": mv}, pd.DataFrame({"item_id": [9], "label": ["a"]}))
    num = pd.Series([1, 2, 1], index=[1, 2, 3])
    with pytest.raises(WorkbenchError, match=r"only match the method labels \[1, 2\] as text"):
        compare_to_gold({"mv": num}, pd.DataFrame({"item_id": [1, 2], "label": ["1", "2"]}))
    assert compare_to_gold({"mv": num}, pd.DataFrame({"item_id": [1, 2], "label": [1.0, 2.0]}))["correct"].tolist() == [2]
    with pytest.raises(WorkbenchError, match="non-empty mapping"):
        compare_to_gold({}, gold)
    with pytest.raises(WorkbenchError, match=r"labels\['mv'\] has duplicate item ids"):
        compare_to_gold({"mv": pd.Series(["a", "b"], index=[1, 1])}, gold)
    with pytest.raises(WorkbenchError, match=r"labels\['mv'\] is a list"):
        compare_to_gold({"mv": ["a"]}, gold)


# ---- annotator flags: one near-random definition (issue 20) ----------------------------------


def test_annotator_flags_find_planted_random_and_straight_lining_annotators() -> None:
    from workbench.aggregation import annotator_flags

    gen = np.random.default_rng(4)
    truth = gen.integers(0, 3, 300)
    rows = []
    for i, t in enumerate(truth):
        for a in range(5):
            lab = t if gen.random() < 0.85 else gen.integers(0, 3)
            if a == 3:
                lab = gen.integers(0, 3)  # planted: random
            if a == 4:
                lab = 0  # planted: straight-lining (and near random)
            rows.append((i, f"a{a}", int(lab)))
    df = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    flags = annotator_flags(df, near_random_margin=0.1, straight_line_share=0.9)
    assert flags.index[flags["near_random"]].tolist() == ["a3", "a4"]
    assert flags.index[flags["straight_lining"]].tolist() == ["a4"]
    assert (flags["n"] == 300).all() and flags["top_label_share"].between(0, 1).all()
    ds = dawid_skene(df)
    assert flags["near_random"].tolist() == ds.near_random(0.1).reindex(flags.index).tolist()
    # null data: five careful annotators, nobody flagged
    careful = df[~df["annotator_id"].isin(["a3", "a4"])]
    assert not annotator_flags(careful)[["near_random", "straight_lining"]].to_numpy().any()
    with pytest.raises(WorkbenchError, match="near_random_margin=1.5"):
        annotator_flags(df, near_random_margin=1.5)
    with pytest.raises(WorkbenchError, match="straight_line_share=0"):
        annotator_flags(df, straight_line_share=0)


def test_annotator_flags_position_bias_on_preferences() -> None:
    from workbench.aggregation import annotator_flags

    gen = np.random.default_rng(2)
    rows = [(p, f"r{r}", "a" if r == 0 else str(gen.choice(["a", "b"]))) for p in range(100) for r in range(3)]
    prefs = pd.DataFrame(rows, columns=["pair_id", "annotator_id", "choice"])
    flags = annotator_flags(prefs, item="pair_id", label="choice", position_share=0.7)
    assert flags.index[flags["position_biased"]].tolist() == ["r0"]
    assert flags.loc["r0", "share_a"] == 1.0
