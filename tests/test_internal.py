"""The shared internals (workbench/_internal): one implementation of each interval, resampling
scheme, confidence check, gold-alignment policy and text coercion, checked against the anchors
(statsmodels, scipy) and on the cases where the old copies disagreed."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from workbench._internal.coding import align_gold, code_annotations, gold_codes
from workbench._internal.stats import (
    binomial_p_half,
    check_confidence,
    multinomial_weights,
    percentile_interval,
    stratified_weights,
    wilson_interval,
)
from workbench._internal.text import as_text_list
from workbench._validation import format_rows
from workbench.agreement import (
    ItemContributions,
    bootstrap_ci,
    cohens_kappa,
    cohens_kappa_ci,
    fleiss_kappa,
    krippendorff_alpha,
    with_item_contributions,
)
from workbench.errors import SchemaError, WorkbenchError

# --------------------------------------------------------------------------------------
# intervals and tests
# --------------------------------------------------------------------------------------


def test_wilson_matches_statsmodels_and_is_nan_without_trials() -> None:
    k, n = np.array([0, 3, 10, 0]), np.array([10, 7, 10, 0])
    low, high = wilson_interval(k, n, 0.9)
    ref_lo, ref_hi = proportion_confint(k[:3], n[:3], alpha=0.1, method="wilson")
    np.testing.assert_allclose(low[:3], ref_lo, rtol=0, atol=1e-15)
    np.testing.assert_allclose(high[:3], ref_hi, rtol=0, atol=1e-15)
    assert np.isnan(low[3]) and np.isnan(high[3])
    lo0, hi0 = wilson_interval(3, 7, 0.95)  # scalars give 0-d arrays
    assert lo0.shape == () and float(lo0) == pytest.approx(proportion_confint(3, 7, method="wilson")[0])


@pytest.mark.parametrize(("k", "n"), [(0, 1), (3, 10), (5, 10), (9, 10), (17, 40), (40, 40)])
def test_binomial_p_half_equals_scipy_binomtest(k: int, n: int) -> None:
    assert binomial_p_half(np.array([k]), np.array([n]))[0] == pytest.approx(stats.binomtest(k, n, 0.5).pvalue)


def test_percentile_interval_ignores_undefined_replicates() -> None:
    x = np.r_[np.arange(1.0, 100.0), np.nan, np.inf]
    assert percentile_interval(x, 0.5) == pytest.approx(tuple(np.quantile(np.arange(1.0, 100.0), [0.25, 0.75])))
    assert all(np.isnan(percentile_interval([np.nan], 0.95)))


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, True, "0.95", None, float("nan")])
def test_check_confidence_one_range_for_everyone(bad: object) -> None:
    with pytest.raises(WorkbenchError, match=re.escape(f"confidence={bad!r} is not valid")):
        check_confidence(bad)
    assert check_confidence(0.3) == 0.3 and check_confidence(np.float64(0.99)) == 0.99


def test_resampling_weights() -> None:
    blocks = list(multinomial_weights(np.random.default_rng(0), 7, 25, chunk_cells=70))
    assert [len(b) for b in blocks] == [10, 10, 5]
    assert all((b.sum(axis=1) == 7).all() for b in blocks)
    # block size does not change the draws: same stream as one block
    one = next(multinomial_weights(np.random.default_rng(0), 7, 25))
    np.testing.assert_array_equal(np.vstack(blocks), one)
    strata = [np.array([0, 2, 4]), np.array([1, 3])]
    w = stratified_weights(np.random.default_rng(1), strata, 6, 50)
    np.testing.assert_array_equal(w[:, strata[0]].sum(axis=1), 3)
    np.testing.assert_array_equal(w[:, strata[1]].sum(axis=1), 2)
    assert (w[:, 5] == 0).all()


# --------------------------------------------------------------------------------------
# gold alignment: one policy, options for unknown items and labels
# --------------------------------------------------------------------------------------

ITEMS = pd.Index(["q1", "q2", "q3"])


def test_align_gold_codes_and_ignores_extra_items_by_default() -> None:
    gold = pd.DataFrame({"item_id": ["q3", "q1", "zz"], "label": ["y", "x", "x"]})
    assert align_gold(gold, ITEMS, ["x", "y"]).tolist() == [0, -1, 1]
    with pytest.raises(SchemaError, match=r"1 gold item\(s\) are unknown to the annotations, e.g. 'zz' at row 2"):
        align_gold(gold, ITEMS, ["x", "y"], unknown_items="raise")


def test_align_gold_unknown_labels_raise_or_count_as_wrong() -> None:
    gold = pd.DataFrame({"item_id": ["q1", "q2"], "label": ["x", "x "]})
    with pytest.raises(SchemaError, match=r"label\(s\) 'x ' at row 1 are not among the annotation labels"):
        align_gold(gold, ITEMS, ["x", "y"])
    assert align_gold(gold, ITEMS, ["x", "y"], unknown_labels="wrong").tolist() == [0, -2, -1]
    with pytest.raises(SchemaError, match="no gold label matches"):
        align_gold(gold.assign(label="z"), ITEMS, ["x", "y"], unknown_labels="wrong")


def test_align_gold_without_shared_items_always_raises_with_the_dtype_hint() -> None:
    gold = pd.DataFrame({"item_id": [1, 2], "label": ["x", "y"]})
    with pytest.raises(SchemaError, match=r"none of its 2 items.*gold 'item_id' is int64"):
        align_gold(gold, pd.Index(["1", "2"]), ["x", "y"], ids=pd.Series(["1", "2"]))


def test_gold_codes_reads_value_order_option() -> None:
    ann = pd.DataFrame({"item_id": ["q1", "q1"], "annotator_id": ["u", "v"], "label": ["x", "y"]})
    coded = code_annotations(ann, item="item_id", annotator="annotator_id", label="label", value_order=["x", "y"])
    with pytest.raises(SchemaError, match=r"are not in value_order=\['x', 'y'\]"):
        gold_codes(pd.DataFrame({"item_id": ["q1"], "label": ["z"]}), coded, item="item_id", label="label",
                   value_order=True)


# --------------------------------------------------------------------------------------
# row numbers named in messages (format_rows; was format_rows(bad)[5:])
# --------------------------------------------------------------------------------------


def test_format_rows_names_the_rows() -> None:
    assert format_rows([4]) == "row 4"
    assert format_rows([4, 9]) == "rows 4, 9"
    assert format_rows([0], noun="position") == "position 0"
    assert format_rows(range(12), limit=3, noun="position") == "positions 0, 1, 2 (and 9 more)"


@pytest.mark.parametrize(
    ("a", "expected"),
    [
        (["x", None, "y"], "at position 1;"),
        ([None, "x", "y"], "at position 0;"),
        (["x", None, None], "at positions 1, 2;"),
        ([None] * 3, "at positions 0, 1, 2;"),
    ],
)
def test_cohens_kappa_message_names_the_missing_positions(a: list[object], expected: str) -> None:
    with pytest.raises(WorkbenchError, match=re.escape(expected)):
        cohens_kappa(a, ["x", "y", "x"])


@pytest.mark.parametrize(
    ("texts", "expected"),
    [(["a", 3], "but position 1 holds int"), ([1.5, "b", 2.5], "but positions 0, 2 hold float"),
     ([7, "b"], "but position 0 holds int")],
)
def test_text_list_message_names_the_positions(texts: list[object], expected: str) -> None:
    with pytest.raises(WorkbenchError, match=re.escape(expected)):
        as_text_list(texts)


# --------------------------------------------------------------------------------------
# bootstrap_ci: any statistic through the per-item contribution protocol
# --------------------------------------------------------------------------------------


def _ratings(n_items: int = 60, seed: int = 0) -> pd.DataFrame:
    gen = np.random.default_rng(seed)
    truth = gen.integers(0, 3, n_items)
    rows = []
    for i in range(n_items):
        for a in range(3):
            lab = truth[i] if gen.random() < 0.7 else gen.integers(0, 3)
            rows.append((i, f"a{a}", int(lab)))
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


def test_builtin_contributions_reproduce_the_statistic() -> None:
    df = _ratings()
    for stat, kw in ((krippendorff_alpha, {"level": "interval"}), (fleiss_kappa, {})):
        per_item = stat.item_contributions(df, **kw)  # type: ignore[attr-defined]
        assert float(per_item.combine(per_item.parts.sum(axis=0)[None])[0]) == pytest.approx(stat(df, **kw), abs=1e-12)


def test_user_statistic_with_contributions_gets_the_fast_path_and_agrees_with_the_slow_one() -> None:
    """Share of unanimous items: fast (contributions) and slow (recompute per resample) use
    different draws, so their intervals agree only statistically; both must cover the truth."""
    df = _ratings(200, seed=1)
    calls = {"n": 0}

    def unanimous_parts(annotations: pd.DataFrame, **_: object) -> ItemContributions:
        u = annotations.groupby("item_id")["label"].nunique().eq(1).to_numpy(dtype=float)
        return ItemContributions(parts=np.column_stack([u, np.ones_like(u)]), combine=lambda s: s[:, 0] / s[:, 1])

    def unanimous_share(annotations: pd.DataFrame) -> float:
        calls["n"] += 1
        return float(annotations.groupby("item_id")["label"].nunique().eq(1).mean())

    fast_stat = with_item_contributions(unanimous_parts)(lambda annotations: unanimous_share(annotations))
    fast = bootstrap_ci(fast_stat, df, n_resamples=400, rng=0)
    assert calls["n"] == 1  # only the estimate; the resamples came from the contributions
    slow = bootstrap_ci(unanimous_share, df, n_resamples=400, rng=0)
    assert calls["n"] == 402
    assert fast.estimate == slow.estimate
    assert fast.low == pytest.approx(slow.low, abs=0.03) and fast.high == pytest.approx(slow.high, abs=0.03)


def test_cohens_kappa_ci_matches_naive_resampling_loop() -> None:
    gen = np.random.default_rng(3)
    a = gen.integers(0, 3, 150)
    b = np.where(gen.random(150) < 0.6, a, gen.integers(0, 3, 150))
    ci = cohens_kappa_ci(a, b, weights="linear", n_resamples=300, rng=5)
    assert ci.estimate == pytest.approx(cohens_kappa(a, b, weights="linear"), abs=1e-12)
    # the same multinomial draws, one resampled pair list at a time through cohens_kappa
    draws = next(multinomial_weights(np.random.default_rng(5), 150, 300)).astype(int)
    naive = [cohens_kappa(np.repeat(a, w), np.repeat(b, w), weights="linear", labels=[0, 1, 2]) for w in draws]
    assert (ci.low, ci.high) == pytest.approx(percentile_interval(np.array(naive), 0.95), abs=1e-12)
    assert ci.low < ci.estimate < ci.high and ci.n_valid == 300
    with pytest.raises(WorkbenchError, match="confidence=2 is not valid"):
        cohens_kappa_ci(a, b, confidence=2)
