"""The same preference pairs labeled by two vendors (the vendor-comparison sample)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workbench._validation import as_rng
from workbench.errors import WorkbenchError
from workbench.samples.base import SAMPLE_START, Sample, check_count, check_prob, iso
from workbench.samples.preferences import judge, judgment_table, preference_pairs
from workbench.samples.truth import VendorsTruth, VendorTruth

__all__ = ["make_vendors"]


def _vendor_accuracies(mean: float, n: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-annotator quality accuracy with the given mean; low means get near-random workers.

    The same rule for both vendors: ``n_random = floor(n * max(0, 0.8 - mean) / 0.3)``
    annotators sit at 0.5 (coin flips), the others share the rest of the mean with a small
    jitter (sd 0.02) that sums to zero.
    """
    n_rand = int(math.floor(n * max(0.0, 0.8 - mean) / 0.3 + 1e-9))
    n_rand = min(n_rand, n - 1)
    is_rand = np.zeros(n, dtype=bool)
    is_rand[gen.permutation(n)[:n_rand]] = True
    skilled = (mean * n - 0.5 * n_rand) / (n - n_rand)
    jitter = gen.normal(0, 0.02, n - n_rand)
    jitter -= jitter.mean()
    acc = np.full(n, 0.5)
    acc[~is_rand] = np.clip(skilled + jitter, 0.5, 0.99)
    return acc, is_rand


def make_vendors(
    n_pairs: int = 500,
    per_pair: int = 3,
    n_gold: int = 100,
    *,
    accuracy_a: float = 0.85,
    accuracy_b: float = 0.70,
    p_longer_a: float = 0.55,
    p_longer_b: float = 0.75,
    n_annotators: int = 8,
    p_tie: float = 0.03,
    rng: int | np.random.Generator | None = 0,
) -> Sample[VendorsTruth]:
    """The same preference pairs labeled by two vendors; b is less accurate and length-biased.

    Each vendor has ``n_annotators`` annotators (ids ``va_1…``/``vb_1…``) and ``per_pair``
    of them judge each pair. ``accuracy_v`` is the vendor's mean per-annotator accuracy of
    quality judgments; a vendor whose mean is below 0.8 has near-random annotators
    (``floor(n_annotators * (0.8 - mean) / 0.3)`` of them, the same rule for both vendors).
    Every annotator of vendor v picks the longer response with probability ``p_longer_v``.
    Vendor b works faster (shorter ``duration_s``). With ``accuracy_a == accuracy_b`` and
    ``p_longer_a == p_longer_b`` the vendors are statistically identical (the null).

    Returns
    -------
    Sample
        ``tables``: ``vendor_a``, ``vendor_b`` (preferences + vendor, duration_s, category,
        timestamp), ``vendor_gold`` (item_id = pair_id, label a/b for ``n_gold`` pairs).
        ``truth["rows"]``: pair_id, true_choice, len_a, len_b, in_gold.

    Examples
    --------
    >>> s = make_vendors(40, 3, 10, rng=0)
    >>> [len(s.tables[k]) for k in ("vendor_a", "vendor_b", "vendor_gold")]
    [120, 120, 10]
    """
    check_count("n_pairs", n_pairs)
    check_count("per_pair", per_pair)
    check_count("n_gold", n_gold, minimum=0)
    check_count("n_annotators", n_annotators)
    for name, value in (("accuracy_a", accuracy_a), ("accuracy_b", accuracy_b),
                        ("p_longer_a", p_longer_a), ("p_longer_b", p_longer_b), ("p_tie", p_tie)):
        check_prob(name, value)
    if per_pair > n_annotators:
        raise WorkbenchError(f"per_pair={per_pair} exceeds n_annotators={n_annotators}; "
                             "each pair needs distinct annotators.")
    if n_gold > n_pairs:
        raise WorkbenchError(f"n_gold={n_gold} exceeds n_pairs={n_pairs}.")
    gen = as_rng(rng)
    pairs = preference_pairs(gen, n_pairs)
    true = pairs["true_choice"].to_numpy()
    la, lb = pairs["len_a"].to_numpy(), pairs["len_b"].to_numpy()
    tables: dict[str, pd.DataFrame] = {}
    vendor_truth: dict[str, VendorTruth] = {}
    # one child generator per vendor so that equal parameters give identically distributed data
    children = gen.spawn(2)
    vendor_params: list[tuple[str, float, float, np.random.Generator]] = [
        ("a", accuracy_a, p_longer_a, children[0]), ("b", accuracy_b, p_longer_b, children[1]),
    ]
    for v, acc_mean, p_long, g in vendor_params:
        acc, is_rand = _vendor_accuracies(acc_mean, n_annotators, g)
        ids = np.array([f"v{v}_{i + 1}" for i in range(n_annotators)])
        pick = np.argsort(g.random((n_pairs, n_annotators)), axis=1)[:, :per_pair]
        pi = np.repeat(np.arange(n_pairs), per_pair)
        ai = pick.ravel()
        n = len(pi)
        choice = judge(
            g, true[pi], la[pi], lb[pi],
            accuracy=acc[ai], p_longer=np.full(n, p_long), p_position_a=np.full(n, 0.5),
            p_random=np.zeros(n), p_tie=p_tie,
        )
        words = (la + lb)[pi]
        # vendor speed: scaled by accuracy (careful work takes longer); random workers rush
        pace = np.where(is_rand[ai], 0.35, 1.0) * (acc_mean / 0.85) ** 3
        duration = np.round(pace * (15 + 0.25 * words) * g.lognormal(0, 0.3, n), 1)
        secs = g.integers(0, 10 * 86400, n)  # ten days of work
        ts = SAMPLE_START + pd.to_timedelta(secs, unit="s")
        table = judgment_table(pairs, pi, ids[ai], choice, iso(ts), duration)
        table["vendor"] = v
        tables[f"vendor_{v}"] = table
        vendor_truth[v] = VendorTruth(
            accuracy=acc_mean,
            p_longer=p_long,
            annotator_accuracy={str(i): round(float(x), 4) for i, x in zip(ids, acc, strict=True)},
            random_annotators=tuple(ids[is_rand].tolist()),
        )
    gold_idx = np.sort(gen.choice(n_pairs, size=n_gold, replace=False))
    gold = pd.DataFrame({"item_id": pairs["pair_id"].to_numpy()[gold_idx], "label": true[gold_idx]})
    rows = pairs[["pair_id", "true_choice", "len_a", "len_b"]].copy()
    rows["in_gold"] = np.isin(np.arange(n_pairs), gold_idx)
    tables["vendor_gold"] = gold
    truth = VendorsTruth(
        vendor_a=vendor_truth["a"],
        vendor_b=vendor_truth["b"],
        n_pairs=n_pairs,
        per_pair=per_pair,
        n_gold=n_gold,
        p_tie=p_tie,
        rows=rows,
    )
    return Sample("vendors", tables, truth)

