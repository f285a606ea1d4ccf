"""Agreement coefficients: published reference values, cross-checks with the anchors, errors."""

from __future__ import annotations

import functools

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

from workbench.agreement import (
    annotator_agreement,
    annotator_confusion,
    bootstrap_ci,
    cohens_kappa,
    fleiss_kappa,
    interpret,
    item_disagreement,
    krippendorff_alpha,
    pairwise_kappa,
)
from workbench.errors import WorkbenchError

NAN = np.nan

# the anchors warn on undefined coefficients (one category); we compare the nan they return
pytestmark = pytest.mark.filterwarnings(
    "ignore:invalid value encountered in scalar divide:RuntimeWarning",
    "ignore:.*cohen_kappa_score. is undefined",
)

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability, section C
# ("Nominal data, any number of observers, missing data"), reliability data matrix of
# 4 observers x 12 units; published: nominal .743 (p. 5), ordinal .815 (p. 6),
# interval .849 (p. 7), ratio .797 (p. 8). https://repository.upenn.edu/asc_papers/43
K2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)
K2011_PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Fleiss, J. L. (1971), Psychological Bulletin 76(5), 378-382, Table 1: 30 patients,
# 6 psychiatrists, 5 diagnoses; published kappa = .430 (p. 381). R irr::kappam.fleiss
# gives 0.4302445 (quoted in statsmodels' test_inter_rater.py).
FLEISS_DIAGNOSES = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
)

# R irr package, data(anxiety): 20 subjects rated by 3 raters on 1..6. Values of
# irr::kappa2(anxiety[, 2:3], weight) as quoted in statsmodels' test_inter_rater.py.
ANXIETY = np.array(
    [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3,
     3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4,
     2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]
).reshape(20, 3, order="F")


def long_from_matrix(mat: np.ndarray) -> pd.DataFrame:
    """Raters x units matrix (NaN = missing) -> long annotations table."""
    a, u = np.nonzero(~np.isnan(mat))
    return pd.DataFrame(
        {"item_id": u.astype(str), "annotator_id": a.astype(str), "label": mat[a, u].astype(int)}
    )


def long_from_units(mat: np.ndarray) -> pd.DataFrame:
    """Units x raters matrix (complete) -> long annotations table."""
    u, a = np.indices(mat.shape)
    return pd.DataFrame(
        {"item_id": u.ravel().astype(str), "annotator_id": a.ravel().astype(str), "label": mat.ravel()}
    )


# ---------------------------------------------------------------- published values


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_2011_published_values(level):
    value = krippendorff_alpha(long_from_matrix(K2011), level=level)
    assert round(value, 3) == K2011_PUBLISHED[level]
    assert value == pytest.approx(krippendorff.alpha(K2011, level_of_measurement=level), abs=1e-12)


def test_krippendorff_ordinal_with_value_order_on_text_labels():
    df = long_from_matrix(K2011)
    names = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
    df["label"] = df["label"].map(names)
    order = ["one", "two", "three", "four", "five"]
    assert round(krippendorff_alpha(df, level="ordinal", value_order=order), 3) == 0.815
    # positions 1..5 stand in for the values at the interval level
    assert round(krippendorff_alpha(df, level="interval", value_order=order), 3) == 0.849
    # an unused category in value_order changes nothing for nominal/ordinal/interval
    assert krippendorff_alpha(df, level="ordinal", value_order=[*order, "six"]) == pytest.approx(
        0.8153875, abs=1e-6
    )


def test_fleiss_1971_published_value():
    kappa = fleiss_kappa(long_from_units(FLEISS_DIAGNOSES))
    assert round(kappa, 3) == 0.430
    assert kappa == pytest.approx(0.4302445, abs=1e-7)


def test_cohen_sas_example_unweighted_and_weighted():
    # SAS PROC FREQ example quoted in statsmodels test_inter_rater.py (table10):
    # simple kappa 0.4842, weighted kappa (Cicchetti-Allison = linear) 0.4701.
    table = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    r, c = np.indices(table.shape)
    a = np.repeat(r.ravel(), table.ravel())
    b = np.repeat(c.ravel(), table.ravel())
    assert cohens_kappa(a, b, labels=[0, 1, 2]) == pytest.approx(0.4842, abs=5e-5)
    assert cohens_kappa(a, b, labels=[0, 1, 2], weights="linear") == pytest.approx(0.4701, abs=5e-5)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [(None, -0.006289308), ("linear", 0.1459075), ("quadratic", 0.2520325)],
)
def test_cohen_r_irr_anxiety(weights, expected):
    # irr::kappa2(anxiety[, 2:3], c("unweighted", "equal", "squared"))
    assert cohens_kappa(ANXIETY[:, 1], ANXIETY[:, 2], weights=weights) == pytest.approx(expected, abs=1e-7)


