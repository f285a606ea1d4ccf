"""Length and position bias: planted truth, null calibration, anchors (scipy, statsmodels,
sklearn), the mitigation, errors, and the real data in ../shared/external."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from workbench import bias
from workbench.errors import WorkbenchError
from workbench.samples import make_preferences

TABLE = "preferences_5x200"


def _external_loaders():
    """The loaders of benchmarks/bias_external.py (a script, not a package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bias_external.py"
    spec = importlib.util.spec_from_file_location("bias_external", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prefs(**kwargs) -> tuple[pd.DataFrame, dict]:
    s = make_preferences(**kwargs)
    return s.tables[TABLE], s.truth


def _stack(seeds, **kwargs) -> pd.DataFrame:
    """Independent replicates: every (seed, annotator) is one data set."""
    parts = []
    for seed in seeds:
        df, _ = _prefs(rng=seed, **kwargs)
        df = df[["pair_id", "annotator_id", "choice", "response_a", "response_b", "len_a", "len_b"]].copy()
        df["replicate"] = f"s{seed}_" + df["annotator_id"]
        df["annotator_id"] = df["replicate"]
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# planted truth and null calibration
# ---------------------------------------------------------------------------------------------


def test_ci_covers_planted_p_longer_in_95_percent_of_replicates():
    # every annotator picks the longer response with prob. 0.6 + 0.4 * 0.5 = 0.8 exactly
    # (accuracy=0.5 makes the non-length judgments coin flips, so the truth does not depend
    # on which pairs were drawn); 4 seeds x 500 annotators = 2,000 independent data sets.
    p_true = 0.8
    df = _stack(range(4), n_pairs=120, n_annotators=500, p_longer=p_true, n_length_biased=500,
                n_position_biased=0, n_random=0, accuracy=0.5)
    g = bias.length_bias(df, length="columns", by="replicate").groups
    assert len(g) == 2000
    covered = (g["ci_low"] <= p_true) & (p_true <= g["ci_high"])
    coverage = covered.mean()
    # Wilson's exact coverage for these n (analytic, no simulation noise) is >= 0.95 ...
    exact = []
    for n in g["n_compared"].to_numpy():
        k = np.arange(n + 1)
        lo, hi = proportion_confint(k, n, method="wilson")
        exact.append(stats.binom.pmf(k, n, p_true)[(lo <= p_true) & (p_true <= hi)].sum())
    assert np.mean(exact) >= 0.95
    # ... and the simulated coverage agrees with it within 3 Monte Carlo standard errors.
    se = math.sqrt(0.95 * 0.05 / len(g))
    assert abs(coverage - np.mean(exact)) < 3 * se, (coverage, np.mean(exact))
    assert coverage >= 0.95 - 3 * se
    # and the estimate is unbiased
    assert abs(g["p_longer_preferred"].mean() - p_true) < 0.005


def test_null_p_value_below_005_in_about_5_percent_of_replicates():
    # coin-flipping annotators: no length preference at all; 2,000 independent data sets
    df = _stack(range(4), n_pairs=120, n_annotators=500, n_length_biased=0,
                n_position_biased=0, n_random=500)
    g = bias.length_bias(df, length="columns", by="replicate").groups
    rate = (g["p_value"] < 0.05).mean()
    # the exact binomial test is slightly conservative (about 4% at n ~ 115)
    assert 0.02 <= rate <= 0.08, rate
    # the paired t-test on chosen - rejected length is calibrated too
    t_rate = (g["t_p_value"] < 0.05).mean()
    assert 0.02 <= t_rate <= 0.08, t_rate


def test_finds_the_length_biased_annotators_of_the_sample():
    df, truth = _prefs(rng=0)
    # 99.9% intervals: five annotators, each must hold its truth
    res = bias.length_bias(df, length="columns", by="annotator_id", confidence=0.999)
    g = res.groups.set_index("annotator_id")
    for ann, role in truth["roles"].items():
        row = g.loc[ann]
        if role == "length_biased":
            assert row["p_value"] < 0.001
            assert row["ci_low"] <= truth["p_longer"] <= row["ci_high"]
        else:
            assert row["ci_low"] <= 0.5 <= row["ci_high"], (ann, role, row["p_longer_preferred"])
    assert res.significant and res.p_longer_preferred > 0.5
    # only 2 of 5 annotators are biased: the slope is positive, but with 5 clusters its
    # cluster-robust test is weak, so only its sign is checked here
    assert res.logit_slope > 0
    assert res.logit_cov_type == "cluster" and res.logit_n_clusters == 5


def test_committed_sample_file_has_the_planted_annotators(data_samples):
    from workbench.io import load_table

    path = data_samples / "preferences_5x200.csv"
    if not path.exists():
        pytest.skip("data_samples/preferences_5x200.csv not generated")
    df = load_table(path, kind="preferences")
    import json

    truth = json.loads((data_samples / "truth" / "preferences_5x200.json").read_text())
    g = bias.length_bias(df, by="annotator_id").groups.set_index("annotator_id")
    flagged = set(g.index[(g["p_value"] < 0.05) & (g["p_longer_preferred"] > 0.5)])
    assert flagged == set(truth["length_biased"])
    pos = bias.position_bias(df, by="annotator_id").groups.set_index("annotator_id")
    flagged_pos = set(pos.index[(pos["p_value"] < 0.05) & (pos["p_first_preferred"] > 0.5)])
    assert flagged_pos == set(truth["position_biased"])


def test_rebalance_removes_planted_bias():
    df, _ = _prefs(n_pairs=300, n_annotators=4, p_longer=0.8, n_length_biased=4,
                   n_position_biased=0, n_random=0, rng=3)
    before = bias.length_bias(df)
    assert before.p_value < 1e-20 and before.t_p_value < 1e-10
    out = bias.rebalance_by_length(df, rng=0)
    after = bias.length_bias(out)
    assert after.p_value > 0.05
    assert after.t_p_value > 0.05 and after.wilcoxon_p_value > 0.05
    assert after.logit_slope_p_value > 0.05
    assert abs(after.p_longer_preferred - 0.5) < 0.01
    # a finer binning in the re-test finds no residual imbalance either
    finer = bias.length_bias(out, delta_bins=10)
    assert (finer.by_delta["ci_low"] <= 0.5).all() and (finer.by_delta["ci_high"] >= 0.5).all()
    # rows are a subset with the original index; ties and equal lengths all kept
    assert out.index.isin(df.index).all() and len(out) < len(df)
    assert (out["choice"] == "tie").sum() == (df["choice"] == "tie").sum()
    # per-annotator balancing leaves no annotator biased
    per = bias.rebalance_by_length(df, by="annotator_id", rng=1)
    g = bias.length_bias(per, by="annotator_id").groups
    assert (g["p_value"] > 0.05).all()


def test_rebalance_is_reproducible_and_keeps_unbiased_data_mostly():
    df, _ = _prefs(n_pairs=100, n_annotators=3, n_length_biased=0, n_position_biased=0,
                   n_random=3, rng=5)
    a = bias.rebalance_by_length(df, rng=7)
    b = bias.rebalance_by_length(df, rng=np.random.default_rng(7))
    pd.testing.assert_frame_equal(a, b)
    assert len(a) > 0.75 * len(df)


# ---------------------------------------------------------------------------------------------
# cross-checks against scipy, statsmodels, sklearn
# ---------------------------------------------------------------------------------------------


def _independent_lengths(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    la = np.array([len(t.split()) for t in df["response_a"]], dtype=float)
    lb = np.array([len(t.split()) for t in df["response_b"]], dtype=float)
    return la, lb


def test_statistics_match_scipy_and_statsmodels():
    df, _ = _prefs(n_pairs=80, rng=11)
    res = bias.length_bias(df, confidence=0.9)
    la, lb = _independent_lengths(df)
    ch = df["choice"].to_numpy()
    nt = ch != "tie"
    longer = np.where(la > lb, "a", np.where(lb > la, "b", ""))
    comp = nt & (longer != "")
    k = int((ch[comp] == longer[comp]).sum())
    n = int(comp.sum())
    assert (res.n_compared, res.n_longer_preferred) == (n, k)
    assert res.p_value == pytest.approx(stats.binomtest(k, n, 0.5).pvalue, rel=1e-10)
    lo, hi = proportion_confint(k, n, alpha=0.1, method="wilson")
    assert (res.ci_low, res.ci_high) == pytest.approx((lo, hi))
    chosen = np.where(ch == "a", la, lb)[nt]
    rejected = np.where(ch == "a", lb, la)[nt]
    t = stats.ttest_rel(chosen, rejected)
    assert (res.t_statistic, res.t_p_value) == pytest.approx((t.statistic, t.pvalue))
    w = stats.wilcoxon(chosen, rejected)
    assert (res.wilcoxon_statistic, res.wilcoxon_p_value) == pytest.approx((w.statistic, w.pvalue))
    # logistic model: statsmodels formula API with the same clustering
    import statsmodels.formula.api as smf

    d = pd.DataFrame({"y": (ch[nt] == "a").astype(float), "delta": (la - lb)[nt],
                      "ann": df["annotator_id"].to_numpy()[nt]})
    fit = smf.logit("y ~ delta", d).fit(disp=0, cov_type="cluster",
                                         cov_kwds={"groups": pd.factorize(d["ann"])[0]})
    assert res.logit_slope == pytest.approx(fit.params["delta"], rel=1e-6)
    assert res.logit_slope_se == pytest.approx(fit.bse["delta"], rel=1e-6)
    assert res.logit_intercept == pytest.approx(fit.params["Intercept"], rel=1e-6)
    # ... and the point estimates against sklearn's unpenalized logistic regression
    from sklearn.linear_model import LogisticRegression

    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(d[["delta"]], d["y"])
    assert res.logit_slope == pytest.approx(sk.coef_[0, 0], rel=1e-4)


def test_group_statistics_match_per_group_scipy():
    df, _ = _prefs(n_pairs=60, rng=2)
    res = bias.length_bias(df, by=["annotator_id", "category"])
    g = res.groups
    assert len(g) == df.groupby(["annotator_id", "category"]).ngroups
    for _, row in g.head(6).iterrows():
        sub = df[(df["annotator_id"] == row["annotator_id"]) & (df["category"] == row["category"])]
        one = bias.length_bias(sub)
        assert row["n_compared"] == one.n_compared
        assert row["p_value"] == pytest.approx(
            stats.binomtest(one.n_longer_preferred, one.n_compared, 0.5).pvalue, rel=1e-9)
        assert row["ci_low"] == pytest.approx(one.ci_low)
        assert row["t_p_value"] == pytest.approx(one.t_p_value, rel=1e-9, nan_ok=True)


def test_by_delta_bins_sum_to_compared_rows():
    df, _ = _prefs(rng=4)
    res = bias.length_bias(df, delta_bins=4)
    bd = res.by_delta
    assert bd["n"].sum() == res.n_compared
    assert len(bd) == 4 and (bd["ci_low"] <= bd["p_longer_preferred"]).all()
    assert (bd["p_longer_preferred"] <= bd["ci_high"]).all()
    edges = bias.length_bias(df, delta_bins=[0, 20, 50, 1000]).by_delta
    assert edges["n"].sum() == res.n_compared and len(edges) == 3


def test_swapping_a_and_b_changes_nothing_but_the_position_sign():
    df, _ = _prefs(n_pairs=80, rng=6)
    sw = df.copy()
    sw["response_a"], sw["response_b"] = df["response_b"], df["response_a"]
    sw["choice"] = df["choice"].map({"a": "b", "b": "a", "tie": "tie"})
    r1, r2 = bias.length_bias(df), bias.length_bias(sw)
    assert r1.p_longer_preferred == r2.p_longer_preferred
    assert r1.logit_slope == pytest.approx(r2.logit_slope)
    assert r1.logit_intercept == pytest.approx(-r2.logit_intercept)
    p1, p2 = bias.position_bias(df), bias.position_bias(sw)
    assert p1.p_first_preferred == pytest.approx(1 - p2.p_first_preferred)


def test_length_measures():
    df = pd.DataFrame({
        "pair_id": ["p1", "p2"], "annotator_id": "x", "choice": ["a", "b"],
        "response_a": ["Hello, world!", "ab"], "response_b": ["Hi", "abc def"],
        "len_a": [10, 1], "len_b": [1, 10]})
    assert bias.response_lengths(df, length="words")["delta"].tolist() == [1, -1]
    assert bias.response_lengths(df, length="chars")["len_a"].tolist() == [13, 2]
    assert bias.response_lengths(df, length="tokens")["len_a"].tolist() == [4, 1]
    assert bias.response_lengths(df, length="columns")["delta"].tolist() == [9, -9]
    assert bias.response_lengths(df, length=lambda t: t.split(","))["len_a"].tolist() == [2, 1]
    assert bias.response_lengths(df, length=len)["len_b"].tolist() == [2, 7]
    assert bias.length_bias(df, length="chars").p_longer_preferred == 1.0


def test_min_delta_excludes_close_pairs():
    df, _ = _prefs(rng=8)
    full = bias.length_bias(df)
    cut = bias.length_bias(df, min_delta=30)
    assert cut.n_compared + cut.n_below_min_delta == full.n_compared
    assert cut.n_below_min_delta > 0


# ---------------------------------------------------------------------------------------------
# position bias
# ---------------------------------------------------------------------------------------------


def test_position_bias_finds_planted_annotator_and_nothing_in_random_ones():
    df, truth = _prefs(n_pairs=300, accuracy=0.5, rng=9)
    res = bias.position_bias(df, by="annotator_id", confidence=0.999)
    g = res.groups.set_index("annotator_id")
    for ann, role in truth["roles"].items():
        if role == "position_biased":
            assert g.loc[ann, "p_value"] < 1e-6
            assert g.loc[ann, "ci_low"] <= truth["p_position_a"] <= g.loc[ann, "ci_high"]
        elif role == "random":
            assert g.loc[ann, "ci_low"] <= 0.5 <= g.loc[ann, "ci_high"]
    k = int((df["choice"] == "a").sum())
    n = int((df["choice"] != "tie").sum())
    assert res.p_value == pytest.approx(stats.binomtest(k, n, 0.5).pvalue, rel=1e-10)


def _swapped_judge(n_pairs: int, q: float, seed: int) -> pd.DataFrame:
    """A judge that sees every pair in both orders and picks position a with probability q,
    otherwise the better response x; expected swap consistency 1 - q."""
    rng = np.random.default_rng(seed)
    x = [f"good answer {i}" for i in range(n_pairs)]
    y = [f"worse answer {i}" for i in range(n_pairs)]
    rows = []
    for order, (ra, rb) in enumerate([(x, y), (y, x)]):
        pick_a = rng.random(n_pairs) < q
        better_is_a = order == 0
        choice = np.where(pick_a, "a", "a" if better_is_a else "b")
        rows.append(pd.DataFrame({"pair_id": [f"q{i}" for i in range(n_pairs)],
                                  "annotator_id": f"judge_run{order}", "choice": choice,
                                  "response_a": ra, "response_b": rb}))
    return pd.concat(rows, ignore_index=True)


def test_swap_consistency_matches_planted_rate():
    q = 0.3
    df = _swapped_judge(2000, q, seed=0)
    res = bias.position_bias(df)
    assert res.n_swapped_pairs == 2000
    assert res.swap_ci_low <= 1 - q <= res.swap_ci_high
    assert res.p_first_preferred > 0.5 and res.significant
    clean = bias.position_bias(_swapped_judge(500, 0.0, seed=1))
    assert clean.swap_consistency == 1.0 and not clean.significant


def test_no_swapped_pairs_gives_nan_consistency():
    df, _ = _prefs(n_pairs=30, rng=1)
    res = bias.position_bias(df)
    assert res.n_swapped_pairs == 0 and math.isnan(res.swap_consistency)
    assert "not measured" in res.summary()


# ---------------------------------------------------------------------------------------------
# length-controlled win rate
# ---------------------------------------------------------------------------------------------


def _planted_lc(n: int, b0: float, b1: float, seed: int) -> tuple[pd.DataFrame, float]:
    """Candidate (position a) is longer on average; P(win) = logistic(b0 + b1 tanh(d / sd))."""
    rng = np.random.default_rng(seed)
    la = rng.integers(40, 400, n)
    lb = rng.integers(10, 250, n)
    d = (la - lb).astype(float)
    p = 1 / (1 + np.exp(-(b0 + b1 * np.tanh(d / d.std(ddof=1)))))
    win = rng.random(n) < p
    df = pd.DataFrame({"pair_id": [f"p{i}" for i in range(n)], "annotator_id": "judge",
                       "choice": np.where(win, "a", "b"),
                       "response_a": ["w " * k for k in la], "response_b": ["w " * k for k in lb]})
    return df, 1 / (1 + math.exp(-b0))


def test_length_controlled_win_rate_recovers_planted_equal_length_rate():
    df, truth = _planted_lc(4000, b0=-0.5, b1=1.5, seed=0)
    res = bias.length_controlled_win_rate(df, length="words")
    assert res.ci_low <= truth <= res.ci_high
    assert res.raw_win_rate > res.ci_high  # the raw rate is inflated by length
    assert res.length_coef_p_value < 1e-10 and res.length_coef > 0
    assert float(res) == res.win_rate
    # candidate = b mirrors it
    mirror = bias.length_controlled_win_rate(df, length="words", candidate="b")
    assert mirror.win_rate == pytest.approx(1 - res.win_rate, abs=1e-6)
    assert mirror.raw_win_rate == pytest.approx(1 - res.raw_win_rate)


def test_length_controlled_win_rate_null_length_effect():
    df, truth = _planted_lc(3000, b0=0.4, b1=0.0, seed=1)
    res = bias.length_controlled_win_rate(df, length="words")
    assert res.ci_low <= truth <= res.ci_high
    assert res.win_rate == pytest.approx(res.raw_win_rate, abs=0.02)


def test_length_controlled_glm_matches_sklearn_weighted_fit():
    # AlpacaEval fits fractional outcomes by duplicating each row with labels 1 and 0 and
    # weights p and 1 - p; an unpenalized sklearn fit of that must give our coefficients.
    from sklearn.linear_model import LogisticRegression

    df, _ = _planted_lc(600, b0=0.2, b1=1.0, seed=2)
    df.loc[df.index[:50], "choice"] = "tie"
    df["category"] = np.where(np.arange(len(df)) % 3 == 0, "code", "chat")
    res = bias.length_controlled_win_rate(df, length="words", covariates=["category"])
    la = df["response_a"].str.split().str.len().to_numpy(float)
    lb = df["response_b"].str.split().str.len().to_numpy(float)
    d = la - lb
    X = np.column_stack([np.tanh(d / d.std(ddof=1)), (df["category"] == "code").to_numpy(float)])
    y = df["choice"].map({"a": 1.0, "b": 0.0, "tie": 0.5}).to_numpy()
    Xd = np.vstack([X, X])
    yd = np.r_[np.ones(len(y)), np.zeros(len(y))]
    w = np.r_[y, 1 - y]
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=5000).fit(Xd, yd, sample_weight=w)
    coefs = res.params.set_index("term")["coef"]
    assert coefs["const"] == pytest.approx(sk.intercept_[0], abs=1e-4)
    assert coefs["tanh_delta"] == pytest.approx(sk.coef_[0, 0], abs=1e-4)
    X0 = X.copy()
    X0[:, 0] = 0
    lc = sk.predict_proba(X0)[:, 1].mean()
    assert res.win_rate == pytest.approx(lc, abs=1e-5)


def _lengths_frame(delta: np.ndarray, choice: np.ndarray, pair: np.ndarray | None = None) -> pd.DataFrame:
    """Rows whose word-count difference (a - b) is ``delta``."""
    lb = 60 - np.minimum(delta, 0)
    la = lb + delta
    n = len(delta)
    return pd.DataFrame({
        "pair_id": pair if pair is not None else [f"p{i}" for i in range(n)],
        "annotator_id": [f"r{i}" for i in range(n)], "choice": choice,
        "response_a": ["w " * int(k) for k in la], "response_b": ["w " * int(k) for k in lb]})


def test_length_controlled_win_rate_refuses_separated_data():
    # review repro 1: 40 pairs in which the longer response always wins gave LCWR 5.9e-10,
    # CI nan-nan and a coefficient of 475 with se nan
    rng = np.random.default_rng(0)
    d = rng.choice(np.r_[-30:0, 1:31], 40)
    df = _lengths_frame(d, np.where(d > 0, "a", "b"))
    with pytest.raises(WorkbenchError, match="length difference fully determines the outcome.*"
                       "not identified.*raw win rate"):
        bias.length_controlled_win_rate(df, length="words")
    with pytest.raises(WorkbenchError, match="length difference fully determines"):  # with covariates too
        bias.length_controlled_win_rate(df.assign(category=np.r_[["x"] * 20, ["y"] * 20]),
                                        length="words", covariates=["category"])
    # review repro 2: three separable pairs gave win_rate 0.992, CI 0.969-0.998 on n = 3
    three = _lengths_frame(np.array([20, -20, 8]), np.array(["a", "b", "a"]))
    with pytest.raises(WorkbenchError, match=r"at least \+8 words and every one it lost at most -20"):
        bias.length_controlled_win_rate(three, length="words")
    # shorter always wins; a threshold away from zero is separation as well
    with pytest.raises(WorkbenchError, match="the longer response winning sometimes"):
        bias.length_controlled_win_rate(df.assign(choice=np.where(d > 0, "b", "a")), length="words")
    with pytest.raises(WorkbenchError, match="fully determines"):
        bias.length_controlled_win_rate(df.assign(choice=np.where(d > 5, "a", "b")), length="words")
    with pytest.raises(WorkbenchError, match="candidate wins every one of the 40 judgments"):
        bias.length_controlled_win_rate(df.assign(choice="a"), length="words")
    # a category in which the candidate always wins
    mixed = df.assign(choice=np.where(rng.random(40) < 0.5, "a", "b"), category="x")
    mixed.loc[mixed.index[:6], ["choice", "category"]] = ["a", "y"]
    with pytest.raises(WorkbenchError, match="covariate term\\(s\\) 'category_y' fully determine"):
        bias.length_controlled_win_rate(mixed, length="words", covariates=["category"])
    # one judgment against the pattern: the estimate exists and its interval is finite
    flipped = df.copy()
    flipped.loc[flipped.index[0], "choice"] = "b" if d[0] > 0 else "a"
    res = bias.length_controlled_win_rate(flipped, length="words")
    assert np.isfinite([res.win_rate, res.ci_low, res.ci_high, res.length_coef_se]).all()
    assert res.ci_low < res.win_rate < res.ci_high


def test_separation_check_matches_brute_force_on_small_tables():
    # With one length term, the logit MLE fails to exist iff a threshold t has every win at
    # delta >= t and every loss at delta <= t (or the mirror), every tie at t, not all at t.
    rng = np.random.default_rng(5)
    n_sep = 0
    for _ in range(150):
        n = int(rng.integers(3, 9))
        d = rng.integers(-3, 4, n)
        ch = rng.choice(np.array(["a", "b", "tie"]), n, p=[0.45, 0.45, 0.1])
        y = np.where(ch == "a", 1.0, np.where(ch == "b", 0.0, 0.5))
        ok_all = not (np.all(y == 1) or np.all(y == 0))
        sep = False
        for t in np.arange(-3, 3.5, 0.5):
            for s in (1, -1):
                win, loss, tie = d[y == 1] * s, d[y == 0] * s, d[y == 0.5]
                if (np.all(win >= s * t) and np.all(loss <= s * t) and np.all(tie == t)
                        and not np.all(d == t)):
                    sep = True
        df = _lengths_frame(d, ch)
        if not ok_all or sep:
            n_sep += 1
            with pytest.raises(WorkbenchError, match="not identified"):
                bias.length_controlled_win_rate(df, length="words")
        elif np.any(d != d[0]):
            res = bias.length_controlled_win_rate(df, length="words")
            assert np.isfinite([res.win_rate, res.length_coef, res.length_coef_se]).all()
            assert abs(res.length_coef) < 50
    assert 20 < n_sep < 130  # both kinds were drawn


def test_raw_win_rate_interval_is_clustered_by_pair_like_the_glm():
    # several annotators per pair: the raw standard error is the cluster-robust one
    # (statsmodels, intercept-only OLS, cov_type="cluster"), not the iid std / sqrt(n)
    rng = np.random.default_rng(3)
    n_pairs, per = 150, 4
    p_pair = rng.beta(0.6, 0.6, n_pairs)  # strong pair effect: annotators of a pair agree
    d = np.repeat(rng.integers(-20, 21, n_pairs), per)
    win = rng.random(n_pairs * per) < np.repeat(p_pair, per)
    pairs = np.repeat([f"p{i}" for i in range(n_pairs)], per)
    df = _lengths_frame(d, np.where(win, "a", "b"), pair=pairs)
    res = bias.length_controlled_win_rate(df, length="words")
    y = win.astype(float)
    ols = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(pairs)[0]})
    assert res.raw_standard_error == pytest.approx(float(ols.bse[0]), rel=1e-10)
    assert res.raw_standard_error > 1.3 * y.std(ddof=1) / math.sqrt(len(y))  # iid would be too narrow
    assert res.cov_type == "cluster"
    # one judgment per pair: the iid value, unchanged (AlpacaEval's published standard error)
    single = df.drop_duplicates("pair_id")
    one = bias.length_controlled_win_rate(single, length="words")
    ys = (single["choice"] == "a").to_numpy(float)
    assert one.raw_standard_error == pytest.approx(ys.std(ddof=1) / math.sqrt(len(ys)), rel=1e-12)


