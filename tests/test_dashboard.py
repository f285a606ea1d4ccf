"""The quality dashboard: snapshots of a review store, the page's text, and the live server.

The unit tests build stores with known decisions and check every KPI the page shows against
counts made by hand (and Cohen's kappa against scikit-learn). The browser test starts
``workbench dashboard`` on a temporary store, sees ``0 decisions``, lets another process record
7 decisions through ``ReviewStore.record`` and waits for ``7 decisions`` without a reload.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from tests.test_browser import CHROMIUM_FLAGS, _chromium, _free_port
from workbench import dashboard
from workbench.errors import WorkbenchError
from workbench.review import ReviewStore

ROOT = Path(__file__).resolve().parents[1]
NOW = pd.Timestamp("2026-03-04 15:00", tz="UTC")


def _store(path: Path) -> ReviewStore:
    return ReviewStore(path, synchronous="NORMAL")


@pytest.fixture
def known(tmp_path: Path) -> tuple[Path, Path]:
    """Two reviewers: 6 overlap items, gold on 4 items, one undone decision, one skip."""
    path = tmp_path / "reviews.sqlite"
    a = ["ok", "ok", "bad", "bad", "ok", "bad"]
    b = ["ok", "bad", "bad", "bad", "ok", "ok"]
    with _store(path) as s:
        t0 = pd.Timestamp("2026-03-03 10:00", tz="UTC")
        for i, (da, db) in enumerate(zip(a, b, strict=True)):
            s.record(f"x{i}", "alice", da, queue="q1", created_at=t0 + pd.Timedelta(minutes=i),
                     meta={"planned": 10})
            s.record(f"x{i}", "bob", db, queue="q1", created_at=NOW - pd.Timedelta(minutes=30 - i),
                     meta={"planned": 8})
        s.record("y0", "alice", "bad", queue="q2", created_at=t0 + pd.Timedelta(minutes=7))
        s.undo("alice", queue="q2", created_at=t0 + pd.Timedelta(minutes=8))
        s.skip("y1", "alice", queue="q2", created_at=t0 + pd.Timedelta(minutes=9))
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"item_id": ["x0", "x1", "x2", "x3"], "label": ["ok", "ok", "bad", "ok"]}).to_csv(gold, index=False)
    return path, gold


def test_snapshot_counts_match_the_store(known: tuple[Path, Path]) -> None:
    path, gold = known
    cfg = dashboard.DashboardConfig(store=path, gold=gold)
    snap = dashboard.read_snapshot(cfg, now=NOW)
    assert snap.state == "ok"
    assert snap.n_decisions == 12  # the undone decision does not count, the skip is no decision
    assert snap.n_today == 6  # bob's decisions are on NOW's date
    assert snap.n_reviewers == 2
    a = ["ok", "ok", "bad", "bad", "ok", "bad"]
    b = ["ok", "bad", "bad", "bad", "ok", "ok"]
    assert snap.mean_kappa == pytest.approx(cohen_kappa_score(a, b))
    # gold: alice 3/4 right (x3 wrong), bob 2/4 (x1, x3 wrong) -> pooled 5/8
    assert snap.n_gold == 8
    assert snap.gold_accuracy == pytest.approx(5 / 8)
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(5, 8, alpha=0.05, method="wilson")
    assert snap.gold_ci == pytest.approx((low, high))
    backlog = snap.backlog.set_index("queue")
    # q1: a plan of 10 items (alice's queue recorded 10, bob's 8), 6 distinct items handled by
    # anyone -> 4 left; the second reviewer shares the backlog instead of adding to it (issue 28)
    assert backlog.loc["q1", "backlog"] == 4
    assert backlog.loc["q1", "handled"] == 6 and backlog.loc["q1", "planned"] == 10
    assert np.isnan(backlog.loc["q2", "backlog"])
    html = dashboard.tiles_html(snap)
    assert "12 decisions" in html and "62.5%" in html


def test_empty_missing_and_foreign_stores_give_a_message(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    _store(empty).close()
    snap = dashboard.read_snapshot(empty)
    assert snap.state == "empty" and snap.message == "no decisions yet"
    assert "0 decisions" in dashboard.tiles_html(snap)

    missing = dashboard.read_snapshot(tmp_path / "nope.sqlite")
    assert missing.state == "error" and "nope.sqlite" in missing.message
    page = dashboard.tiles_html(missing)  # no count for a store nobody could read (issue 28)
    assert "0 decisions" not in page and "—" in page and "cannot read the store" in page

    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    bad = dashboard.read_snapshot(junk)
    assert bad.state == "error" and "junk.sqlite" in bad.message

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    foreign = dashboard.read_snapshot(other)
    assert foreign.state == "error" and "events table" in foreign.message


def test_snapshot_reads_while_a_writer_holds_the_lock(known: tuple[Path, Path]) -> None:
    """A writer in the middle of a transaction does not stop the page (WAL readers see the
    last commit) and the page does not block the writer."""
    path, _ = known
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO events (kind, item_id, reviewer, decision, created_at) "
        "VALUES ('decision', 'z', 'carol', 'ok', '2026-03-04T14:00:00+00:00')"
    )
    snap = dashboard.read_snapshot(path, now=NOW)
    assert snap.state == "ok" and snap.n_decisions == 12
    writer.execute("COMMIT")
    writer.close()
    assert dashboard.read_snapshot(path, now=NOW).n_decisions == 13


def test_page_escapes_names_from_the_store(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with _store(path) as s:
        s.record("<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "ok",
                 queue="<b onmouseover=x>")
    html = dashboard.tiles_html(dashboard.read_snapshot(path))
    assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;" in html


def test_headlines_from_run_manifests(known: tuple[Path, Path], tmp_path: Path) -> None:
    path, _ = known
    reports = tmp_path / "reports"
    for report, when, head in [
        ("annotation_reliability", "2026-03-01T10:00:00+00:00", "alpha 0.80 — acceptance met"),
        ("annotation_reliability", "2026-03-02T10:00:00+00:00", "alpha 0.43 — acceptance not met"),
        ("annotator_drift", "2026-03-02T11:00:00+00:00", "ann_03 drifted on 2026-02-16"),
    ]:
        run = reports / report / when[:10]
        run.mkdir(parents=True)
        (run / "manifest.json").write_text(json.dumps(
            {"report": report, "run_id": when[:10], "status": "succeeded", "started_at": when,
             "finished_at": when, "parameters": {}, "headlines": [head]}))
    (reports / "broken").mkdir()
    (reports / "broken" / "manifest.json").write_text("{not json")
    snap = dashboard.read_snapshot(dashboard.DashboardConfig(store=path, reports=reports), now=NOW)
    assert [r.report for r in snap.runs] == ["annotator_drift", "annotation_reliability", "annotation_reliability"]
    html = dashboard.tiles_html(snap)
    assert "alpha 0.43 — acceptance not met" in html  # the latest verdict
    assert "alpha 0.80" not in html
    assert "ann_03 drifted" in html
    no_runs = dashboard.tiles_html(dashboard.read_snapshot(path, now=NOW))
    assert "No runs yet" in no_runs


def test_configure_reads_the_dashboard_command_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKBENCH_DASHBOARD_STORE", str(tmp_path / "s.sqlite"))
    monkeypatch.setenv("WORKBENCH_DASHBOARD_REFRESH", "2.5")
    cfg = dashboard.configure(store_path="ignored.sqlite", refresh_s=10)
    assert cfg.live and cfg.store == tmp_path / "s.sqlite" and cfg.refresh_s == 2.5
    monkeypatch.setenv("WORKBENCH_DASHBOARD_REFRESH", "0.1")
    with pytest.raises(dashboard.WorkbenchError, match="at least 0.5 seconds"):
        dashboard.configure()


def test_live_widget_refresh_updates_tiles_and_charts(known: tuple[Path, Path]) -> None:
    path, _ = known
    page = dashboard.Dashboard(dashboard.DashboardConfig(store=path, live=True))
    box = page.widget()
    tiles, bars = box.children[0], box.children[1]
    assert "12 decisions" in tiles.value
    with _store(path) as s:
        s.record("new-item", "carol", "ok", created_at=NOW)
    page.refresh()
    assert "13 decisions" in tiles.value
    assert "carol" in {t.name for t in bars.data}


# -- the live server in a real browser ------------------------------------------------------
_WRITER = """
import sys, time
from workbench.review import ReviewStore
store = ReviewStore(sys.argv[1])
times = []
for i in range(7):
    t = time.perf_counter()
    store.record(f"item-{i}", "writer", "Acceptable", queue="live")
    times.append(time.perf_counter() - t)
