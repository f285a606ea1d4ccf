"""Drift detection: false-alarm rate on null data, detection on planted data, speed at 1M rows.

Run: ``.venv/bin/python benchmarks/drift.py [--seeds 100] [--planted 20] [--rows 1000000]``

1. False alarms: ``detect_drift`` (annotator and cohort levels, both metrics) on
   ``--seeds`` null data sets from ``samples.make_reviews(drift_annotator=None,
   cohort_confusion=False)``; prints how many had any alert (goal: at most 5 of 100).
2. Detection: on ``--planted`` fresh planted data sets, how often the drifting annotator is
   alerted with its change time within ±7 days, and how often the top root cause is the
   planted cohort × category.
3. Speed: ``--rows`` judgments (timestamps as ISO strings, as read from CSV) through
   ``detect_drift`` (goal < 10 s), beside the anchor: statsmodels ``breaks_cusumolsresid``
   called per sequence on the same sequences (same statistic, checked equal), and a pandas
   groupby-apply leave-one-out majority on a slice. Timings on a shared CPU are noisy;
   compare the ratios.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.diagnostic import breaks_cusumolsresid

from workbench import samples
from workbench.drift import changepoint_tests, consensus_agreement, detect_drift, segment_errors


def false_alarms(n_seeds: int) -> None:
    alerting = 0
    n_alerts = 0
    t0 = time.perf_counter()
    for seed in range(n_seeds):
        s = samples.make_reviews(drift_annotator=None, cohort_confusion=False, rng=seed)
        res = detect_drift(s.tables["reviews_10x5000"], gold=s.tables["reviews_10x5000_gold"],
                           levels=("annotator_id", "cohort"))
        alerting += not res.alerts.empty
        n_alerts += len(res.alerts)
    lo, hi = stats.binomtest(alerting, n_seeds).proportion_ci(method="exact")
    print(f"[null] {n_seeds} null data sets (10 annotators + 2 cohorts x 2 metrics = 24 tests each, "
          f"alpha=0.01 family-wise): {alerting} with any alert ({n_alerts} alerts in all); "
          f"false-alarm rate {alerting / n_seeds:.1%} (95% CI {lo:.1%}-{hi:.1%}); "
          f"clean in {n_seeds - alerting} of {n_seeds}  [{time.perf_counter() - t0:.0f} s]")


def planted(n_seeds: int) -> None:
    found = within = top_ok = 0
    offsets = []
    for seed in range(100, 100 + n_seeds):
        s = samples.make_reviews(rng=seed)
        ann, gold = s.tables["reviews_10x5000"], s.tables["reviews_10x5000_gold"]
        res = detect_drift(ann, gold=gold, levels=("annotator_id", "cohort"))
        who = s.truth["drift"]["annotator"]
        mine = res.alerts[res.alerts["annotator_id"] == who]
        if not mine.empty:
            found += 1
            best = mine.sort_values("p_adjusted").iloc[0]
            off = (best["changed_at"] - pd.Timestamp(s.truth["drift"]["change_timestamp"])) / pd.Timedelta("1D")
            offsets.append(off)
            within += abs(off) <= 7
        rc = segment_errors(ann, gold=gold)
        cc = s.truth["cohort_confusion"]
        top = rc.iloc[0]
        top_ok += bool(top["cohort"] == cc["cohort"] and top["category"] == cc["category"])
    off = np.array(offsets)
    print(f"[planted] {n_seeds} planted data sets: drifting annotator alerted in {found}, change "
          f"time within ±7 days in {within} (median offset {np.median(off):+.1f} days, "
          f"worst {off[np.argmax(np.abs(off))]:+.1f}); top root cause = planted cohort × category "
          f"in {top_ok}")


def speed(rows: int) -> None:
    per_item = 3
    n_items = rows // per_item
    t0 = time.perf_counter()
    s = samples.make_reviews(n_items=n_items, n_annotators=100, per_item=per_item,
                            drift_annotator="ann_003", rng=0)
    ann = s.tables["reviews_10x5000"]
    gold = s.tables["reviews_10x5000_gold"]
    print(f"[speed] generated {len(ann):,} judgments, {ann['annotator_id'].nunique()} annotators, "
          f"{len(gold):,} gold items in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    res = detect_drift(ann, gold=gold, levels=("annotator_id", "cohort"))
    ours = time.perf_counter() - t0
    print(f"[speed] detect_drift on {len(ann):,} judgments (ISO-string timestamps, gold + consensus, "
          f"annotator + cohort levels, {res.tests['p_value'].notna().sum()} sequences): "
          f"{ours:.2f} s (goal < 10 s): {'OK' if ours < 10 else 'SLOW'}")

    # anchor: statsmodels breaks_cusumolsresid per annotator sequence, same statistic
    df = ann.assign(_t=pd.to_datetime(ann["timestamp"]), _c=consensus_agreement(ann))
    df = df[df["_c"].notna()].sort_values(["annotator_id", "_t"])
    codes, _ = pd.factorize(df["annotator_id"], sort=True)
    x = df["_c"].to_numpy()
    t0 = time.perf_counter()
    mine = changepoint_tests(x, codes, df["_t"].to_numpy(), direction="both", min_segment=0.05)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [breaks_cusumolsresid(g - g.mean())[1] for _, g in
           pd.Series(x).groupby(codes, sort=True)]
    t_ref = time.perf_counter() - t0
    np.testing.assert_allclose(mine["p_value"].to_numpy(), ref, rtol=1e-8)
    print(f"[anchor] two-sided CUSUM test on {len(x):,} judgments / {len(ref)} sequences: ours "
          f"{t_ours * 1e3:.0f} ms (test + ML change point), statsmodels breaks_cusumolsresid loop "
          f"{t_ref * 1e3:.0f} ms (test only); p-values equal; ratio {t_ref / t_ours:.1f}x")

    # anchor: naive pandas leave-one-out majority on a slice
    sl = ann.iloc[:3_000]
    t0 = time.perf_counter()
    fast = consensus_agreement(sl)
    t_fast = time.perf_counter() - t0

    def _loo(g: pd.DataFrame) -> pd.Series:
        out = []
        for i in range(len(g)):
            vc = g["label"].drop(g.index[i]).value_counts()
            out.append(np.nan if vc.empty or (vc == vc.max()).sum() > 1
                       else float(vc.idxmax() == g["label"].iloc[i]))
        return pd.Series(out, index=g.index)

    t0 = time.perf_counter()
    slow = sl.groupby("item_id", group_keys=False)[["label"]].apply(_loo).reindex(sl.index)
    t_slow = time.perf_counter() - t0
    np.testing.assert_array_equal(fast.to_numpy(), slow.to_numpy())
    print(f"[anchor] leave-one-out majority on {len(sl):,} judgments: ours {t_fast * 1e3:.0f} ms, "
          f"pandas groupby-apply {t_slow * 1e3:.0f} ms; equal; ratio {t_slow / t_fast:.0f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--planted", type=int, default=20)
    ap.add_argument("--rows", type=int, default=1_000_000)
    a = ap.parse_args()
    speed(a.rows)
    planted(a.planted)
    false_alarms(a.seeds)


if __name__ == "__main__":
    main()