def test_raw_win_rate_interval_covers_in_95_percent_of_replicates_with_repeated_pairs():
    rng = np.random.default_rng(11)
    n_pairs, per, reps = 100, 5, 400
    covered = covered_iid = 0
    for _ in range(reps):
        p_pair = rng.beta(0.5, 0.5, n_pairs)  # E = 0.5
        win = rng.random(n_pairs * per) < np.repeat(p_pair, per)
        y = win.astype(float)
        codes = np.repeat(np.arange(n_pairs), per)
        se = bias._clustered_mean_se(y, codes)
        covered += abs(y.mean() - 0.5) <= 1.96 * se
        covered_iid += abs(y.mean() - 0.5) <= 1.96 * y.std(ddof=1) / math.sqrt(len(y))
    assert 0.91 <= covered / reps <= 0.99  # 389 / 400 with this seed
    assert covered_iid / reps < 0.85  # 294 / 400: the iid interval is too narrow here


# ---------------------------------------------------------------------------------------------
# results and plots
# ---------------------------------------------------------------------------------------------


def test_results_are_frozen_with_frames_and_summaries():
    df, _ = _prefs(rng=0)
    res = bias.length_bias(df, by="annotator_id")
    with pytest.raises(AttributeError):
        res.p_value = 0.5  # type: ignore[misc]
    frame = res.to_frame()
    assert list(frame.columns) == ["test", "estimate", "ci_low", "ci_high", "statistic", "p_value", "n"]
    assert len(frame) == 4 and "longer response" in res.summary()
    pos = bias.position_bias(df)
    assert len(pos.to_frame()) == 2 and "position a" in pos.summary()
    lc = bias.length_controlled_win_rate(df)
    assert lc.to_frame()["measure"].tolist() == ["raw win rate", "length-controlled win rate"]
    assert "equal length" in lc.summary()


