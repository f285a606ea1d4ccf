"""Speed of the review store, the queue and calibration beside plain anchors, same inputs.

Run: ``python benchmarks/review.py [--quick]``. Prints wall times and ratios. The machine may
be shared: compare the ratios, not the absolute times.

1. ReviewStore.record (validation, JSON, RETURNING, one committed transaction per decision)
   vs a bare ``sqlite3`` INSERT + COMMIT per row into the same WAL database, at
   synchronous=NORMAL and FULL.
2. One key press in the kernel (ReviewWidget.press: decide, store, next item, progress,
   history) on stores of 5,000 / 50,000 / 500,000 events by other reviewers, beside the
   anchor: the full re-read of every event that each key cost before the queue kept an
   event-id watermark (the same aggregate query over the same store). Goal: flat, < 30 ms.
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
from workbench.review import ReviewQueue, ReviewStore, ReviewWidget


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


def _fill(store: ReviewStore, n_events: int, n_items: int) -> None:
    """n_events by 40 other reviewers over 10x the queue's items (5% undone), in one go."""
    g = np.random.default_rng(0)
    rows = []
    for k in range(n_events):
        undo = k > 0 and k % 20 == 0
        rows.append((
            "undo" if undo else "decision", f"i{g.integers(0, 10 * n_items)}", f"r{k % 40}",
            None if undo else "Acceptable", "other", "s", f"2026-01-05T09:00:{k % 60:02d}.000000+00:00",
            k if undo else None,
        ))
    conn = store._conn
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO events (kind, item_id, reviewer, decision, queue, session, created_at, undoes) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")


def bench_keys(n_events: int, n_items: int, keys: int, sync: str) -> tuple[float, float, float, float, float]:
    """(ms per key: median wall, 95th percentile wall, mean CPU; ms of the anchor's full
    re-read; s to open). CPU time is what the kernel itself spends; on a shared machine the
    wall time also holds the wait for a core."""
    tmp = Path(tempfile.mkdtemp())
    store = ReviewStore(tmp / "q.sqlite", synchronous=sync)  # type: ignore[arg-type]
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(n_items)], "text": "x"})
    _fill(store, n_events, n_items)
    t0 = time.perf_counter()
    w = ReviewWidget(ReviewQueue(items, store, reviewer="me", rng=2), min_display_ms=0)
    opened = time.perf_counter() - t0
    times = []
    cpu0 = time.process_time()
    for k in range(keys):
        t0 = time.perf_counter()
        w.press("12"[k % 2])
        times.append(time.perf_counter() - t0)
    cpu = (time.process_time() - cpu0) / keys * 1000
    t0 = time.perf_counter()
    for _ in range(5):  # the anchor: what each key used to read
        store.progress_of("me")
    anchor = (time.perf_counter() - t0) / 5
    ms = np.array(times) * 1000
    return float(np.median(ms)), float(np.quantile(ms, 0.95)), cpu, anchor * 1000, opened


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
    sizes = (5_000, 50_000) if args.quick else (5_000, 50_000, 500_000)
    for sync in ("NORMAL", "FULL"):
        for n_events in sizes:
            med, p95, cpu, anchor, opened = bench_keys(n_events, 20_000, 40 if args.quick else 200, sync)
            print(f"2. key press in the kernel, {n_events:>7,} events, synchronous={sync}: wall median "
                  f"{med:5.1f} ms, p95 {p95:5.1f} ms, CPU {cpu:4.1f} ms; anchor (re-read every event) "
                  f"{anchor:7.1f} ms per key, ratio anchor/ours {anchor / med:6.1f}x; first open {opened:.1f} s")
    bench_calibration(2000, 200 if args.quick else 1000)


if __name__ == "__main__":
    main()