def test_cohen_1960_example():
    # Cohen (1960), worked example: p_o = .70, marginals .60/.30/.10 and .50/.30/.20,
    # p_c = .41, kappa = .492. Kappa depends only on the diagonal and the margins; the
    # off-diagonal cells here (x 200) are one table with exactly those.
    table = np.array([[88, 14, 18], [10, 40, 10], [2, 6, 12]])
    r, c = np.indices(table.shape)
    a = np.repeat(r.ravel(), table.ravel())
    b = np.repeat(c.ravel(), table.ravel())
    assert round(cohens_kappa(a, b), 3) == 0.492


# ---------------------------------------------------------------- cross-checks (hypothesis)

_FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def reliability_matrix(draw, min_raters=2, max_raters=5, max_units=25, n_values=5, missing=True):
    raters = draw(st.integers(min_raters, max_raters))
    units = draw(st.integers(3, max_units))
    vals = draw(
        st.lists(st.integers(1, n_values), min_size=raters * units, max_size=raters * units)
    )
    mat = np.array(vals, dtype=float).reshape(raters, units)
    if missing:
        mask = draw(st.lists(st.booleans(), min_size=raters * units, max_size=raters * units))
        mat[np.array(mask).reshape(raters, units) & (np.arange(raters)[:, None] >= 2)] = np.nan
    return mat


@_FAST
@given(reliability_matrix(), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_equals_krippendorff_package(mat, level):
    if len(np.unique(mat[~np.isnan(mat)])) < 2:
        assert np.isnan(krippendorff_alpha(long_from_matrix(mat), level=level))
        return  # the package refuses a one-value domain; alpha is undefined
    ref = krippendorff.alpha(mat, level_of_measurement=level)
    ours = krippendorff_alpha(long_from_matrix(mat), level=level)
    if np.isnan(ref):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(ref, abs=1e-9)
        assert ours <= 1.0 + 1e-12


@_FAST
@given(reliability_matrix(missing=False, min_raters=2, max_raters=6))
def test_fleiss_equals_statsmodels(mat):
    units = mat.T.astype(int)
    table, _ = inter_rater.aggregate_raters(units)
    ref = inter_rater.fleiss_kappa(table)
    ours = fleiss_kappa(long_from_units(units))
    if not np.isfinite(ref):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(ref, abs=1e-9)


@_FAST
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=60),
    st.sampled_from([None, "linear", "quadratic"]),
)
def test_cohen_equals_sklearn(pairs, weights):
    a, b = map(np.array, zip(*pairs, strict=True))
    labels = list(range(5))
    with np.errstate(all="ignore"):
        ref = cohen_kappa_score(a, b, weights=weights, labels=labels)
    ours = cohens_kappa(a, b, weights=weights, labels=labels)
    if np.isnan(ref):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(ref, abs=1e-9)


@_FAST
@given(reliability_matrix(), st.randoms(use_true_random=False))
def test_alpha_invariant_to_relabeling_and_annotator_order(mat, rnd):
    df = long_from_matrix(mat)
    base = krippendorff_alpha(df)
    perm = list(range(1, 6))
    rnd.shuffle(perm)
    relabeled = df.assign(label=df["label"].map(dict(zip(range(1, 6), perm, strict=True))).astype(str))
    names = sorted(df["annotator_id"].unique())
    shuffled = names[:]
    rnd.shuffle(shuffled)
    renamed = df.assign(annotator_id=df["annotator_id"].map(dict(zip(names, shuffled, strict=True))))
    rows = df.sample(frac=1.0, random_state=rnd.randint(0, 1000))
    for other in (krippendorff_alpha(relabeled), krippendorff_alpha(renamed), krippendorff_alpha(rows)):
        assert other == pytest.approx(base, abs=1e-12, nan_ok=True)


def test_perfect_agreement_is_one():
    df = long_from_units(np.repeat(np.array([[1], [2], [3], [1], [2]]), 4, axis=1))
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(df, level=level) == pytest.approx(1.0)
    assert fleiss_kappa(df) == pytest.approx(1.0)
    assert cohens_kappa([1, 2, 3], [1, 2, 3]) == 1.0