def test_plot_builders():
    from workbench.plots import bias as bias_plots

    df, _ = _prefs(rng=0)
    res = bias.length_bias(df, by="annotator_id")
    fig = bias_plots.length_win_rate_plot(res)
    assert len(fig.data) >= 1 and len(fig.data[0].x) == len(res.by_delta)
    fig2 = bias_plots.group_bias_plot(res.groups, group="annotator_id")
    assert len(fig2.data[0].y) == 5
    pos = bias.position_bias(df, by="annotator_id")
    fig3 = bias_plots.group_bias_plot(pos.groups, group="annotator_id", estimate="p_first_preferred",
                                      title="P(first shown preferred)")
    assert len(fig3.data[0].x) == 5
    fig4 = bias_plots.length_difference_histogram(df, length="columns")
    assert len(fig4.data) == 2
    fig5 = bias_plots.before_after_plot(res, bias.length_bias(bias.rebalance_by_length(df, rng=0)))
    assert list(fig5.data[0].y) == ["before", "after"]


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------


def test_errors():
    df, _ = _prefs(n_pairs=20, rng=0)
    with pytest.raises(WorkbenchError, match="missing column.*'choice'"):
        bias.length_bias(df.drop(columns="choice"))
    with pytest.raises(WorkbenchError, match="length='lines' is not valid"):
        bias.length_bias(df, length="lines")
    with pytest.raises(WorkbenchError, match="confidence=1.5 is not valid"):
        bias.length_bias(df, confidence=1.5)
    with pytest.raises(WorkbenchError, match="min_delta=-1 is not valid"):
        bias.length_bias(df, min_delta=-1)
    with pytest.raises(WorkbenchError, match="missing column.*'vendor'.*by="):
        bias.length_bias(df, by="vendor")
    with pytest.raises(WorkbenchError, match="delta_bins=0 is not valid"):
        bias.length_bias(df, delta_bins=0)
    with pytest.raises(WorkbenchError, match="increasing bin edges"):
        bias.length_bias(df, delta_bins=[5, 1])
    ties = df.assign(choice="tie")
    with pytest.raises(WorkbenchError, match="no judgment to test"):
        bias.length_bias(ties)
    with pytest.raises(WorkbenchError, match="all .* judgments are ties"):
        bias.position_bias(ties)
    with pytest.raises(WorkbenchError, match="column 'choice' must be 'a', 'b' or 'tie'"):
        bias.position_bias(df.assign(choice="left"))
    with pytest.raises(WorkbenchError, match="column 'response_a': 1 missing value"):
        bias.length_bias(df.assign(response_a=[None] + df["response_a"].tolist()[1:]))
    with pytest.raises(WorkbenchError, match="missing column.*'len_a'"):
        bias.length_bias(df.drop(columns=["len_a"]), length="columns")
    with pytest.raises(WorkbenchError, match="candidate='c' is not valid"):
        bias.length_controlled_win_rate(df, candidate="c")  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="must hold probabilities in \\[0, 1\\]"):
        bias.length_controlled_win_rate(df.assign(p=2.0), win_probability="p")
    with pytest.raises(WorkbenchError, match="missing column.*'region'.*covariates="):
        bias.length_controlled_win_rate(df, covariates=["region"])
    with pytest.raises(WorkbenchError, match="returned no number"):
        bias.length_bias(df, length=lambda t: None if t.startswith(df["response_a"].iloc[0][:5]) else 3)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        bias.length_bias([1, 2])  # type: ignore[arg-type]


