"""The flywheel's evidence: active learning vs random labeling, and training time at 100,000 items.

Run: ``.venv/bin/python benchmarks/flywheel.py``. On items with five scores and a planted
reviewer rule ("unsafe wording, or short and repetitive"), :func:`workbench.flywheel.learning_curve`
labels a budget at random and with the ``filter-uncertainty`` strategy (20% random share),
for 5 seeds; it prints the mean curves and how many labels the active strategy needed to
reach the random strategy's final AUC (issue 30's goal: at most 60% of them). Then it times
:func:`workbench.flywheel.train_filter` on 100,000 scored items (goal: under 10 s on 2 cores).
Run it alone: timings on a loaded machine are not evidence.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.flywheel import learning_curve, train_filter  # noqa: E402
from workbench.samples import make_scored_items, reviewer_rule  # noqa: E402


def scored_items(n: int, seed: int) -> pd.DataFrame:
    return make_scored_items(n, rng=seed).tables["items"]


def rule(items: pd.DataFrame) -> np.ndarray:
    return reviewer_rule(items, "combined")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--step", type=int, default=25)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--train-items", type=int, default=100_000)
    args = parser.parse_args()

    curves = {"random": [], "filter-uncertainty": []}
    for seed in range(args.seeds):
        items = scored_items(args.items, seed)
        for strategy in curves:
            curves[strategy].append(learning_curve(items, rule, strategy=strategy, budget=args.budget,
                                                   step=args.step, seed=seed).set_index("n_labels")["auc"])
    mean = {k: pd.concat(v, axis=1).mean(axis=1) for k, v in curves.items()}
    sd = {k: pd.concat(v, axis=1).std(axis=1) for k, v in curves.items()}
    table = pd.DataFrame({"random_auc": mean["random"], "random_sd": sd["random"],
                          "active_auc": mean["filter-uncertainty"], "active_sd": sd["filter-uncertainty"]})
    print(f"learning curves, mean of {args.seeds} seeds ({args.items:,} items, held-out 30%):")
    print(table.round(4).to_string())
    final = mean["random"].iloc[-1]
    reached = mean["filter-uncertainty"][mean["filter-uncertainty"] >= final]
    if len(reached):
        n = int(reached.index[0])
        print(f"\nactive learning reaches the random strategy's final AUC ({final:.4f} at {args.budget} labels) "
              f"with {n} labels: {n / args.budget:.0%} of the budget (goal <= 60%)")
    else:
        print(f"\nactive learning did not reach the random strategy's final AUC ({final:.4f}) within the budget")

    items = scored_items(args.train_items, 99)
    decisions = pd.DataFrame({"item_id": items["item_id"],
                              "decision": np.where(rule(items), "Poor quality", "Acceptable")})
    t0 = time.perf_counter()
    f = train_filter(items, decisions)
    t = time.perf_counter() - t0
    print(f"\ntrain_filter on {args.train_items:,} items x {len(f.features)} scores (5-fold CV, DeLong and logit "
          f"intervals): {t:.1f} s (goal < 10 s)\n{f.summary()}")


if __name__ == "__main__":
    main()
