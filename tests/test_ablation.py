"""Downstream A/B tests of data interventions: planted help is found, null interventions are not,
and the Kneser–Ney language model equals NLTK's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import ablation, samples
from workbench.errors import WorkbenchError


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    s = samples.make_reviews(1500, rng=3)
    items = s.tables["reviews_10x5000_items"]
    truth = s.truth["rows"][["item_id", "true_label"]]
    return items.merge(truth, on="item_id").rename(columns={"true_label": "label"})


def _split(df: pd.DataFrame, n_test: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = np.random.default_rng(seed).permutation(len(df))
    return df.iloc[idx[n_test:]].reset_index(drop=True), df.iloc[idx[:n_test]].reset_index(drop=True)


def test_removing_label_noise_helps_with_ci_excluding_zero(reviews: pd.DataFrame) -> None:
    train, test = _split(reviews, 400, 0)
    flip = np.random.default_rng(1).random(len(train)) < 0.35
    noisy = train.assign(label=np.where(flip, np.where(train["label"] == "positive", "negative", "positive"), train["label"]))
    res = ablation.compare_training_sets({"noisy": noisy, "clean": train}, test, n_repeats=5, rng=2)
    acc = res.differences.set_index("metric").loc["accuracy"]
    assert acc["estimate"] > 0 and acc["ci_low"] > 0 and acc["better"] and acc["significant"]
    assert res.budget == int(0.8 * len(train)) and "equal budget" in res.budget_policy
    assert "clean vs noisy, accuracy: +" in res.summary()


def test_null_intervention_ci_includes_zero_in_90_percent_of_seeds(reviews: pd.DataFrame) -> None:
    covered = 0
    seeds = range(10)
    for seed in seeds:
        train, test = _split(reviews, 300, 100 + seed)
        gen = np.random.default_rng(seed)
        noisy = train.assign(label=np.where(gen.random(len(train)) < 0.25, "negative", train["label"]))
        drop = gen.choice(len(noisy), size=len(noisy) // 5, replace=False)
        subset = noisy.drop(index=drop)  # a random subset of the same size a filter would remove
        res = ablation.compare_training_sets({"raw": noisy, "random_removal": subset}, test, n_repeats=4,
                                             n_bootstrap=1000, rng=seed)
        acc = res.differences.set_index("metric").loc["accuracy"]
        covered += acc["ci_low"] <= 0 <= acc["ci_high"]
    assert covered >= 9


def test_budget_is_equal_so_size_alone_cannot_win(reviews: pd.DataFrame) -> None:
    train, test = _split(reviews, 200, 5)
    res = ablation.compare_training_sets({"big": train, "small": train.iloc[:300]}, test, n_repeats=2, rng=0)
    assert set(res.table["n_train"]) == {240}
    res = ablation.compare_training_sets({"big": train, "small": train.iloc[:300]}, test, n_repeats=2, budget=100, rng=0)
    assert set(res.table["n_train"]) == {100} and "fixed budget of 100" in res.budget_policy


def test_kneser_ney_equals_nltk() -> None:
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline

    texts = ["the cat sat on the mat", "the dog sat on the rug", "a cat and a dog", "the mat is red", "dog on mat"]
    toks = [ablation.tokenize(t) for t in texts]
    train, vocab = padded_everygram_pipeline(2, toks)
    reference = KneserNeyInterpolated(2, discount=0.75)
    reference.fit(train, vocab)
    ours = ablation.KneserNeyBigram(sorted({w for t in toks for w in t}), discount=0.75, continuation_smoothing=0).fit(texts)
    for ctx in ["<s>", "the", "cat", "on", "red", "a"]:
        for w in [*sorted({w for t in toks for w in t}), "</s>"]:
            ours_p = float(np.exp(ours._logprob(np.array([ours.index[ctx]]), np.array([ours.index[w]]))[0]))
            assert ours_p == pytest.approx(reference.score(w, [ctx]), rel=1e-12, abs=1e-15)


def test_kneser_ney_is_a_distribution_and_penalises_word_salad() -> None:
    lm = ablation.KneserNeyBigram(["the", "cat", "sat", "on", "mat"]).fit(["the cat sat on the mat"] * 5)
    for h in ["<s>", "the", "cat", "unseen"]:
        assert lm.probabilities(h).sum() == pytest.approx(1.0, abs=1e-12)
    ll, n = lm.log_likelihood(["the cat sat on the mat", "mat the on sat cat the"])
    assert n.tolist() == [7, 7] and ll[0] > ll[1]


def test_language_model_ablation_prefers_clean_corpus() -> None:
    s = samples.make_corpus(1200, rng=4)
    rows = s.truth["rows"].set_index("doc_id")
    corpus = s.tables["corpus"]
    kind = rows.loc[corpus["doc_id"], "kind"].to_numpy()
    reference = samples.make_corpus(150, shares={"clean": 1.0}, rng=99).tables["corpus"]
    junk = np.isin(kind, ["word_salad", "spam", "non_english", "repetitive"])
    res = ablation.compare_training_sets({"raw": corpus, "cleaned": corpus[~junk]}, reference,
                                         task="language_model", n_repeats=3, rng=0)
    d = res.differences.iloc[0]
    assert d["metric"] == "perplexity" and d["estimate"] < 0 and d["ci_high"] < 0 and d["better"]


def test_threshold_sweep_reports_keep_rate_and_cis() -> None:
    s = samples.make_corpus(800, rng=5)
    corpus = s.tables["corpus"]
    kind = s.truth["rows"].set_index("doc_id").loc[corpus["doc_id"], "kind"].to_numpy()
    score = np.where(kind == "clean", 0.0, 1.0) + np.random.default_rng(0).random(len(corpus)) * 0.1
    reference = samples.make_corpus(100, shares={"clean": 1.0}, rng=98).tables["corpus"]
    sweep = ablation.threshold_sweep(corpus, score, [0.5, 2.0], reference, n_repeats=2, rng=0)
    t = sweep.table
    assert t["keep_rate"].iloc[-1] == 1.0 and t["keep_rate"].iloc[0] == pytest.approx((kind == "clean").mean())
    assert (t["perplexity_ci_low"] <= t["perplexity"]).all() and (t["perplexity"] <= t["perplexity_ci_high"]).all()
    assert t["perplexity"].iloc[0] < t["perplexity"].iloc[1]
    assert "best at threshold 0.5" in sweep.summary()


def test_errors_name_the_problem(reviews: pd.DataFrame) -> None:
    with pytest.raises(WorkbenchError, match=r"train_sets must map at least two names"):
        ablation.compare_training_sets({"only": reviews}, reviews)
    with pytest.raises(WorkbenchError, match=r"table 'train_sets\['b'\]' is missing column\(s\) 'label'"):
        ablation.compare_training_sets({"a": reviews, "b": reviews.drop(columns="label")}, reviews)
    with pytest.raises(WorkbenchError, match=r"task='regression' is not valid"):
        ablation.compare_training_sets({"a": reviews, "b": reviews}, reviews, task="regression")  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match=r"budget=99,999 examples exceeds the smallest training set 'b'"):
        ablation.compare_training_sets({"a": reviews, "b": reviews.iloc[:50]}, reviews, budget=99_999)
    with pytest.raises(WorkbenchError, match=r"scores must have one value per corpus row: corpus has 1500 rows"):
        ablation.threshold_sweep(reviews, np.zeros(3), [1.0], reviews)


def test_gold_filter_never_sees_the_test_items_and_is_null_on_equal_annotators() -> None:
    s = samples.make_reviews(1200, drift_annotator=None, cohort_confusion=False, rng=8)
    ann, items, gold = (s.tables[k] for k in ("reviews_10x5000", "reviews_10x5000_items", "reviews_10x5000_gold"))
    sets = ablation.label_training_sets(ann, items, gold, min_gold_accuracy=0.5, rng=0)
    assert sets.n_qa_gold + len(sets.test) == len(gold)
    assert not set(sets.test["item_id"]) & set().union(*(set(v["item_id"]) for v in sets.train_sets.values()))
    assert len(sets.kept_annotators) == ann["annotator_id"].nunique()  # the bar keeps everyone here
    res = ablation.compare_training_sets(
        {"majority_vote": sets.train_sets["majority_vote"], "gold_filtered": sets.train_sets["gold_filtered"]},
        sets.test, n_repeats=3, rng=0)
    acc = res.differences.set_index("metric").loc["accuracy"]
    assert acc["ci_low"] <= 0 <= acc["ci_high"]  # the same labels: no effect
    assert "QA gold items" in sets.summary()


def test_language_model_budgets_are_exactly_equal() -> None:
    s = samples.make_corpus(300, rng=6)
    corpus = s.tables["corpus"]
    reference = samples.make_corpus(40, shares={"clean": 1.0}, rng=97).tables["corpus"]
    res = ablation.compare_training_sets({"a": corpus, "b": corpus.iloc[::2]}, reference, task="language_model",
                                         n_repeats=2, rng=0)
    assert res.table["n_train"].nunique() == 1 and res.table["n_train"].iloc[0] == res.budget


def test_clean_corpus_removes_planted_noise_and_keeps_clean_text() -> None:
    s = samples.make_corpus(600, rng=7)
    corpus = s.tables["corpus"]
    kind = s.truth["rows"].set_index("doc_id")["kind"]
    out = ablation.clean_corpus(corpus)
    kept = kind.loc[out.cleaned["doc_id"]].value_counts()
    planted = kind.value_counts()
    for noisy in ("non_english", "spam", "repetitive"):
        assert kept.get(noisy, 0) <= 0.05 * planted[noisy]
    assert kept["clean"] >= 0.9 * planted["clean"]
    counts = out.to_frame()
    assert counts["stage"].tolist() == ["language", "heuristics", "dedup"]
    assert int(counts["remaining"].iloc[-1]) == len(out.cleaned)


# ------------------------------------------------------------------ which question the interval answers


def _flip(frame: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    flip = np.random.default_rng(seed).random(len(frame)) < share
    return frame.assign(label=np.where(flip, np.where(frame["label"] == "positive", "negative", "positive"),
                                       frame["label"]))


def test_auto_variance_follows_whether_the_sets_share_a_base(reviews: pd.DataFrame) -> None:
    train, test = _split(reviews, 300, 11)
    first, second = train.iloc[:500], train.iloc[500:1000]
    opts = {"n_repeats": 3, "n_bootstrap": 500, "rng": 0}
    shared = ablation.compare_training_sets({"raw": first, "cleaned": first.iloc[100:]}, test, **opts)
    assert shared.variance == "set" and "share a base" in shared.variance_reason
    assert "do these given training sets differ" in shared.summary()
    assert set(shared.table["n_train"]) == {int(0.8 * 400)}  # 80% of the smallest, without replacement
    independent = ablation.compare_training_sets({"vendor_a": first, "vendor_b": second}, test, **opts)
    assert independent.variance == "process" and "0%" in independent.variance_reason
    assert "drawn afresh" in independent.summary() and "resampled with replacement" in independent.budget_policy
    assert set(independent.table["n_train"]) == {500}  # a bootstrap resample has the set's size
    forced = ablation.compare_training_sets({"vendor_a": first, "vendor_b": second}, test, variance="set", **opts)
    assert forced.variance == "set" and "chosen by the caller" in forced.summary()
    width = {r.variance: float(r.differences["ci_high"].iloc[0] - r.differences["ci_low"].iloc[0])
             for r in (independent, forced)}
    assert width["process"] > width["set"]  # the set-draw variance is added


def test_process_variance_still_finds_planted_label_noise(reviews: pd.DataFrame) -> None:
    train, test = _split(reviews, 400, 12)
    first, second = train.iloc[:550], train.iloc[550:1100]
    res = ablation.compare_training_sets({"noisy": _flip(first, 0.35, 1), "clean": second}, test,
                                         n_repeats=5, n_bootstrap=1000, rng=3)
    acc = res.differences.set_index("metric").loc["accuracy"]
    assert res.variance == "process" and acc["ci_low"] > 0 and acc["significant"] and acc["better"]
    est = res.estimates.set_index(["set", "metric"]).loc[("clean", "accuracy")]
    assert est["ci_low"] < est["estimate"] < est["ci_high"]


def test_process_variance_for_the_language_model_keeps_budgets_equal() -> None:
    s = samples.make_corpus(300, rng=6)
    corpus = s.tables["corpus"]
    reference = samples.make_corpus(40, shares={"clean": 1.0}, rng=97).tables["corpus"]
    res = ablation.compare_training_sets({"a": corpus.iloc[::2], "b": corpus.iloc[1::2]}, reference,
                                         task="language_model", n_repeats=3, n_bootstrap=300, rng=0)
    assert res.variance == "process"
    assert res.table["n_train"].nunique() == 1 and res.table["n_train"].iloc[0] == res.budget
    d = res.differences.iloc[0]
    assert d["ci_low"] <= 0 <= d["ci_high"]  # two halves of one corpus: the same process


def test_variance_errors(reviews: pd.DataFrame) -> None:
    with pytest.raises(WorkbenchError, match=r"variance='bootstrap' is not valid"):
        ablation.compare_training_sets({"a": reviews, "b": reviews}, reviews, variance="bootstrap")  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match=r"variance='process' .* needs n_repeats >= 3, got 2"):
        ablation.compare_training_sets({"a": reviews, "b": reviews}, reviews, variance="process", n_repeats=2)