def test_validate_preferences_names_renamed_columns_and_options():
    from workbench._validation import validate_preferences

    df, _ = _prefs(n_pairs=10, rng=0)
    ren = df.rename(columns={"pair_id": "task", "choice": "winner"})
    assert validate_preferences(ren, pair="task", choice="winner") is ren
    with pytest.raises(WorkbenchError, match=r"table 'preferences' \(vendor_x\) is missing column\(s\) 'choice'.*"
                       "'winner'.*or pass the column's name with choice="):
        validate_preferences(ren, pair="task", source="vendor_x")
    with pytest.raises(WorkbenchError, match=r"'region', 'p'.*pass the column's name with covariates=, "
                       r"win_probability="):
        validate_preferences(df, extra={"by": ["category"], "covariates": ["region"],
                                        "win_probability": "p", "unused": None})
    with pytest.raises(WorkbenchError, match="column 'winner' must be 'a', 'b' or 'tie'"):
        validate_preferences(ren.assign(winner="A"), pair="task", choice="winner")
    # every public function of the module goes through it
    for call in (bias.length_bias, bias.position_bias, bias.rebalance_by_length):
        with pytest.raises(WorkbenchError, match=r"missing column\(s\) 'vendor'.*by="):
            call(df, by="vendor")
    with pytest.raises(WorkbenchError, match=r"rows share the same \(task, annotator_id\)"):
        bias.length_controlled_win_rate(pd.concat([ren, ren.head(1)]), pair="task", choice="winner")