def test_single_category_is_undefined_not_one():
    df = long_from_units(np.ones((4, 3), dtype=int))
    assert np.isnan(krippendorff_alpha(df))
    assert np.isnan(fleiss_kappa(df))


# ---------------------------------------------------------------- pairwise / per annotator


def test_pairwise_kappa_equals_cohen_on_overlap():
    rng = np.random.default_rng(3)
    mat = rng.integers(1, 4, size=(4, 60)).astype(float)
    mat[rng.random(mat.shape) < 0.3] = np.nan
    df = long_from_matrix(mat)
    pk = pairwise_kappa(df, weights="quadratic")
    both = ~np.isnan(mat[0]) & ~np.isnan(mat[2])
    ref = cohen_kappa_score(mat[0, both], mat[2, both], weights="quadratic")
    assert pk.loc["0", "2"] == pytest.approx(ref)
    assert pk.loc["2", "0"] == pytest.approx(ref)
    assert (np.diag(pk) == 1.0).all()
    assert pk.attrs["overlap"].loc["0", "2"] == both.sum()


def _planted(n_items=300, rng=0):
    """5 annotators: 4 are 90% accurate, annotator 'r' answers at random; gold for all."""
    gen = np.random.default_rng(rng)
    truth = gen.choice(["pos", "neg"], n_items)
    rows = []
    for ann, acc in [("a", 0.9), ("b", 0.9), ("c", 0.9), ("d", 0.9), ("r", 0.5)]:
        correct = gen.random(n_items) < acc
        lab = np.where(correct, truth, np.where(truth == "pos", "neg", "pos"))
        rows.append(pd.DataFrame({"item_id": np.arange(n_items).astype(str), "annotator_id": ann, "label": lab}))
    gold = pd.DataFrame({"item_id": np.arange(n_items).astype(str), "label": truth})
    return pd.concat(rows, ignore_index=True), gold


def test_annotator_agreement_finds_the_random_annotator():
    df, gold = _planted()
    for ref in (None, gold):
        out = annotator_agreement(df, reference=ref)
        assert out["kappa"].idxmin() == "r"
        assert abs(out.loc["r", "kappa"]) < 0.15
        assert (out.drop(index="r")["agreement"] > 0.8).all()
    acc = annotator_agreement(df, reference=gold)
    assert acc["reference"].eq("gold").all()
    assert acc.loc["a", "n_compared"] == 300
    # agreement equals a direct computation against gold
    a = df[df.annotator_id == "a"].merge(gold, on="item_id", suffixes=("", "_g"))
    assert acc.loc["a", "agreement"] == pytest.approx((a.label == a.label_g).mean())
    assert acc.loc["a", "kappa"] == pytest.approx(cohen_kappa_score(a.label_g, a.label))


def test_leave_one_out_consensus_null_data():
    # nobody is special on null data: all annotators equally (near-)random
    gen = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "item_id": np.repeat(np.arange(400), 3).astype(str),
            "annotator_id": np.tile(["x", "y", "z"], 400),
            "label": gen.choice(["p", "q"], 1200),
        }
    )
    out = annotator_agreement(df)
    assert (out["kappa"].abs() < 0.15).all()
    assert krippendorff_alpha(df) == pytest.approx(0.0, abs=0.07)


def test_annotator_confusion_counts_and_rates():
    df, gold = _planted(n_items=100)
    conf = annotator_confusion(df, reference=gold)
    a = conf[conf.annotator_id == "a"]
    assert a["count"].sum() == 100
    sums = a.groupby("reference")["rate"].sum()
    assert np.allclose(sums, 1.0)
    # n_reference is the row total, also where the count is 0 (count / rate would be 0/0)
    totals = a.groupby("reference")["count"].transform("sum")
    assert (a["n_reference"] == totals).all()
    assert np.allclose(a["count"], a["rate"] * a["n_reference"])
    small = pd.DataFrame({"item_id": [1, 1, 2, 3], "annotator_id": ["u", "v", "v", "v"],
                          "label": ["x", "x", "y", "x"]})
    c = annotator_confusion(small, reference=pd.DataFrame({"item_id": [1, 2, 3], "label": ["x", "y", "y"]}))
    c = c.set_index(["annotator_id", "reference", "label"])
    assert c.loc[("v", "y", "y"), ["count", "n_reference"]].tolist() == [1, 2]
    assert c.loc[("v", "x", "y"), ["count", "n_reference"]].tolist() == [0, 1]  # count / rate = 0 / 0
    assert c.loc[("u", "y", "x"), "n_reference"] == 0 and np.isnan(c.loc[("u", "y", "x"), "rate"])


