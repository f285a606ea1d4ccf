"""Speed of the review store, the queue and calibration beside plain anchors, same inputs.

Run: ``python benchmarks/review.py [--quick]``. Prints wall times and ratios. The machine may
be shared: compare the ratios, not the absolute times.

1. ReviewStore.record (validation, JSON, RETURNING, one committed transaction per decision)
   vs a bare ``sqlite3`` INSERT + COMMIT per row into the same WAL database, at
   synchronous=NORMAL and FULL.
2. One review step (queue.next + queue.submit) on 5,000 items with 2,000 events already in
   the store: the latency a reviewer waits after each key press.
3. calibrate(): F1-best threshold + 1,000 bootstrap resamples on 2,000 items (vectorised
   weighted cumulative sums) vs a loop refitting with ``sklearn.metrics.precision_recall_curve``
   on each resample (the same resamples), and the point estimates of both.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve

from workbench.calibration import calibrate
from workbench.review import ReviewQueue, ReviewStore


def bench_store(n: int, sync: str) -> tuple[float, float]:
    tmp = Path(tempfile.mkdtemp())
    store = ReviewStore(tmp / "ours.sqlite", synchronous=sync)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    for i in range(n):
        store.record(f"item-{i}", "alice", "Acceptable", tags=("a",), note="n")
    ours = time.perf_counter() - t0
    conn = sqlite3.connect(tmp / "bare.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={sync}")
    conn.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, item TEXT, reviewer TEXT, decision TEXT, tags TEXT, note TEXT, t TEXT)")
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO e (item, reviewer, decision, tags, note, t) VALUES (?,?,?,?,?,?)",
                     (f"item-{i}", "alice", "Acceptable", '["a"]', "n", "2026-01-01T00:00:00"))
        conn.execute("COMMIT")
    bare = time.perf_counter() - t0
    return ours, bare


def bench_queue(n_items: int, n_events: int, steps: int) -> float:
    tmp = Path(tempfile.mkdtemp())
    store = ReviewStore(tmp / "q.sqlite", synchronous="NORMAL")
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(n_items)], "text": "x"})
    other = ReviewQueue(items, store, reviewer="other", rng=1)
    for _ in range(n_events):
        other.submit(other.next(), "Acceptable")
    q = ReviewQueue(items, store, reviewer="me", rng=2)
    t0 = time.perf_counter()
    for _ in range(steps):
        q.submit(q.next(), "Unsafe")
    return (time.perf_counter() - t0) / steps


def bench_calibration(n: int, n_resamples: int) -> None:
    g = np.random.default_rng(0)
    s = g.lognormal(6, 1, n)
    y = g.uniform(size=n) < np.where(s > 1500, 0.9, 0.08)
    scores = pd.DataFrame({"item_id": np.arange(n).astype(str), "perplexity": s})
    dec = pd.DataFrame({"item_id": scores["item_id"], "decision": np.where(y, "Poor quality", "Acceptable")})
    t0 = time.perf_counter()
    res = calibrate(scores, dec, metric="perplexity", n_resamples=n_resamples, rng=0)
    ours = time.perf_counter() - t0

    def best_threshold(yy: np.ndarray, ss: np.ndarray) -> float:
        p, r, t = precision_recall_curve(yy, ss)
        f = np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-300), 0)[:-1]
        return float(t[np.argmax(f)])

    idx = g.integers(0, n, size=(n_resamples, n))
    t0 = time.perf_counter()
    boot = np.array([best_threshold(y[i], s[i]) for i in idx])
    anchor = time.perf_counter() - t0
    point = best_threshold(y, s)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    print(f"3. calibrate, {n:,} items, {n_resamples:,} resamples: ours {ours:.2f} s, "
          f"sklearn loop {anchor:.2f} s, ratio anchor/ours {anchor / ours:.1f}x")
    print(f"   threshold ours {res.threshold:,.1f} (flags > ; CI {res.ci_low:,.1f}-{res.ci_high:,.1f}); "
          f"sklearn F1-best flags >= {point:,.1f} (CI {lo:,.1f}-{hi:,.1f}); "
          f"same items flagged: {bool(((s > res.threshold) == (s >= point)).all())}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 300 if args.quick else 2000
    for sync in ("NORMAL", "FULL"):
        ours, bare = bench_store(n, sync)
        print(f"1. record x{n:,} synchronous={sync}: ours {n / ours:,.0f}/s, bare sqlite3 {n / bare:,.0f}/s, "
              f"ratio ours/bare time {ours / bare:.2f}")
    per_step = bench_queue(5000, 500 if args.quick else 2000, 50 if args.quick else 200)
    print(f"2. queue step (next + submit), 5,000 items: {per_step * 1000:.1f} ms per decision")
    bench_calibration(2000, 200 if args.quick else 1000)


if __name__ == "__main__":
    main()