def test_win_probability_defaults_to_the_data_model_p_b_preferred() -> None:
    # the data model's win_probability column is P(response b preferred); a direct call
    # with it must give the same win rate of position a as the hard choices it encodes
    prefs = pd.DataFrame({
        "pair_id": [f"p{i}" for i in range(8)], "annotator_id": "judge",
        "choice": ["a", "a", "b", "a", "tie", "b", "a", "b"],
        "response_a": ["long answer " * 5, "ok", "long answer " * 4, "x y", "same", "z", "one two", "q"],
        "response_b": ["short", "long answer " * 3, "tiny", "x", "also", "z w v", "three", "r s t u"]})
    prefs["win_probability"] = prefs["choice"].map({"a": 0.0, "b": 1.0, "tie": 0.5})
    hard = bias.length_controlled_win_rate(prefs, length="words")
    soft = bias.length_controlled_win_rate(prefs, length="words", win_probability="win_probability")
    assert soft.raw_win_rate == pytest.approx(hard.raw_win_rate) == pytest.approx(4.5 / 8)
    as_a = bias.length_controlled_win_rate(prefs.assign(p_a=1 - prefs["win_probability"]), length="words",
                                           win_probability="p_a", probability_of="a")
    assert as_a.raw_win_rate == pytest.approx(hard.raw_win_rate)


