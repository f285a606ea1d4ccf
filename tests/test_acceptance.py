"""Batch acceptance: planted systematic errors are found, null batches pass, bad input fails."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.acceptance import check_batch
from workbench.agreement import krippendorff_alpha
from workbench.errors import WorkbenchError
from workbench.samples import make_reviews

ANN, GOLD = "reviews_10x5000", "reviews_10x5000_gold"


@pytest.fixture(scope="module")
def planted():
    return make_reviews(2500, 10, 3, 90, gold_fraction=0.3, rng=3)


@pytest.fixture(scope="module")
def null():
    # no drift, no cohort confusion. (With rng=4 the generator happens to give the day shift
    # the five least accurate annotators, a real cohort difference that check_batch flags.)
    return make_reviews(2500, 10, 3, 90, drift_annotator=None, cohort_confusion=False, gold_fraction=0.3, rng=5)


def _homogeneous(n_items=1500, rng=0):
    """Every annotator 90% accurate, errors symmetric, segments assigned at random."""
    gen = np.random.default_rng(rng)
    truth = gen.choice(["neg", "pos"], n_items)
    category = gen.choice(["books", "toys", "garden"], n_items)
    rows = []
    for i, ann in enumerate(f"w{j}" for j in range(8)):
        rated = np.flatnonzero(gen.random(n_items) < 0.4)
        lab = np.where(gen.random(len(rated)) < 0.9, truth[rated], np.where(truth[rated] == "pos", "neg", "pos"))
        rows.append(pd.DataFrame({"item_id": rated, "annotator_id": ann, "label": lab,
                                  "cohort": "day" if i < 4 else "night", "category": category[rated]}))
    gold = pd.DataFrame({"item_id": np.arange(0, n_items, 2), "label": truth[::2]})
    return pd.concat(rows, ignore_index=True), gold


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_homogeneous_batch_has_no_systematic_error(seed):
    ann, gold = _homogeneous(rng=seed)
    res = check_batch(ann, gold=gold, min_kappa=0.5, min_qa_accuracy=0.9, n_resamples=50, rng=seed)
    assert res.violations.empty


def test_planted_systematic_errors_are_found(planted):
    res = check_batch(planted.tables[ANN], gold=planted.tables[GOLD], min_kappa=0.5, n_resamples=200, rng=0)
    assert not res.accepted
    v = res.violations
    conf = planted.truth["cohort_confusion"]
    hit = v[(v.segment == "cohort × category") & (v.value == f"{conf['cohort']} / {conf['category']}")]
    assert len(hit) >= 1
    assert (hit["rate"] > 0.3).all() and (hit["p_adjusted"] < 0.05).all()
    # every violation is a real error cell above the rest of the batch, with examples
    assert (v.gold_label != v.given_label).all()
    assert (v.rate > v.rest_rate).all()
    assert v.examples.str.len().gt(0).all()
    # the day cohort has no systematic error
    assert not v.value.astype(str).str.startswith("day /").any()
    assert "REJECTED" in res.summary() and "To fix" in res.summary()


def test_null_batch_has_no_violations_and_passes(null):
    res = check_batch(null.tables[ANN], gold=null.tables[GOLD], min_kappa=0.5, min_qa_accuracy=0.9, n_resamples=200, rng=0)
    assert res.violations.empty
    assert res.accepted
    assert res.criteria["passed"].all()
    assert "ACCEPTED" in res.summary()


def test_criteria_values_bars_and_ci(null):
    ann, gold = null.tables[ANN], null.tables[GOLD]
    res = check_batch(ann, gold=gold, min_kappa=0.99, min_qa_accuracy=0.9, qa_fraction=0.05, n_resamples=200, rng=1)
    c = res.criteria.set_index("criterion")
    alpha = krippendorff_alpha(ann)
    assert c.loc["inter-annotator agreement", "value"] == pytest.approx(alpha)
    assert c.loc["inter-annotator agreement", "ci_low"] < alpha < c.loc["inter-annotator agreement", "ci_high"]
    assert not c.loc["inter-annotator agreement", "passed"]  # bar 0.99 not met
    assert not res.accepted
    assert c.loc["QA sample accuracy", "n"] == 125  # 5% of 2,500 items, all from gold
    assert len(res.qa_items) == 125
    assert set(res.qa_items) <= set(gold["item_id"])
    acc = c.loc["QA sample accuracy"]
    assert acc.ci_low <= acc.value <= acc.ci_high
    assert list(res.to_frame().columns) == [
        "criterion", "statistic", "value", "bar", "ci_low", "ci_high", "n", "min_n", "status", "passed"
    ]
    assert c.loc["inter-annotator agreement", "status"] == "not met"  # CI wholly below 0.99
    assert (res.criteria["passed"] == res.criteria["status"].eq("met")).all()


def _small_batch(n_items, gold_fraction, rng=0):
    s = make_reviews(n_items, 6, 3, 30, drift_annotator=None, cohort_confusion=False, gold_fraction=gold_fraction, rng=rng)
    return s.tables[ANN], s.tables[GOLD]


def test_tiny_qa_sample_is_insufficient_evidence_not_a_pass():
    ann, gold = _small_batch(60, 0.1)
    gold = gold.head(3)  # 3 gold items: the old rule passed "1.000 (CI 0.207–1.000)" on these
    res = check_batch(ann, gold=gold, min_kappa=0.3, min_qa_accuracy=0.8, n_resamples=50, rng=0)
    qa = res.criteria.set_index("criterion").loc["QA sample accuracy"]
    assert qa["n"] == 3 and qa["min_n"] == 30
    assert qa["status"] == "insufficient evidence" and not qa["passed"]
    assert not res.accepted
    text = res.summary()
    assert "REJECTED" in text and "insufficient evidence, only 3 gold item(s)" in text
    assert "gold-label at least 27 more item(s)" in text
    # the same batch with the minimum lowered is judged on its interval
    low = check_batch(ann, gold=gold, min_kappa=0.3, min_qa_accuracy=0.8, min_qa_items=3, n_resamples=50, rng=0)
    assert low.criteria.set_index("criterion").loc["QA sample accuracy", "status"] == "inconclusive"
    with pytest.raises(WorkbenchError, match="min_qa_items=0 must be a positive integer"):
        check_batch(ann, gold=gold, min_qa_items=0)


def test_qa_sample_is_enlarged_to_min_qa_items_when_gold_allows(null):
    ann, gold = null.tables[ANN], null.tables[GOLD]
    res = check_batch(ann, gold=gold, min_kappa=0.5, min_qa_accuracy=0.9, qa_fraction=0.004, n_resamples=50, rng=0)
    qa = res.criteria.set_index("criterion").loc["QA sample accuracy"]
    assert qa["n"] == 30  # 0.4% of 2,500 is 10, raised to min_qa_items
    assert qa["status"] in {"met", "inconclusive"}


def test_a_ci_straddling_the_bar_is_inconclusive_not_passed(null):
    ann, gold = null.tables[ANN], null.tables[GOLD]
    alpha = krippendorff_alpha(ann)
    res = check_batch(ann, gold=gold, min_kappa=alpha, min_qa_accuracy=0.9, n_resamples=100, rng=0)
    iaa = res.criteria.set_index("criterion").loc["inter-annotator agreement"]
    assert iaa["ci_low"] < alpha <= iaa["ci_high"]  # point estimate exactly at the bar
    assert iaa["status"] == "inconclusive" and not iaa["passed"]
    assert not res.accepted
    assert "inconclusive (the CI straddles the bar)" in res.summary()
    assert "have more items rated by two or more annotators" in res.summary()
    # QA: a bar between the CI bounds is inconclusive, a bar above the upper bound is not met
    base = check_batch(ann, gold=gold, min_kappa=0.5, min_qa_accuracy=0.9, n_resamples=50, rng=0)
    qa = base.criteria.set_index("criterion").loc["QA sample accuracy"]
    mid = (qa["ci_low"] + qa["value"]) / 2
    res2 = check_batch(ann, gold=gold, min_kappa=0.5, min_qa_accuracy=mid, n_resamples=50, rng=0)
    assert res2.criteria.set_index("criterion").loc["QA sample accuracy", "status"] == "inconclusive"
    assert "add gold items or raise qa_fraction" in res2.summary()
    if qa["ci_high"] < 1.0:
        res3 = check_batch(ann, gold=gold, min_kappa=0.5, min_qa_accuracy=min(1.0, qa["ci_high"] + 0.001),
                           n_resamples=50, rng=0)
        assert res3.criteria.set_index("criterion").loc["QA sample accuracy", "status"] == "not met"


def test_gold_label_typo_and_id_dtype_mismatch_raise(null):
    ann, gold = null.tables[ANN].head(600), null.tables[GOLD]
    typo = gold.assign(label=np.where(np.arange(len(gold)) == 4, "positive ", gold["label"]))
    with pytest.raises(WorkbenchError, match=r"label\(s\) 'positive ' at row 4 are not among the annotation labels"):
        check_batch(ann, gold=typo)
    res = check_batch(ann, gold=typo, allow_new_gold_labels=True, n_resamples=20, rng=0)
    assert "positive " not in set(res.violations.get("given_label", []))
    num_ann = ann.assign(item_id=ann["item_id"].str.slice(1).astype("int64"))
    num_gold = gold.assign(item_id=gold["item_id"].str.slice(1))  # digits, but still text
    with pytest.raises(WorkbenchError, match=r"gold 'item_id' is str, annotations 'item_id' is int64; cast one"):
        check_batch(num_ann, gold=num_gold)


def test_qa_sample_reproducible_and_dawid_skene_option(null):
    ann, gold = null.tables[ANN], null.tables[GOLD]
    a = check_batch(ann, gold=gold, n_resamples=50, rng=7, aggregate="dawid_skene", agreement="fleiss_kappa")
    b = check_batch(ann, gold=gold, n_resamples=50, rng=7, aggregate="dawid_skene", agreement="fleiss_kappa")
    assert a.qa_items.equals(b.qa_items)
    pd.testing.assert_frame_equal(a.criteria, b.criteria)
    assert "Fleiss" in a.criteria.loc[0, "statistic"]


def test_a_bad_annotator_is_a_violation():
    gen = np.random.default_rng(0)
    n = 600
    truth = gen.choice(["neg", "pos"], n)
    rows = []
    for ann in ["a", "b", "c", "d"]:
        lab = np.where(gen.random(n) < 0.95, truth, np.where(truth == "pos", "neg", "pos"))
        if ann == "d":  # says 'pos' for half of the true 'neg'
            lab = np.where((truth == "neg") & (gen.random(n) < 0.5), "pos", lab)
        rows.append(pd.DataFrame({"item_id": np.arange(n), "annotator_id": ann, "label": lab}))
    ann = pd.concat(rows, ignore_index=True)
    gold = pd.DataFrame({"item_id": np.arange(0, n, 3), "label": truth[::3]})
    res = check_batch(ann, gold=gold, n_resamples=50, rng=0)
    v = res.violations
    assert len(v) == 1
    assert (v.loc[0, "segment"], v.loc[0, "value"], v.loc[0, "gold_label"], v.loc[0, "given_label"]) == ("annotator_id", "d", "neg", "pos")


def test_check_batch_rejects_bad_input(null):
    ann, gold = null.tables[ANN], null.tables[GOLD]
    small = ann.head(300)
    with pytest.raises(WorkbenchError, match="missing value"):
        check_batch(small.assign(label=np.where(np.arange(300) == 5, None, small.label)), gold=gold)
    with pytest.raises(WorkbenchError, match="at least 2 annotators"):
        check_batch(small[small.annotator_id == small.annotator_id.iloc[0]], gold=gold)
    with pytest.raises(WorkbenchError, match="not in value_order"):
        check_batch(small, gold=gold, value_order=["positive"])
    with pytest.raises(WorkbenchError, match="rows share the same"):
        check_batch(pd.concat([small, small.head(1)]), gold=gold)
    with pytest.raises(WorkbenchError, match="is empty"):
        check_batch(small.head(0), gold=gold)
    with pytest.raises(WorkbenchError, match="none of its"):
        check_batch(small, gold=gold.assign(item_id="zz" + gold.item_id))
    with pytest.raises(WorkbenchError, match="table 'gold'.*rows share the same"):
        check_batch(small, gold=pd.concat([gold, gold.head(1)]))
    with pytest.raises(WorkbenchError, match="table 'gold'.*'maybe'.*not in value_order"):
        check_batch(small, gold=gold.assign(label="maybe"), value_order=["negative", "positive"])
    with pytest.raises(WorkbenchError, match="min_kappa=1.5"):
        check_batch(small, gold=gold, min_kappa=1.5)
    with pytest.raises(WorkbenchError, match="qa_fraction=0"):
        check_batch(small, gold=gold, qa_fraction=0)
    with pytest.raises(WorkbenchError, match="aggregate='median' is not valid"):
        check_batch(small, gold=gold, aggregate="median")
    with pytest.raises(WorkbenchError, match="no column.*'shift'"):
        check_batch(small, gold=gold, segments=["shift"])


def test_committed_reviews_sample(data_samples):
    path = data_samples / "reviews_10x5000.csv"
    if not path.exists():
        pytest.skip("data_samples/reviews_10x5000.csv is absent")
    from workbench.io import load_table

    ann = load_table(path, kind="annotations")
    gold = load_table(data_samples / "reviews_10x5000_gold.csv", kind="gold")
    res = check_batch(ann, gold=gold, n_resamples=100, rng=0)
    assert not res.accepted
    found = set(zip(res.violations.segment, res.violations.value, strict=True))
    # planted: the night shift mislabels kitchen reviews under guideline v2.1 (truth json)
    assert ("cohort × category", "night / kitchen") in found
    assert ("category × guideline_version", "kitchen / v2.1") in found
    # planted: ann_03 drifts after day 45
    assert ("annotator_id", "ann_03") in found
    assert not any(v.startswith("day /") for _, v in found)


def test_cli_reliability(tmp_path, null):
    import subprocess
    import sys

    ann_path, gold_path = tmp_path / "ann.csv", tmp_path / "gold.csv"
    null.tables[ANN].rename(columns={"label": "verdict"}).to_csv(ann_path, index=False)
    null.tables[GOLD].rename(columns={"label": "verdict"}).to_csv(gold_path, index=False)
    run = [sys.executable, "-m", "workbench", "reliability", str(ann_path), "--n-resamples", "50"]
    out = subprocess.run([*run, "--label", "verdict", "--gold", str(gold_path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "krippendorff_alpha (nominal)" in out.stdout and "Batch" in out.stdout
    bad = subprocess.run(run, capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "missing column(s) 'label'" in bad.stderr


def test_fixes_are_data_and_the_summary_words_them(planted, null):
    """Finding and wording apart (issue 20): the fix codes come from the criteria and violations."""
    res = check_batch(planted.tables[ANN], gold=planted.tables[GOLD], min_kappa=0.5, n_resamples=200, rng=0)
    codes = [f.code for f in res.fixes]
    assert codes.count("systematic_error") == min(3, len(res.violations))
    first = next(f for f in res.fixes if f.code == "systematic_error").details
    v = res.violations.iloc[0]
    assert (first["segment"], first["value"], first["rate"]) == (v.segment, v.value, v.rate)
    assert f"{first['segment']}={first['value']} labels gold '{first['gold_label']}'" in res.summary()
    ann, gold = _small_batch(60, 0.1)
    small = check_batch(ann, gold=gold.head(3), min_kappa=0.3, min_qa_accuracy=0.8, n_resamples=50, rng=0)
    fix = next(f for f in small.fixes if f.code == "gold_label_more")
    assert fix.details == {"short": 27, "min_n": 30}
    ok = check_batch(null.tables[ANN], gold=null.tables[GOLD], min_kappa=0.5, min_qa_accuracy=0.8, n_resamples=50, rng=0)
    assert ok.accepted and ok.fixes == () and "To fix" not in ok.summary()