def test_item_disagreement():
    df, _ = _planted(n_items=50)
    out = item_disagreement(df)
    assert len(out) == 50
    assert out["disagreement"].between(0, 1).all()
    assert (out["unanimous"] == (out["disagreement"] == 0)).all()


def test_interpretation_bands():
    assert interpret(-0.1) == "poor"
    assert interpret(0.2) == "slight"
    assert interpret(0.41) == "moderate"
    assert interpret(0.81) == "almost perfect"
    assert interpret(0.8, scale="krippendorff") == "reliable"
    assert interpret(0.667, scale="krippendorff") == "tentative"
    assert interpret(0.5, scale="krippendorff") == "unreliable"
    assert interpret(float("nan")) == "undefined"


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_fast_path_matches_generic_resampling():
    df, _ = _planted(n_items=200, rng=2)
    for stat in (krippendorff_alpha, fleiss_kappa, functools.partial(krippendorff_alpha, level="interval", value_order=["neg", "pos"])):
        fast = bootstrap_ci(stat, df, n_resamples=400, rng=0)
        slow = bootstrap_ci(lambda d, s=stat: s(d), df, n_resamples=150, rng=1)
        assert fast.estimate == pytest.approx(slow.estimate)
        assert fast.low == pytest.approx(slow.low, abs=0.03)
        assert fast.high == pytest.approx(slow.high, abs=0.03)
        assert fast.low < fast.estimate < fast.high


def test_bootstrap_ci_covers_the_truth_and_reports():
    # alpha of the planted population is about (0.8^2 ...); check the CI brackets a large-sample value
    big, _ = _planted(n_items=20000, rng=5)
    truth = krippendorff_alpha(big)
    small, _ = _planted(n_items=300, rng=6)
    ci = bootstrap_ci(krippendorff_alpha, small, n_resamples=1000, rng=0)
    assert ci.low < truth < ci.high
    assert ci.n_valid == 1000
    assert "95% CI" in ci.summary()
    assert list(ci.to_frame().columns) == ["statistic", "estimate", "ci_low", "ci_high", "confidence", "n_resamples"]


def test_bootstrap_with_other_column_names_and_by_annotator():
    df, _ = _planted(n_items=60)
    prefs = df.rename(columns={"item_id": "pair_id", "label": "choice"})
    ci = bootstrap_ci(krippendorff_alpha, prefs, by="pair_id", item="pair_id", label="choice", n_resamples=100, rng=0)
    assert ci.estimate == pytest.approx(krippendorff_alpha(df))
    implicit = bootstrap_ci(krippendorff_alpha, prefs, item="pair_id", label="choice", n_resamples=100, rng=0)
    assert (implicit.low, implicit.high) == (ci.low, ci.high)
    by_ann = bootstrap_ci(krippendorff_alpha, df, by="annotator_id", n_resamples=30, rng=0, min_units=5)
    assert by_ann.n_valid > 0


# ---------------------------------------------------------------- validation


def _good() -> pd.DataFrame:
    return pd.DataFrame(
        {"item_id": ["1", "1", "2", "2"], "annotator_id": ["u", "v", "u", "v"], "label": ["x", "y", "y", "y"]}
    )


@pytest.mark.parametrize("func", [krippendorff_alpha, fleiss_kappa, pairwise_kappa, annotator_agreement, item_disagreement, annotator_confusion])
def test_every_function_rejects_bad_tables(func):
    df = _good()
    with pytest.raises(WorkbenchError, match="missing value"):
        func(df.assign(label=["x", None, "y", "y"]))
    with pytest.raises(WorkbenchError, match="at least 2 annotators"):
        func(df.assign(annotator_id="u", item_id=["1", "2", "3", "4"]))
    with pytest.raises(WorkbenchError, match=r"not in value_order"):
        func(df, value_order=["x"])
    with pytest.raises(WorkbenchError, match="rows share the same"):
        func(pd.concat([df, df.iloc[[0]]], ignore_index=True))
    with pytest.raises(WorkbenchError, match="is empty"):
        func(df.iloc[:0])
    with pytest.raises(WorkbenchError, match="missing column"):
        func(df.drop(columns="label"))
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        func(df.to_numpy())