def test_system_win_rates_refuses_probabilities_outside_0_1() -> None:
    prefs = pd.DataFrame({"choice": ["b", "a", "tie"], "model_a": "base", "model_b": "new",
                          "win_probability": [0.9, 1.7, -0.2]})
    with pytest.raises(WorkbenchError, match=r"column 'win_probability' must hold probabilities in \[0, 1\] "
                       r"but holds 1\.7 at rows? .*1.*2.*Rescale"):
        bias.system_win_rates(prefs, win_probability="win_probability")
    ok = bias.system_win_rates(prefs.assign(win_probability=[0.9, 0.1, 0.5]), win_probability="win_probability")
    assert ok["win_rate"].between(0, 1).all()


# ---------------------------------------------------------------------------------------------
# real data (../shared/external), skipped where absent
# ---------------------------------------------------------------------------------------------


@pytest.mark.external
def test_alpacaeval_judge_prefers_longer_outputs(external):
    prefs = _external_loaders().load_alpaca_eval(external)
    assert len(prefs) == 805
    # published leaderboard row for alpaca-farm-ppo-human under weighted_alpaca_eval_gpt4_turbo
    # (tatsu-lab/alpaca_eval src/alpaca_eval/leaderboards/data_AlpacaEval_2/
    #  weighted_alpaca_eval_gpt4_turbo_leaderboard.csv): win_rate 4.100426814981367,
    # standard_error 0.6304721406855217, n_wins 32, n_wins_base 770, n_draws 3,
    # discrete_win_rate 4.161490683229814, length_controlled_winrate 6.418603294911531.
    counts = prefs["choice"].value_counts()
    assert (counts["a"], counts["b"], counts["tie"]) == (32, 770, 3)
    lc = bias.length_controlled_win_rate(prefs, win_probability="p_a", probability_of="a")
    assert lc.raw_win_rate * 100 == pytest.approx(4.100426814981367, abs=1e-9)
    assert lc.raw_standard_error * 100 == pytest.approx(0.6304721406855217, abs=1e-9)
    discrete = bias.length_controlled_win_rate(prefs)
    assert discrete.raw_win_rate * 100 == pytest.approx(4.161490683229814, abs=1e-9)
    # the candidate's outputs are much shorter than the baseline's; controlling for length
    # raises its win rate, as the published LC win rate (6.42 > 4.10) does
    assert lc.length_coef > 0 and lc.length_coef_p_value < 1e-6
    assert lc.win_rate > lc.raw_win_rate
    # the judge prefers the longer output, significantly, in every length measure
    for length in ("words", "chars", "tokens"):
        res = bias.length_bias(prefs, length=length)
        assert res.p_longer_preferred > 0.8 and res.p_value < 1e-50
        assert res.mean_length_diff > 0 and res.t_p_value < 1e-50


