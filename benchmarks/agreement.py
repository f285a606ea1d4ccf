"""Speed of krippendorff_alpha and dawid_skene beside the anchors, on the same inputs.

Run: ``python benchmarks/agreement.py [--quick]``. Prints wall times (best of several
runs) and ratios. The machine may be shared: compare the ratios, not the absolute times.

0. bootstrap_ci of alpha, 1,000 resamples on 500 items: closed form vs recomputation; and
   cohens_kappa_ci (1,000 resamples, 2,000 items) vs a loop of sklearn ``cohen_kappa_score``.
1. Krippendorff's alpha, 100,000 units x 5 annotators, 20% of ratings missing: ours from
   the long table (validation and conversion included) vs ``krippendorff.alpha`` from its
   ready raters x units matrix.
2. Dawid-Skene vs crowd-kit's ``DawidSkene`` at the same tolerance on the ``product``
   crowdsourcing set (if ../shared/external is present) and on 100,000 synthetic tasks
   (1,000 workers, 5 labels per task): time per EM iteration, time to convergence,
   iterations, and accuracy against the truth.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
from crowdkit.aggregation import DawidSkene

from workbench._internal.coding import code_annotations
from workbench.aggregation import dawid_skene, dawid_skene_em
from workbench.agreement import bootstrap_ci, krippendorff_alpha

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ROOT.parent / "shared" / "external" / "crowd-truth-inference" / "product"


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def bench_alpha(n_units: int, n_raters: int, repeat: int) -> None:
    gen = np.random.default_rng(0)
    truth = gen.integers(1, 6, n_units)
    noisy = np.where(gen.random((n_raters, n_units)) < 0.7, truth, gen.integers(1, 6, (n_raters, n_units)))
    matrix = noisy.astype(float)
    matrix[gen.random(matrix.shape) < 0.2] = np.nan
    r, u = np.nonzero(~np.isnan(matrix))
    long = pd.DataFrame(
        {"item_id": u, "annotator_id": np.char.add("ann_", r.astype(str)), "label": matrix[r, u].astype(np.int64)}
    )
    print(f"\n== Krippendorff's alpha: {n_units:,} units x {n_raters} annotators, "
          f"{len(long):,} ratings (20% missing) ==")
    krippendorff_alpha(long)  # warm-up of both (lazy imports, allocator), not timed
    krippendorff.alpha(matrix, level_of_measurement="nominal")
    for level in ("nominal", "interval"):
        t_ours, a_ours = best_of(lambda level=level: krippendorff_alpha(long, level=level), repeat)
        t_ref, a_ref = best_of(lambda level=level: krippendorff.alpha(matrix, level_of_measurement=level), repeat)
        print(f"{level:9s} ours (long table, incl. conversion) {t_ours:.4f} s  alpha={a_ours:.6f}")
        print(f"{level:9s} krippendorff (ready matrix)         {t_ref:.4f} s  alpha={a_ref:.6f}")
        print(f"{level:9s} ratio krippendorff/ours = {t_ref / t_ours:.2f}x  (>1: ours faster); "
              f"|diff| = {abs(a_ours - a_ref):.1e}")


def bench_bootstrap(n_items: int, n_raters: int, n_resamples: int, n_slow: int) -> None:
    gen = np.random.default_rng(1)
    truth = gen.integers(1, 4, n_items)
    lab = np.where(gen.random((n_items, n_raters)) < 0.8, truth[:, None], gen.integers(1, 4, (n_items, n_raters)))
    long = pd.DataFrame({"item_id": np.repeat(np.arange(n_items), n_raters).astype(str),
                         "annotator_id": np.tile(np.arange(n_raters), n_items).astype(str),
                         "label": lab.ravel()})
    print(f"\n== bootstrap_ci of Krippendorff's alpha: {n_items} items x {n_raters} annotators ==")
    t_fast, ci = best_of(lambda: bootstrap_ci(krippendorff_alpha, long, n_resamples=n_resamples, rng=0), 3)
    t_slow, ci_slow = best_of(
        lambda: bootstrap_ci(lambda d: krippendorff_alpha(d), long, n_resamples=n_slow, rng=0), 1
    )
    print(f"closed form (per-item coincidences): {n_resamples} resamples in {t_fast:.3f} s "
          f"({t_fast / n_resamples * 1e3:.3f} ms/resample); {ci.summary()}")
    print(f"recomputing alpha on resampled tables: {n_slow} resamples in {t_slow:.3f} s "
          f"({t_slow / n_slow * 1e3:.3f} ms/resample); CI [{ci_slow.low:.3f}, {ci_slow.high:.3f}]")
    print(f"ratio per resample (recompute / closed form) = {(t_slow / n_slow) / (t_fast / n_resamples):.0f}x")


def bench_kappa_ci(n_items: int, n_resamples: int, n_slow: int) -> None:
    from sklearn.metrics import cohen_kappa_score

    from workbench._internal.stats import multinomial_weights, percentile_interval
    from workbench.agreement import cohens_kappa_ci

    gen = np.random.default_rng(2)
    a = gen.integers(0, 4, n_items)
    b = np.where(gen.random(n_items) < 0.7, a, gen.integers(0, 4, n_items))
    print(f"\n== cohens_kappa_ci: {n_items} items, 4 labels ==")
    t_ours, ci = best_of(lambda: cohens_kappa_ci(a, b, n_resamples=n_resamples, rng=0), 3)

    def naive() -> tuple[float, float]:
        draws = next(multinomial_weights(np.random.default_rng(0), n_items, n_slow)).astype(int)
        return percentile_interval([cohen_kappa_score(np.repeat(a, w), np.repeat(b, w)) for w in draws], 0.95)

    t_ref, _ = best_of(naive, 1)
    print(f"ours (one matrix product over one-hot cells): {n_resamples} resamples in {t_ours:.3f} s "
          f"({t_ours / n_resamples * 1e3:.3f} ms/resample); {ci.summary()}")
    print(f"sklearn cohen_kappa_score per resample: {n_slow} resamples in {t_ref:.3f} s "
          f"({t_ref / n_slow * 1e3:.3f} ms/resample)")
    print(f"ratio per resample (sklearn loop / ours) = {(t_ref / n_slow) / (t_ours / n_resamples):.0f}x")


def synthetic_tasks(n_tasks: int, n_workers: int, per_task: int, k: int, rng: int = 0):
    gen = np.random.default_rng(rng)
    truth = gen.integers(0, k, n_tasks)
    skill = gen.uniform(0.55, 0.95, n_workers)  # P(correct); errors uniform over other labels
    # each task gets per_task distinct workers
    workers = np.argsort(gen.random((n_tasks, n_workers)), axis=1)[:, :per_task] if n_workers <= 2000 else None
    task = np.repeat(np.arange(n_tasks), per_task)
    worker = workers.ravel()
    correct = gen.random(len(task)) < skill[worker]
    wrong = (truth[task] + gen.integers(1, k, len(task))) % k
    label = np.where(correct, truth[task], wrong)
    df = pd.DataFrame({"task": task.astype(str), "worker": worker.astype(str), "label": label})
    return df, pd.Series(truth, index=np.arange(n_tasks).astype(str))


def bench_ds(name: str, df: pd.DataFrame, truth: pd.Series, tol: float, max_iter: int, repeat: int) -> None:
    ours_in = df.rename(columns={"task": "item_id", "worker": "annotator_id"})
    print(f"\n== Dawid-Skene on {name}: {df['task'].nunique():,} tasks, {df['worker'].nunique():,} "
          f"workers, {len(df):,} labels; tol={tol:g}, max_iter={max_iter} ==")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ours, res = best_of(lambda: dawid_skene(ours_in, tol=tol, max_iter=max_iter), repeat)
        t_ck, ck = best_of(lambda: DawidSkene(n_iter=max_iter, tol=tol).fit(df), max(1, repeat // 2))
    it_ours, it_ck = res.n_iter, len(ck.loss_history_)
    acc_ours = float((res.labels.reindex(truth.index).astype(str) == truth.astype(str)).mean())
    acc_ck = float((ck.labels_.reindex(truth.index).astype(str) == truth.astype(str)).mean())
    per_ours, per_ck = t_ours / it_ours, t_ck / it_ck
    print(f"ours      : {t_ours:8.3f} s to convergence, {it_ours:3d} iterations "
          f"(converged={res.converged}), {per_ours * 1e3:8.2f} ms/iteration, "
          f"{per_ours / len(df) * 1e9:6.1f} ns/label/iteration, accuracy {acc_ours:.4f}")
    print(f"crowd-kit : {t_ck:8.3f} s to convergence, {it_ck:3d} iterations "
          f"(stopped before max: {it_ck < max_iter}), {per_ck * 1e3:8.2f} ms/iteration, "
          f"{per_ck / len(df) * 1e9:6.1f} ns/label/iteration, accuracy {acc_ck:.4f}")
    t_setup, coded = best_of(lambda: code_annotations(ours_in, item="item_id", annotator="annotator_id", label="label"), repeat)
    t_em, _ = best_of(lambda: dawid_skene_em(coded, it_ours, 1e-300, 0.0), repeat)
    print(f"ours, parts: validation + integer coding {t_setup:.3f} s; EM loop alone "
          f"{t_em / it_ours * 1e3:.2f} ms/iteration ({t_em / it_ours / len(df) * 1e9:.1f} ns/label/iteration)")
    print(f"ratio crowd-kit/ours: per iteration {per_ck / per_ours:.1f}x, to convergence "
          f"{t_ck / t_ours:.1f}x; accuracy difference (ours - crowd-kit) {acc_ours - acc_ck:+.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, one repeat")
    args = parser.parse_args()
    repeat = 1 if args.quick else 5
    scale = 10 if args.quick else 1
    print("Timings are wall-clock, best of the repeats, on a possibly shared CPU.")
    bench_alpha(100_000 // scale, 5, repeat)
    bench_bootstrap(500, 5, 1000, 100 // scale)
    bench_kappa_ci(2_000, 1_000, 200 // scale)
    tol, max_iter = 1e-5, 100  # crowd-kit's default tolerance, applied to both
    if PRODUCT.is_dir():
        ans = pd.read_csv(PRODUCT / "answer.csv", dtype=str)
        truth = pd.read_csv(PRODUCT / "truth.csv", dtype=str).set_index("question")["truth"]
        df = ans.rename(columns={"question": "task", "worker": "worker", "answer": "label"})
        for product_tol in (tol, tol / 10):
            bench_ds("product", df, truth, product_tol, max_iter, repeat)
    else:
        print(f"\n(product data not found at {PRODUCT}; skipped)")
    df, truth = synthetic_tasks(100_000 // scale, 1_000, 5, 3)
    bench_ds("synthetic (3 classes)", df, truth, tol, max_iter, max(1, repeat // 2))


if __name__ == "__main__":
    main()
