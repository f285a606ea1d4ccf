"""The flywheel's evidence: active learning vs random labeling over 5 seeds, the random share's
accuracy estimate, the review queue's per-decision cost with background retraining, and
training time at 100,000 items.

Run: ``.venv/bin/python benchmarks/flywheel.py`` (about a minute on 2 idle cores). Run it alone:
timings on a loaded machine are not evidence.

1. On items with five scores and a planted reviewer rule that no single threshold captures
   ("unsafe wording, or short and repetitive") with 10% of the decisions flipped (label
   noise), :func:`workbench.flywheel.learning_curve` spends a labeling budget at random and
   with the ``filter-uncertainty`` strategy (20% random share) for 5 seeds. It prints the mean
   curves, how many labels the active strategy needed to reach the random strategy's final
   AUC (issue 30's goal: at most 60% of them, mean over the seeds), and whether the random
   share's interval covers the filter's accuracy on held-out items.
2. A :class:`workbench.review.ReviewQueue` with ``FilterUncertainty(retrain_every=N)`` and
   without retraining serves 10,000 and 100,000 items to a simulated reviewer: milliseconds
   per decision (next() + submit(), committed to SQLite) — the goal is that retraining in the
   background leaves them flat.
3. :func:`workbench.flywheel.train_filter` on 100,000 scored items (goal: under 10 s on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.analyses.filter_learning import labels_to_reach  # noqa: E402
from workbench.flywheel import learning_curve, train_filter  # noqa: E402
from workbench.review import FilterUncertainty, ReviewQueue, ReviewStore  # noqa: E402
from workbench.samples import make_scored_items  # noqa: E402


def curves(args: argparse.Namespace) -> None:
    runs: dict[str, list[pd.DataFrame]] = {"random": [], "filter-uncertainty": []}
    for seed in range(args.seeds):
        s = make_scored_items(args.items, rule="combined", label_noise=args.noise, rng=seed)
        flags = s.rows.set_index("item_id")["flagged"]  # the noisy reviewer's decisions

        def oracle(frame: pd.DataFrame, flags: pd.Series = flags) -> np.ndarray:
            return flags.reindex(frame["item_id"]).to_numpy(bool)

        for strategy in runs:
            runs[strategy].append(learning_curve(s.tables["items"], oracle, strategy=strategy, budget=args.budget,
                                                 step=args.step, seed=seed).set_index("n_labels"))
    auc = {k: pd.concat([c["auc"] for c in v], axis=1) for k, v in runs.items()}
    table = pd.DataFrame({"random_auc": auc["random"].mean(axis=1), "random_sd": auc["random"].std(axis=1),
                          "active_auc": auc["filter-uncertainty"].mean(axis=1),
                          "active_sd": auc["filter-uncertainty"].std(axis=1)})
    print(f"1. learning curves, mean of {args.seeds} seeds ({args.items:,} items, planted rule 'unsafe wording, or "
          f"short and repetitive', {args.noise:.0%} of decisions flipped; AUC on 30% held out):")
    print(table.round(4).to_string())
    # the share of labels, computed as the filter_learning report does (one home), strictly: active's
    # AUC at least random's final AUC; and random order's own share to get there, for context
    frame = pd.concat([c.reset_index().assign(strategy=k, seed=i) for k, v in runs.items() for i, c in enumerate(v)])
    reach = labels_to_reach(frame, tolerance=0.0)
    for row in reach.itertuples():
        got = ("— (not reached)" if np.isnan(row.share_of_random) else
               f"{row.active_labels:.0f} labels ({row.share_of_random:.0%})")
        print(f"   seed {row.seed}: random's final AUC {row.random_final_auc:.4f}; active reached it with {got}; "
              f"random order itself first reached it at {row.random_share_to_reach:.0%}")
    share = reach["share_of_random"].to_numpy(float)
    if np.isnan(share).any():
        print(f"   active did not reach random's final AUC within the budget in {int(np.isnan(share).sum())} of "
              f"{args.seeds} seeds (counted as 100% below)")
    print(f"active reached random's final AUC with {np.nanmean(np.where(np.isnan(share), 1.0, share)):.0%} of the "
          f"labels (mean over {args.seeds} seeds; goal <= 60%); random order itself needed "
          f"{reach['random_share_to_reach'].mean():.0%} of them (its curve flattens early too)")
    active = pd.concat(runs["filter-uncertainty"])
    inside = (active["random_share_low"] <= active["accuracy"]) & (active["accuracy"] <= active["random_share_high"])
    last = pd.concat([c.iloc[[-1]] for c in runs["filter-uncertainty"]])
    print(f"random share (20%, out of fold, 95% Wilson): its interval covers the filter's held-out accuracy at "
          f"{inside.mean():.0%} of {len(active)} steps over {args.seeds} seeds; at the end "
          f"{(last['random_share_low'] <= last['accuracy']).mul(last['accuracy'] <= last['random_share_high']).mean():.0%}"
          f" of seeds (estimate {last['random_share_accuracy'].mean():.3f} from {last['random_share_n'].mean():.0f} "
          f"items vs held-out {last['accuracy'].mean():.3f})")


def decision_cost(n_items: int, retrain_every: int | None, decisions: int) -> dict[str, float]:
    s = make_scored_items(n_items + 200, rule="combined", rng=7)
    items, truth = s.tables["items"], s.rows.set_index("item_id")["flagged"]
    first = train_filter(items.iloc[:200], s.tables["decisions"].iloc[:200])
    strategy = FilterUncertainty(first, seed=1, retrain_every=retrain_every, train_items=items.iloc[:200],
                                 train_decisions=s.tables["decisions"].iloc[:200])
    with tempfile.TemporaryDirectory() as tmp, ReviewStore(Path(tmp) / "r.sqlite", synchronous="NORMAL") as store:
        queue = ReviewQueue(items.iloc[200:].reset_index(drop=True), store, reviewer="ann", strategy=strategy,
                            gold_share=0.0)
        ms = []
        for _ in range(decisions):
            t0 = time.perf_counter()
            item = queue.next()
            assert item is not None
            queue.submit(item, "Poor quality" if truth[item.item_id] else "Acceptable")
            ms.append(1000 * (time.perf_counter() - t0))
        queue.wait_for_retraining(timeout=300)
        state = queue.retrain_state()
    a = np.array(ms)
    third = len(a) // 3
    return {"items": n_items, "retrain_every": retrain_every or 0, "median_ms": np.median(a), "mean_ms": a.mean(),
            "p95_ms": np.percentile(a, 95), "max_ms": a.max(), "first_third_ms": a[:third].mean(),
            "last_third_ms": a[-third:].mean(), "retrains": 0 if state is None else state.retrains}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--step", type=int, default=25)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--noise", type=float, default=0.1, help="share of the planted reviewer's decisions flipped")
    parser.add_argument("--queue-items", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--decisions", type=int, default=300, help="decisions per queue run")
    parser.add_argument("--retrain-every", type=int, default=50)
    parser.add_argument("--train-items", type=int, default=100_000)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f} (run alone for evidence)\n")

    curves(args)

    print(f"\n2. review queue, ms per decision (next() + submit(), committed), {args.decisions} decisions, "
          f"filter-uncertainty with and without retraining every {args.retrain_every} in the background:")
    rows = [decision_cost(n, every, args.decisions) for n in args.queue_items for every in (None, args.retrain_every)]
    print(pd.DataFrame(rows).round(2).to_string(index=False))

    s = make_scored_items(args.train_items, rule="combined", label_noise=args.noise, rng=99)
    t0 = time.perf_counter()
    f = train_filter(s.tables["items"], s.tables["decisions"])
    t = time.perf_counter() - t0
    print(f"\n3. train_filter on {args.train_items:,} items x {len(f.features)} scores (5-fold CV, DeLong and logit "
          f"intervals): {t:.1f} s (goal < 10 s)\n{f.summary()}")


if __name__ == "__main__":
    main()