@pytest.mark.external
def test_hh_rlhf_harmless_length_numbers(external):
    load_hh_rlhf = _external_loaders().load_hh_rlhf
    prefs = load_hh_rlhf(external, rng=0)
    assert len(prefs) == 2312
    res = bias.length_bias(prefs)
    # independent count on the raw chosen/rejected dialogues' final assistant turns
    raw = pd.read_json(external / "hh-rlhf" / "harmless-base-test.jsonl.gz", lines=True)
    from workbench.io import last_assistant_turn

    lc = np.array([len(last_assistant_turn(t)[1].split()) for t in raw["chosen"]])
    lr = np.array([len(last_assistant_turn(t)[1].split()) for t in raw["rejected"]])
    nz = lc != lr
    assert res.n_compared == nz.sum()
    assert res.p_longer_preferred == pytest.approx((lc > lr)[nz].mean())
    assert res.mean_length_diff == pytest.approx((lc - lr).mean())
    # in the harmless split the chosen (less harmful) reply is the shorter one more often
    assert res.p_longer_preferred < 0.5 and res.p_value < 1e-6
    # the a/b randomisation of the conversion changes nothing in the length statistics ...
    other = bias.length_bias(load_hh_rlhf(external, rng=1))
    assert other.p_longer_preferred == res.p_longer_preferred
    assert other.mean_length_diff == pytest.approx(res.mean_length_diff)
    assert other.t_p_value == pytest.approx(res.t_p_value)
    # ... and it creates no position effect
    assert bias.position_bias(prefs).ci_low <= 0.5 <= bias.position_bias(prefs).ci_high