def test_specific_errors():
    df = _good()
    with pytest.raises(WorkbenchError, match="krippendorff_alpha"):
        fleiss_kappa(pd.concat([df, pd.DataFrame({"item_id": ["3"], "annotator_id": ["u"], "label": ["x"]})]))
    with pytest.raises(WorkbenchError, match="needs numeric labels"):
        krippendorff_alpha(df, level="interval")
    with pytest.raises(WorkbenchError, match="level='bogus' is not valid"):
        krippendorff_alpha(df, level="bogus")
    with pytest.raises(WorkbenchError, match="no item is rated by two"):
        krippendorff_alpha(pd.DataFrame({"item_id": ["1", "2"], "annotator_id": ["u", "v"], "label": ["x", "y"]}))
    with pytest.raises(WorkbenchError, match="more than once"):
        krippendorff_alpha(df, value_order=["x", "y", "x"])
    with pytest.raises(WorkbenchError, match="a has 3 labels and b has 2"):
        cohens_kappa([1, 2, 3], [1, 2])
    with pytest.raises(WorkbenchError, match="missing label"):
        cohens_kappa([1, None], [1, 2])
    with pytest.raises(WorkbenchError, match="are empty"):
        cohens_kappa([], [])
    with pytest.raises(WorkbenchError, match="not in labels"):
        cohens_kappa([1, 2], [1, 3], labels=[1, 2])
    with pytest.raises(WorkbenchError, match="weights='cubic' is not valid"):
        cohens_kappa([1, 2], [1, 2], weights="cubic")
    with pytest.raises(WorkbenchError, match="none of its"):
        annotator_agreement(df, reference=pd.DataFrame({"item_id": ["9"], "label": ["x"]}))
    with pytest.raises(WorkbenchError, match=r"table 'gold', column 'label': label\(s\) 'z' at row 0 are not in value_order"):
        annotator_agreement(df, reference=pd.DataFrame({"item_id": ["1"], "label": ["z"]}), value_order=["x", "y"])
    with pytest.raises(WorkbenchError, match="n_resamples=5 is too few"):
        bootstrap_ci(krippendorff_alpha, df, n_resamples=5)
    with pytest.raises(WorkbenchError, match="no column 'batch'"):
        bootstrap_ci(krippendorff_alpha, df, by="batch")
    with pytest.raises(WorkbenchError, match="confidence=1.5"):
        bootstrap_ci(krippendorff_alpha, df, confidence=1.5)
    with pytest.raises(WorkbenchError, match="min_overlap=0"):
        pairwise_kappa(df, min_overlap=0)


def test_reliability_figures_from_real_outputs():
    from workbench.plots import reliability as rplots

    df, gold = _planted(n_items=80)
    pk = pairwise_kappa(df)
    assert rplots.agreement_matrix_figure(pk).data[0].z.shape == (5, 5)
    conf = annotator_confusion(df, reference=gold)
    fig = rplots.annotator_confusion_figure(conf)
    assert len(fig.data) == 5
    assert fig.layout.annotations[0].text.startswith("r ")  # worst annotator first
    agree = annotator_agreement(df, reference=gold)
    assert list(rplots.annotator_figure(agree).data[0].text) == list(agree.index)
    with pytest.raises(WorkbenchError, match="annotator_confusion"):
        rplots.annotator_confusion_figure(conf.drop(columns="rate"))
    with pytest.raises(WorkbenchError, match="scale='kappa' is not valid"):
        interpret(0.5, scale="kappa")


def test_gold_labels_no_annotator_gave_raise_unless_allowed():
    df = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3], "annotator_id": ["u", "v"] * 3,
                       "label": ["Safe", "Safe", "Unsafe", "Unsafe", "Safe", "Unsafe"]})
    gold = pd.DataFrame({"item_id": [1, 2, 3], "label": ["Safe", "Unsafe ", "Unsafe"]})
    with pytest.raises(WorkbenchError, match=r"label\(s\) 'Unsafe ' at row 1 are not among the annotation labels "
                                             r"\['Safe', 'Unsafe'\].*allow_new_gold_labels=True"):
        annotator_agreement(df, reference=gold)
    with pytest.raises(WorkbenchError, match=r"'Unsafe ' at row 1 are not among the annotation labels"):
        annotator_confusion(df, reference=gold)
    # opt-in: the new label is a category of its own, and every judgment of it is an error
    out = annotator_agreement(df, reference=gold, allow_new_gold_labels=True)
    assert "share_Unsafe " in out.columns
    assert out["agreement"].tolist() == pytest.approx([1 / 3, 2 / 3])
    # a gold class nobody chose is the legitimate use of the opt-in
    rare = pd.DataFrame({"item_id": [1, 2], "label": ["Safe", "Borderline"]})
    conf = annotator_confusion(df, reference=rare, allow_new_gold_labels=True)
    assert set(conf["reference"]) == {"Borderline", "Safe", "Unsafe"}
    # without opt-in, consistent gold works as before
    assert annotator_agreement(df, reference=gold.assign(label=gold["label"].str.strip()))["agreement"].tolist() == pytest.approx([2 / 3, 1.0])


