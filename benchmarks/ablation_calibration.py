"""Do the ablation intervals cover zero under the null, and still find a planted effect?

Four experiments per seed on the reviews sample (texts with their true labels; a test set
of 400 items, training sets of 1,000):

1. **Independent draws of one process** (the null users get wrong): two disjoint sets of
   items, each labelled by the same noisy process (a quarter of the labels replaced by
   "negative"). ``variance="process"`` (what ``"auto"`` picks here) should cover zero in at
   least 90% of seeds; ``variance="set"`` is printed beside it to show the gap.
2. **Shared-base null**: a noisy set vs the same set with a random 20% of rows removed.
   ``"auto"`` picks ``variance="set"``, which should keep covering zero.
3. **Planted effect, shared base**: noisy labels (35% flipped) vs the true labels of the
   same items — found (CI above zero) under ``"set"``.
4. **Planted effect, independent draws**: noisy labels of one set of items vs true labels
   of another — found under ``"process"``.

    python benchmarks/ablation_calibration.py [--seeds 40] [--planted-seeds 10]

There is no anchor library for this check: the numbers are coverage counts, and the time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import ablation, io

ROOT = Path(__file__).resolve().parents[1] / "data_samples"


def _covered(result: ablation.AblationResult) -> bool:
    d = result.differences.set_index("metric").loc["accuracy"]
    return bool(d["ci_low"] <= 0 <= d["ci_high"])


def _found(result: ablation.AblationResult) -> bool:
    d = result.differences.set_index("metric").loc["accuracy"]
    return bool(d["ci_low"] > 0)


def _noisy(frame: pd.DataFrame, gen: np.random.Generator, share: float) -> pd.DataFrame:
    return frame.assign(label=np.where(gen.random(len(frame)) < share, "negative", frame["label"]))


def _flipped(frame: pd.DataFrame, gen: np.random.Generator, share: float) -> pd.DataFrame:
    flip = gen.random(len(frame)) < share
    other = np.where(frame["label"] == "positive", "negative", "positive")
    return frame.assign(label=np.where(flip, other, frame["label"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40, help="seeds of the two null checks")
    parser.add_argument("--planted-seeds", type=int, default=10, help="seeds of the planted-effect checks")
    parser.add_argument("--n-train", type=int, default=1000, help="items per training set")
    args = parser.parse_args()

    items = io.load_table(ROOT / "reviews_10x5000_items.csv")
    truth = io.load_table(ROOT / "truth" / "reviews_10x5000_rows.csv")
    labeled = items.merge(truth[["item_id", "true_label"]], on="item_id").rename(columns={"true_label": "label"})
    n = args.n_train
    counts = {"process_null_process": 0, "process_null_set": 0, "shared_null_set": 0,
              "planted_shared": 0, "planted_independent": 0}
    widths: dict[str, list[float]] = {"process": [], "set": []}
    chosen: set[str] = set()
    start = time.perf_counter()
    for seed in range(args.seeds):
        gen = np.random.default_rng(seed)
        idx = gen.permutation(len(labeled))
        test = labeled.iloc[idx[:400]]
        first = labeled.iloc[idx[400 : 400 + n]]
        second = labeled.iloc[idx[400 + n : 400 + 2 * n]]
        a, b = _noisy(first, gen, 0.25), _noisy(second, gen, 0.25)
        opts = {"n_repeats": 5, "n_bootstrap": 1000, "rng": seed}
        auto = ablation.compare_training_sets({"vendor_a": a, "vendor_b": b}, test, **opts)
        chosen.add(auto.variance)
        as_set = ablation.compare_training_sets({"vendor_a": a, "vendor_b": b}, test, variance="set", **opts)
        counts["process_null_process"] += _covered(auto)
        counts["process_null_set"] += _covered(as_set)
        for name, res in (("process", auto), ("set", as_set)):
            d = res.differences.set_index("metric").loc["accuracy"]
            widths[name].append(float(d["ci_high"] - d["ci_low"]))
        removed = a.drop(index=gen.choice(a.index, size=n // 5, replace=False))
        shared = ablation.compare_training_sets({"raw": a, "random_removal": removed}, test, **opts)
        chosen.add(shared.variance)
        counts["shared_null_set"] += _covered(shared)
        if seed < args.planted_seeds:
            noisy = _flipped(first, gen, 0.35)
            same_items = ablation.compare_training_sets({"noisy": noisy, "clean": first}, test, **opts)
            other_items = ablation.compare_training_sets({"noisy": noisy, "clean": second}, test, **opts)
            assert same_items.variance == "set" and other_items.variance == "process"
            counts["planted_shared"] += _found(same_items)
            counts["planted_independent"] += _found(other_items)
    elapsed = time.perf_counter() - start
    s, p = args.seeds, args.planted_seeds
    print(f"training sets of {n:,} items, test set of 400, 5 repeats, accuracy; variances chosen by 'auto': "
          f"{sorted(chosen)}")
    print(f"null, two independent draws of one process: CI covers zero in {counts['process_null_process']}/{s} "
          f"seeds with variance='process' (goal >= 90%: {int(np.ceil(0.9 * s))}), "
          f"{counts['process_null_set']}/{s} with variance='set'; median CI width "
          f"{np.median(widths['process']):.4f} vs {np.median(widths['set']):.4f}")
    print(f"null, shared base (random 20% removed), variance='set': covers zero in {counts['shared_null_set']}/{s}")
    print(f"planted effect (35% of labels flipped vs true labels): found in {counts['planted_shared']}/{p} seeds "
          f"on the same items (variance='set'), {counts['planted_independent']}/{p} on other items "
          f"(variance='process')")
    print(f"{elapsed:.0f} s in all")


if __name__ == "__main__":
    main()