def test_duplicate_index_and_renamed_columns():
    df, _ = _prefs(n_pairs=40, rng=12)
    df = df.rename(columns={"choice": "winner", "annotator_id": "rater"})
    df.index = [0] * len(df)
    df["category"] = df["category"].astype(str)
    res = bias.length_controlled_win_rate(df, choice="winner", annotator="rater", covariates=["category"])
    assert 0 < res.win_rate < 1
    lb = bias.length_bias(df, choice="winner", annotator="rater", by="rater")
    assert len(lb.groups) == 5 and lb.logit_n_clusters == 5
    out = bias.rebalance_by_length(df.reset_index(drop=True), choice="winner", annotator="rater", rng=0)
    assert not bias.length_bias(out, choice="winner", annotator="rater").significant


def test_cli_bias_command(tmp_path, data_samples):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.io import save_table

    df, _ = _prefs(n_pairs=60, rng=0)
    path = save_table(df, tmp_path / "prefs.csv")
    out = tmp_path / "balanced.csv"
    result = CliRunner().invoke(app, ["bias", str(path), "--by", "annotator_id", "--rebalanced-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "longer response" in result.output and "position a" in result.output
    assert "ann_1" in result.output and out.exists() and "rebalanced" in result.output
    bad = CliRunner().invoke(app, ["bias", str(path), "--length", "lines"])
    assert bad.exit_code != 0 and isinstance(bad.exception, WorkbenchError)
