"""Page load and refresh time of the quality dashboard on a big store, beside a plain read.

Run: ``python benchmarks/dashboard.py [--events 100000]``. Builds a review store with that many
events (decisions by 20 reviewers over 30 days, 20% overlap, 5% hidden gold, 2% undone),
then times:

1. page load: ``read_snapshot`` (a fresh read-only connection, every KPI) + the tiles' HTML +
   both figures — what the kernel does before the page appears;
2. the live page's first load (its event log and incremental KPIs built from every event),
   then a refresh after 50 more decisions (only the new events are read, checked and counted
   — what the timer does every period);
3. the anchor: a bare ``pandas.read_sql_query("SELECT * FROM events")`` on a fresh
   connection — the floor of any dashboard that reads the whole log.

The machine may be shared: compare the ratio, not the absolute times. Goals: a refresh under
1 s, and at most 0.1x the bare read (issue 33).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import dashboard
from workbench.review import ReviewStore


def build_store(path: Path, n_events: int, rng: int = 0) -> Path:
    """A store with ``n_events`` events, inserted in bulk (the schema made by ReviewStore)."""
    gen = np.random.default_rng(rng)
    ReviewStore(path, synchronous="NORMAL").close()
    reviewers = [f"reviewer-{k:02d}" for k in range(20)]
    start = pd.Timestamp("2026-01-01 08:00", tz="UTC")
    seconds = np.sort(gen.uniform(0, 30 * 86400, n_events))
    rows = []
    n_items = int(n_events / 1.2)
    for i in range(n_events):
        item = int(gen.integers(0, n_items))
        meta = {"planned": 6000}
        if item % 20 == 0:
            meta["gold"] = True
        rows.append(("decision", f"item-{item}", reviewers[i % 20],
                     "Acceptable" if gen.uniform() < 0.8 else "Poor quality", "[]", "", "main", "",
                     (start + pd.Timedelta(seconds=float(seconds[i]))).isoformat(), None, json.dumps(meta)))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO events (kind, item_id, reviewer, decision, tags, note, queue, session, created_at, "
        "undoes, meta) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    undone = gen.choice(np.arange(1, n_events + 1), size=n_events // 50, replace=False)
    conn.executemany(
        "INSERT INTO events (kind, item_id, reviewer, decision, created_at, undoes) "
        "SELECT 'undo', item_id, reviewer, NULL, created_at, event_id FROM events WHERE event_id = ?",
        [(int(e),) for e in undone])
    conn.execute("COMMIT")
    conn.close()
    return path


def page(cfg: dashboard.DashboardConfig, log: dashboard.EventLog | None = None,
         ) -> tuple[float, float, dashboard.DashboardSnapshot]:
    t0, c0 = time.perf_counter(), time.process_time()
    snap = dashboard.read_snapshot(cfg, log=log)
    dashboard.tiles_html(snap)
    dashboard.trend_figures(snap)
    return time.perf_counter() - t0, time.process_time() - c0, snap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    path = build_store(tmp / "big.sqlite", args.events)
    print(f"store with {args.events:,} events built in {time.perf_counter() - t0:.1f} s")
    items = pd.DataFrame({"item_id": [f"item-{k}" for k in range(0, args.events, 20)]})
    gold = tmp / "gold.csv"
    items.assign(label="Acceptable").to_csv(gold, index=False)
    cfg = dashboard.DashboardConfig(store=path, gold=gold)

    loads, load_cpu = [], []
    for _ in range(args.repeat):
        t, c, snap = page(cfg)
        loads.append(t)
        load_cpu.append(c)
    refreshes, refresh_cpu, firsts = [], [], []
    for r in range(args.repeat):
        log = dashboard.EventLog()  # the live page's log: it has read the store once already
        firsts.append(page(cfg, log)[0])
        with ReviewStore(path, synchronous="NORMAL") as s:
            for i in range(50):
                s.record(f"new-{r}-{i}", "reviewer-00", "Acceptable")
        t, c, snap2 = page(cfg, log)
        refreshes.append(t)
        refresh_cpu.append(c)
    anchors, anchor_cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        frame = pd.read_sql_query("SELECT * FROM events", conn)
        conn.close()
        anchors.append(time.perf_counter() - t0)
        anchor_cpu.append(time.process_time() - c0)
    print(f"{snap2.n_decisions:,} decisions in effect ({snap.n_decisions:,} before the new ones), "
          f"{len(frame):,} events; read_snapshot itself {snap2.read_seconds:.3f} s")
    load, refresh, anchor = min(loads), min(refreshes), min(anchors)
    print(f"(wall and CPU seconds, best of {args.repeat}; on a loaded machine trust the CPU column)")
    print(f"page load (snapshot + tiles + figures): {load:.3f} s wall, {min(load_cpu):.3f} s CPU")
    import resource

    print(f"live page, first load (log + tallies):  {min(firsts):.3f} s wall; peak memory of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB")
    print(f"refresh after 50 new decisions:         {refresh:.3f} s wall, {min(refresh_cpu):.3f} s CPU"
          f"  goal < 1 s: {'met' if refresh < 1 else 'NOT met'}")
    ratio = refresh / anchor
    print(f"anchor: bare read_sql of every event:   {anchor:.3f} s wall, {min(anchor_cpu):.3f} s CPU"
          f"  -> refresh / anchor = {ratio:.3f}x wall, {min(refresh_cpu) / min(anchor_cpu):.3f}x CPU"
          f"  goal <= 0.1x: {'met' if ratio <= 0.1 else 'NOT met'}")


if __name__ == "__main__":
    main()
