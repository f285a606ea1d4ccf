"""Vendor comparison: how often it recommends a vendor when the two are equally good (the
null; the decision rule aims at <= 5 %), how often it finds the planted better vendor, and the
time of one comparison beside the time of its anchors (statsmodels McNemar, the krippendorff
package) on the same input.

Run: ``python benchmarks/vendors.py [--seeds 200]`` (about 2 s per comparison on a shared core).
"""

from __future__ import annotations

import argparse
import time

import krippendorff
import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import mcnemar

from workbench import samples, vendors
from workbench.agreement import krippendorff_alpha


def _rate(seeds: range, **params: float) -> tuple[float, float, dict[str, int]]:
    counts = {"a": 0, "b": 0, "none": 0}
    started = time.perf_counter()
    for seed in seeds:
        s = samples.make_vendors(rng=seed, **params)
        res = vendors.compare_vendors(
            s.tables["vendor_a"], s.tables["vendor_b"], gold=s.tables["vendor_gold"], rng=seed
        )
        counts[res.recommended or "none"] += 1
    return counts["none"] / len(seeds), (time.perf_counter() - started) / len(seeds), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    seeds = range(1000, 1000 + args.seeds)
    print(f"vendor comparison over {args.seeds} seeds each (make_vendors 500 pairs x 3, 100 gold)")
    for acc, p_long in ((0.85, 0.55), (0.7, 0.75)):
        share, sec, counts = _rate(seeds, accuracy_a=acc, accuracy_b=acc, p_longer_a=p_long, p_longer_b=p_long)
        print(f"null   accuracy={acc} p_longer={p_long}: recommended None in {share:.1%} "
              f"({counts}), {sec:.2f} s per comparison incl. data generation")
    share, sec, counts = _rate(range(1000, 1000 + max(20, args.seeds // 4)))
    print(f"planted (defaults: a 0.85/0.55, b 0.70/0.75): {counts}")
    share, sec, counts = _rate(range(1000, 1000 + max(20, args.seeds // 4)), accuracy_a=0.80, accuracy_b=0.75,
                               p_longer_a=0.6, p_longer_b=0.6)
    print(f"small effect (a 0.80, b 0.75, same p_longer 0.6): {counts}")

    # one comparison on the committed sample, and the anchors on the same input
    a = pd.read_csv("data_samples/vendor_a.csv", dtype={"pair_id": str})
    b = pd.read_csv("data_samples/vendor_b.csv", dtype={"pair_id": str})
    gold = pd.read_csv("data_samples/vendor_gold.csv", dtype={"item_id": str})
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        res = vendors.compare_vendors(a, b, gold=gold, rng=0)
    ours = (time.perf_counter() - t0) / reps
    print(f"compare_vendors on data_samples (2 x 1,500 judgments, 2,000 paired resamples of every "
          f"metric): {ours:.3f} s; recommended {res.recommended!r}")
    # anchors: alpha per resample the slow way (krippendorff on each resampled reliability matrix)
    wide = a.pivot(index="annotator_id", columns="pair_id", values="choice")
    codes = wide.apply(lambda c: c.map({"a": 0.0, "b": 1.0, "tie": 2.0}))
    mat = codes.to_numpy(dtype=float)
    gen = np.random.default_rng(0)
    n_anchor = 200
    t0 = time.perf_counter()
    for _ in range(n_anchor):
        idx = gen.integers(0, mat.shape[1], mat.shape[1])
        krippendorff.alpha(reliability_data=mat[:, idx], level_of_measurement="nominal")
    anchor_per = (time.perf_counter() - t0) / n_anchor
    print(f"krippendorff package: {anchor_per * 1000:.2f} ms per resample of one vendor; 2,000 paired "
          f"resamples x 2 vendors would take {anchor_per * 4000:.1f} s for alpha alone "
          f"(ratio to our whole comparison: {anchor_per * 4000 / ours:.1f}x)")
    ours_alpha = krippendorff_alpha(a, item="pair_id", label="choice")
    ref = krippendorff.alpha(reliability_data=mat, level_of_measurement="nominal")
    row = res.scorecard.set_index("key").loc["alpha"]
    print(f"alpha of vendor a: scorecard {row['a']:.6f}, agreement.krippendorff_alpha {ours_alpha:.6f}, "
          f"krippendorff package {ref:.6f}")
    mc = res.tests.set_index("test").iloc[1]
    t = np.array([[0, 0], [0, 0]])
    print(f"McNemar p (statsmodels, inside the comparison): {mc['p_value']:.3g}; "
          f"{mcnemar(t + 1, exact=True).pvalue:.3g} on a table of ones (sanity)")


if __name__ == "__main__":
    main()