def test_gold_ids_that_only_match_as_text_get_a_cast_hint():
    df = pd.DataFrame({"item_id": [1, 1, 2, 2], "annotator_id": ["u", "v"] * 2, "label": ["x", "x", "y", "x"]})
    gold = pd.DataFrame({"item_id": ["1", "2"], "label": ["x", "y"]})
    with pytest.raises(WorkbenchError, match=r"gold 'item_id' is str, annotations 'item_id' is int64; cast one "
                                             r"\(e\.g\. annotations\['item_id'\] = annotations\['item_id'\]\.astype\(str\)\)"):
        annotator_agreement(df, reference=gold)
    str_ann = df.assign(item_id=df["item_id"].astype(str))
    with pytest.raises(WorkbenchError, match=r"gold 'item_id' is int64, annotations 'item_id' is str; cast one "
                                             r"\(e\.g\. gold\['item_id'\] = gold\['item_id'\]\.astype\(str\)\)"):
        annotator_agreement(str_ann, reference=pd.DataFrame({"item_id": [1, 2], "label": ["x", "y"]}))
    # ids that do not match even as text keep the plain message
    with pytest.raises(WorkbenchError, match=r"none of its 1 items.*Check that both tables use the same item ids"):
        annotator_agreement(df, reference=pd.DataFrame({"item_id": [9], "label": ["x"]}))
    assert annotator_agreement(str_ann, reference=gold)["n_compared"].tolist() == [2, 2]


# ---- reliability table: the notebook's interval table in one call (issue 20) --------------------


def test_reliability_table_equals_the_hand_built_intervals() -> None:
    from workbench.agreement import reliability_table

    gen = np.random.default_rng(8)
    truth = gen.integers(0, 3, 80)
    ann = pd.DataFrame(
        [(i, f"a{a}", int(t if gen.random() < 0.8 else gen.integers(0, 3))) for i, t in enumerate(truth) for a in range(3)],
        columns=["item_id", "annotator_id", "label"],
    )
    prefs = pd.DataFrame([(f"p{i}", f"r{r}", str(gen.choice(["a", "b", "tie"]))) for i in range(40) for r in range(3)],
                         columns=["pair_id", "annotator_id", "choice"])
    table = reliability_table(ann, preferences=prefs, level="ordinal", n_resamples=100, rng=3)
    frame = table.to_frame()
    assert frame["label"].tolist() == [
        "annotations: Krippendorff's alpha (ordinal)", "annotations: Fleiss' kappa",
        "preferences: Krippendorff's alpha (nominal)", "preferences: Fleiss' kappa",
    ]
    by_hand = bootstrap_ci(functools.partial(krippendorff_alpha, level="ordinal"), ann, n_resamples=100, rng=3)
    got = table.interval("annotations")
    assert (got.estimate, got.low, got.high) == (by_hand.estimate, by_hand.low, by_hand.high)
    fk = bootstrap_ci(fleiss_kappa, prefs, by="pair_id", n_resamples=100, rng=3, item="pair_id", label="choice")
    got = table.interval("preferences", "fleiss_kappa")
    assert (got.estimate, got.low, got.high) == pytest.approx((fk.estimate, fk.low, fk.high), abs=1e-12)
    assert frame.loc[0, "band"] == interpret(frame.loc[0, "estimate"], scale="krippendorff")
    # items rated unequally often: no Fleiss row
    assert len(reliability_table(ann.iloc[1:], n_resamples=20, rng=0).rows) == 1
    with pytest.raises(WorkbenchError, match="no fleiss_kappa for table 'preferences'"):
        reliability_table(ann, n_resamples=20, rng=0).interval("preferences", "fleiss_kappa")