print(max(times))
"""


@pytest.mark.browser
@pytest.mark.slow
def test_dashboard_in_a_browser_follows_the_store(tmp_path: Path) -> None:
    pytest.importorskip("voila", reason="voila is not installed")
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    store = tmp_path / "reviews.sqlite"
    _store(store).close()
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    refresh = 2.0
    server = subprocess.Popen(
        [sys.executable, "-m", "workbench", "dashboard", str(store), "--port", str(port),
         "--refresh", str(refresh)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "dashboard of ... at URL (Ctrl-C stops it)"
        assert f"http://127.0.0.1:{port}/" in line, line
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1400})
            page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
            page.get_by_text("0 decisions").first.wait_for(timeout=120_000)
            assert "No decisions yet" in page.content()
            writer = subprocess.run([sys.executable, "-c", _WRITER, str(store)], env=env,
                                    capture_output=True, text=True, timeout=60, check=True)
            written = time.monotonic()
            slowest_write = float(writer.stdout.strip().splitlines()[-1])
            page.get_by_text("7 decisions").first.wait_for(timeout=int(2 * refresh * 1000) + 3000)
            seen_after = time.monotonic() - written
            assert "Traceback" not in page.content()
            browser.close()
        assert slowest_write < 1.0, f"a write took {slowest_write:.2f} s while the page was reading"
        assert seen_after <= 2 * refresh + 3
    finally:
        server.send_signal(2)  # Ctrl-C
        try:
            out, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)  # the server and its Voilà child, which holds the pipe too
            out, _ = server.communicate(timeout=30)
            out += "\n(killed: Ctrl-C did not stop it within 30 s)"
    assert server.returncode == 0, out
    assert "dashboard stopped" in out


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["SIGINT-while-ignored", "SIGTERM"])
def test_dashboard_server_stops_voila_on_ctrl_c_or_sigterm(tmp_path: Path, sig: str) -> None:
    # A parent that ignores SIGINT (some process managers and test runners do) passes that on
    # to Python, which then never raises KeyboardInterrupt; SIGTERM skips finally blocks. In
    # both cases the Voilà child used to outlive `workbench dashboard` (found in a clean-clone
    # run: a test then waited forever on the pipe the orphan held open).
    pytest.importorskip("voila", reason="voila is not installed")
    import signal
    import socket

    store = tmp_path / "reviews.sqlite"
    _store(store).close()
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ignore = sig.startswith("SIGINT")
    server = subprocess.Popen(
        [sys.executable, "-m", "workbench", "dashboard", str(store), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore else None,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line
        server.send_signal(signal.SIGINT if ignore else signal.SIGTERM)
        out, _ = server.communicate(timeout=30)  # returns only once Voilà, which shares the pipe, is gone too
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 9)
            server.communicate(timeout=30)
    assert "dashboard stopped" in out, out
    assert server.returncode == 0
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "Voilà still answers on the port"


def test_vectorised_reviewer_agreement_equals_cohens_kappa_per_pair() -> None:
    """reviewer_agreement computes every pair's kappa in one pass; it must equal
    agreement.cohens_kappa (and scikit-learn) pair by pair, including undefined pairs."""
    from workbench.agreement import cohens_kappa
    from workbench.review.kpis import reviewer_agreement

    gen = np.random.default_rng(3)
    rows = []
    for item in range(300):
        for r in gen.choice(["ann", "bob", "cy", "dee"], size=int(gen.integers(1, 4)), replace=False):
            rows.append({"item_id": f"i{item}", "reviewer": r, "decision": str(gen.choice(["ok", "bad", "unsafe"]))})
    # a pair with one shared label only: kappa undefined
    rows += [{"item_id": f"s{i}", "reviewer": r, "decision": "ok"} for i in range(3) for r in ("eve", "fay")]
    d = pd.DataFrame(rows)
    out = reviewer_agreement(d)
    assert len(out) == 7
    for row in out.itertuples():
        a = d[d["reviewer"] == row.reviewer_a].set_index("item_id")["decision"]
        b = d[d["reviewer"] == row.reviewer_b].set_index("item_id")["decision"]
        shared = a.index.intersection(b.index)
        assert row.n_items == len(shared)
        expected = cohens_kappa(a[shared], b[shared])
        if np.isnan(expected):
            assert np.isnan(row.kappa)
        else:
            assert row.kappa == pytest.approx(expected)
            assert row.kappa == pytest.approx(cohen_kappa_score(a[shared], b[shared]))


def test_event_log_reads_only_new_events_and_equals_a_full_read(known: tuple[Path, Path], tmp_path: Path) -> None:
    path, _ = known
    log = dashboard.EventLog()
    first = dashboard.read_snapshot(path, now=NOW, log=log)
    seen = log.last_id
    with _store(path) as s:
        s.record("late", "carol", "ok", created_at=NOW)
        s.undo("bob", created_at=NOW)  # cancels a decision read before
    calls: list[int] = []
    original = ReviewStore.events_since

    def spy(self: ReviewStore, event_id: int) -> list[tuple[object, ...]]:
        calls.append(event_id)
        return original(self, event_id)

    ReviewStore.events_since = spy  # type: ignore[method-assign]
    try:
        again = dashboard.read_snapshot(path, now=NOW, log=log)
    finally:
        ReviewStore.events_since = original  # type: ignore[method-assign]
    assert calls == [seen]  # only what came after the watermark
    fresh = dashboard.read_snapshot(path, now=NOW)
    assert again.n_decisions == fresh.n_decisions == first.n_decisions  # +1 carol, -1 undone bob
    assert again.mean_kappa == pytest.approx(fresh.mean_kappa)
    pd.testing.assert_frame_equal(again.per_reviewer, fresh.per_reviewer)
    # the store replaced by another file at the same path: read from the start
    path.unlink()
    for extra in path.parent.glob(path.name + "-*"):
        extra.unlink()
    with _store(path) as s:
        s.record("only", "dan", "ok")
    replaced = dashboard.read_snapshot(path, now=NOW, log=log)
    assert replaced.n_decisions == 1 and replaced.n_reviewers == 1


def test_a_few_quick_decisions_do_not_make_a_rate_and_too_fast_reviewers_are_named(tmp_path: Path) -> None:
    """Issue 28: 12 quick decisions gave 11,863 items/hour and moved the median tile."""
    path = tmp_path / "r.sqlite"
    with _store(path) as s:
        for i in range(40):  # a steady reviewer: 40 decisions, 30 s apart, 20 s on screen
            s.record(f"a{i}", "steady", "ok", created_at=NOW - pd.Timedelta(seconds=30 * (40 - i)), display_ms=20_000.0)
        for i in range(12):  # a reviewer who clicks through: 12 decisions in 4 s, 0.2 s on screen
            s.record(f"b{i}", "clicker", "ok", created_at=NOW - pd.Timedelta(milliseconds=300 * (12 - i)),
                     display_ms=200.0)
    snap = dashboard.read_snapshot(path, now=NOW)
    html = dashboard.tiles_html(snap)
    steady = float(snap.per_reviewer.set_index("reviewer").loc["steady", "items_per_hour"])
    assert f">{steady:.0f}<" in html  # the tile is the steady reviewer's rate alone
    assert "too fast to have read the items: clicker" in html


def test_a_live_page_shows_what_a_full_read_shows_after_every_refresh(tmp_path: Path) -> None:
    """The live page's incremental tallies (EventLog + LiveKPIs) equal a fresh full read:
    KPIs, gold table and CI, backlog, trends, today's count (issue 33)."""
    path = tmp_path / "live.sqlite"
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"item_id": [f"i{k}" for k in range(0, 30, 3)], "label": "ok"}).to_csv(gold, index=False)
    cfg = dashboard.DashboardConfig(store=path, gold=gold)
    gen = np.random.default_rng(5)
    log = dashboard.EventLog()
    t = NOW - pd.Timedelta(days=2)
    with _store(path) as s:
        for step in range(12):
            for _ in range(int(gen.integers(1, 15))):
                t += pd.Timedelta(minutes=float(gen.exponential(20)))
                who, item = f"r{int(gen.integers(4))}", f"i{int(gen.integers(30))}"
                queue = ["q1", "q2", ""][int(gen.integers(3))]
                u = gen.uniform()
                if u < 0.1:
                    try:
                        s.undo(who, created_at=t)
                    except WorkbenchError:
                        pass  # nothing of this reviewer's to undo yet
                elif u < 0.2:
                    s.skip(item, who, queue=queue, created_at=t, meta={"planned": int(gen.integers(10, 40))})
                else:
                    s.record(item, who, ["ok", "bad"][int(gen.integers(2))], queue=queue, created_at=t,
                             meta={"planned": int(gen.integers(10, 40))},
                             display_ms=float(gen.lognormal(7, 1)))
            live = dashboard.read_snapshot(cfg, now=NOW, log=log)
            full = dashboard.read_snapshot(cfg, now=NOW)
            assert live.state == full.state, step
            for name in ("n_events", "n_decisions", "n_today", "n_reviewers", "n_gold", "n_validated", "trend_freq"):
                assert getattr(live, name) == getattr(full, name), (step, name)
            for name in ("mean_kappa", "gold_accuracy", "cost_per_validated"):
                np.testing.assert_allclose(getattr(live, name), getattr(full, name), rtol=1e-9)
            np.testing.assert_allclose(live.gold_ci, full.gold_ci, rtol=1e-9)
            for name in ("per_reviewer", "agreement", "gold", "backlog", "trends"):
                pd.testing.assert_frame_equal(getattr(live, name).reset_index(drop=True),
                                              getattr(full, name).reset_index(drop=True), check_dtype=False,
                                              rtol=1e-9, obj=f"step {step}: {name}")
