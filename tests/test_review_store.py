"""ReviewStore: append-only events, undo as an event, durability under SIGKILL, concurrency."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError
from workbench.review import ReviewStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    return ReviewStore(tmp_path / "reviews.sqlite", synchronous="NORMAL")


def test_record_returns_committed_event_visible_to_a_second_connection(store: ReviewStore) -> None:
    ev = store.record("doc-1", "alice", "Unsafe", tags=["violence", "gore"], note="graphic", queue="triage", session="s1")
    assert ev.event_id == 1 and ev.kind == "decision" and ev.tags == ("violence", "gore")
    # a fresh connection (another process would see the same) finds it without any flush
    with sqlite3.connect(store.path) as other:
        rows = other.execute("SELECT item_id, reviewer, decision, note, queue, session FROM events").fetchall()
    assert rows == [("doc-1", "alice", "Unsafe", "graphic", "triage", "s1")]
    assert other is not None
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_undo_is_a_new_event_and_latest_decisions_follow_it(store: ReviewStore) -> None:
    store.record("a", "alice", "Acceptable")
    store.record("b", "alice", "Unsafe")
    store.record("a", "bob", "Biased")
    cancelled = store.undo("alice")
    assert cancelled is not None and cancelled.item_id == "b" and cancelled.decision == "Unsafe"
    events = store.events()
    assert list(events["kind"]) == ["decision", "decision", "decision", "undo"]
    assert events.loc[3, "undoes"] == 2 and bool(events.loc[1, "undone"])
    latest = store.decisions()
    assert sorted(zip(latest["item_id"], latest["reviewer"], latest["decision"], strict=True)) == [
        ("a", "alice", "Acceptable"),
        ("a", "bob", "Biased"),
    ]
    history = store.decisions(latest=False)
    assert len(history) == 3 and history["undone"].tolist() == [False, True, False]
    # a second undo walks further back; with nothing left it returns None
    assert store.undo("alice").item_id == "a"
    assert store.undo("alice") is None
    assert store.decisions(reviewer="alice").empty


def test_latest_keeps_the_last_decision_per_item_and_reviewer(store: ReviewStore) -> None:
    store.record("a", "alice", "Acceptable")
    store.record("a", "alice", "Duplicate")
    assert store.decisions()["decision"].tolist() == ["Duplicate"]
    assert len(store.decisions(latest=False)) == 2


def test_skip_is_not_a_decision_but_can_be_undone(store: ReviewStore) -> None:
    store.skip("a", "alice")
    assert store.decisions().empty and len(store.active()) == 1
    assert store.undo("alice").kind == "skip"
    assert store.active().empty


def test_events_cannot_be_updated_or_deleted(store: ReviewStore) -> None:
    store.record("a", "alice", "Acceptable")
    with sqlite3.connect(store.path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE events SET decision = 'Unsafe'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM events")
    assert store.decisions()["decision"].tolist() == ["Acceptable"]


def test_bad_input_names_the_field_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="in-memory store would lose"):
        ReviewStore(":memory:")
    with pytest.raises(WorkbenchError, match="is a folder"):
        ReviewStore(tmp_path)
    bad = tmp_path / "not_sqlite.sqlite"
    bad.write_text("hello, this is not a database" * 100)
    with pytest.raises(WorkbenchError, match="cannot open"):
        ReviewStore(bad)
    store = ReviewStore(tmp_path / "r.sqlite")
    with pytest.raises(WorkbenchError, match="reviewer must be a non-empty string"):
        store.record("a", "", "Acceptable")
    with pytest.raises(WorkbenchError, match="decision must be a non-empty string"):
        store.record("a", "alice", None)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="choose 'decisions' or 'events'"):
        store.export(tmp_path / "x.csv", what="everything")  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trips(store: ReviewStore, tmp_path: Path, suffix: str) -> None:
    store.record("a", "alice", "Unsafe", tags=["x", "y"], created_at="2026-01-05 10:00")
    store.record("b", "alice", "Acceptable")
    store.undo("alice")
    out = store.export(tmp_path / f"decisions{suffix}")
    back = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert back["item_id"].tolist() == ["a"] and back["tags"].tolist() == ["x;y"]
    assert back["created_at"].astype(str).str.startswith("2026-01-05T10:00").all()
    events = store.export(tmp_path / f"events{suffix}", what="events")
    assert len(pd.read_csv(events) if suffix == ".csv" else pd.read_parquet(events)) == 3


_CHILD = textwrap.dedent(
    """
    import sys, time
    from workbench.review.store import ReviewStore
    store = ReviewStore(sys.argv[1], synchronous=sys.argv[3])
    reviewer = sys.argv[2]
    i = 0
    while True:
        ev = store.record(f"item-{i}", reviewer, "Acceptable" if i % 3 else "Unsafe", note="x" * 200)
        print(f"ack {ev.event_id} {ev.item_id}", flush=True)
        if i % 7 == 6:
            undone = store.undo(reviewer)
            print(f"undo {undone.event_id}", flush=True)
        i += 1
        if len(sys.argv) > 4 and i >= int(sys.argv[4]):
            break
    """
)


def _child(path: Path, reviewer: str, sync: str = "FULL", n: int | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", _CHILD, str(path), reviewer, sync] + ([] if n is None else [str(n)])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)


def test_sigkill_mid_session_loses_no_acknowledged_decision(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite"
    ReviewStore(path).close()
    proc = _child(path, "alice")
    acked: list[int] = []
    undone: list[int] = []
    assert proc.stdout is not None
    while len(acked) < 60:
        line = proc.stdout.readline()
        assert line, "the child died before acknowledging 60 decisions"
        kind, event_id, *_ = line.split()
        (acked if kind == "ack" else undone).append(int(event_id))
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the session, likely mid-write
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = ReviewStore(path)
    events = store.events()
    recorded = set(events.loc[events["kind"] == "decision", "event_id"])
    assert set(acked) <= recorded
    # every acknowledged undo is there too, and the store is consistent (no dangling undo)
    assert set(undone) <= set(events["undoes"].dropna().astype(int))
    latest = store.decisions()
    assert set(latest["event_id"]) == recorded - set(events["undoes"].dropna().astype(int))
    # the store stays writable after the crash
    store.record("after-crash", "bob", "Acceptable")
    assert len(store.decisions(reviewer="bob")) == 1


def test_two_processes_recording_concurrently_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    ReviewStore(path).close()
    n = 150
    procs = [_child(path, name, "NORMAL", n) for name in ("alice", "bob")]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    store = ReviewStore(path)
    events = store.events()
    for name, out in zip(("alice", "bob"), outputs, strict=True):
        acks = [int(line.split()[1]) for line in out.splitlines() if line.startswith("ack")]
        undos = [int(line.split()[1]) for line in out.splitlines() if line.startswith("undo")]
        assert len(acks) == n
        mine = events[events["reviewer"] == name]
        assert set(mine.loc[mine["kind"] == "decision", "event_id"]) == set(acks)
        # each undo cancelled this reviewer's own latest decision, never the other's
        assert set(mine.loc[mine["kind"] == "undo", "undoes"].astype(int)) == set(undos)
        assert len(store.decisions(reviewer=name)) == n - len(undos)
    assert events["event_id"].is_unique and len(events) == 2 * n + 2 * (n // 7)


def test_undo_is_atomic_across_two_connections(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite"
    a, b = ReviewStore(path), ReviewStore(path)
    a.record("x", "alice", "Unsafe")
    a.record("y", "alice", "Unsafe")
    first, second = a.undo("alice"), b.undo("alice")
    assert {first.item_id, second.item_id} == {"x", "y"}
    assert a.undo("alice") is None and b.undo("alice") is None


def test_busy_writer_waits_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite"
    store = ReviewStore(path, timeout_s=10)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    result: list[object] = []
    t = threading.Thread(target=lambda: result.append(store.record("a", "alice", "Acceptable")))
    t.start()
    time.sleep(0.5)
    assert not result  # still waiting on the lock
    blocker.execute("COMMIT")
    t.join(timeout=10)
    assert result and len(store.decisions()) == 1


# -- hypothesis: any interleaving of record / skip / undo by two reviewers matches a model --
_ops = st.lists(
    st.tuples(st.sampled_from(["record", "skip", "undo"]), st.sampled_from(["ann", "bob"]),
              st.sampled_from(["a", "b", "c"]), st.sampled_from(["Acceptable", "Unsafe"])),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(ops=_ops)
def test_store_matches_a_model_after_every_step(ops: list[tuple[str, str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = ReviewStore(Path(tmp) / "h.sqlite", synchronous="NORMAL")
        stacks: dict[str, list[tuple[str, str, str | None]]] = {"ann": [], "bob": []}  # (kind, item, decision)
        for op, who, item, decision in ops:
            if op == "record":
                store.record(item, who, decision)
                stacks[who].append(("decision", item, decision))
            elif op == "skip":
                store.skip(item, who)
                stacks[who].append(("skip", item, None))
            else:
                undone = store.undo(who)
                expected = stacks[who].pop() if stacks[who] else None
                assert (undone is None) == (expected is None)
                if undone is not None:
                    assert (undone.kind, undone.item_id, undone.decision) == expected
            latest: dict[tuple[str, str], str] = {}
            for w, stack in stacks.items():
                for kind, i, d in stack:
                    if kind == "decision":
                        latest[(i, w)] = d  # type: ignore[assignment]
            got = store.decisions()
            assert dict(zip(zip(got["item_id"], got["reviewer"], strict=True), got["decision"], strict=True)) == latest
            assert len(store.active()) == sum(len(s) for s in stacks.values())
        events = store.events()
        assert len(events) == len(ops) - sum(1 for op, *_ in ops if op == "undo") + int(events["kind"].eq("undo").sum())
        store.close()


def test_a_version_1_store_reads_without_display_times_and_is_upgraded_when_written(tmp_path: Path) -> None:
    """Schema version 2 adds events.display_ms: an older store opened read-only reads it as
    missing (nothing written); opened for writing it gets the column and version 2."""
    import sqlite3

    path = tmp_path / "v1.sqlite"
    with ReviewStore(path, synchronous="NORMAL") as s:
        s.record("doc-1", "alice", "Acceptable")
    with sqlite3.connect(path) as conn:  # rebuild it as version 1 wrote it: no display_ms
        conn.execute("ALTER TABLE events DROP COLUMN display_ms")
        conn.execute("PRAGMA user_version = 1")
    before = path.read_bytes()
    with ReviewStore(path, read_only=True) as s:
        got = s.decisions()
        assert got["item_id"].tolist() == ["doc-1"] and got["display_ms"].isna().all()
        assert s.active()["display_ms"].isna().all() and s.event(1).display_ms is None
    assert path.read_bytes() == before
    with ReviewStore(path, synchronous="NORMAL") as s:
        s.record("doc-2", "alice", "Unsafe", display_ms=812.5)
        assert s.decisions()["display_ms"].tolist()[1] == 812.5
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["alice", "bob"]),
                          st.sampled_from(["decide", "skip", "undo"]), st.sampled_from(["Acceptable", "Unsafe"])),
                max_size=25))
def test_one_rule_of_what_is_in_effect(actions: list[tuple[str, str, str, str]]) -> None:
    """The SQL of the store, the pandas rule of the dashboard and the KPIs, and the incremental
    dashboard log all say the same decisions are in effect (issue 26: one home)."""
    from workbench.analyses.quality_dashboard import event_frame
    from workbench.review.kpis import review_kpis
    from workbench.review.live import LiveKPIs
    from workbench.review.store import decisions_in_effect

    with tempfile.TemporaryDirectory() as tmp, ReviewStore(Path(tmp) / "r.sqlite", synchronous="NORMAL") as s:
        for item, who, what, label in actions:
            if what == "decide":
                s.record(item, who, label)
            elif what == "skip":
                s.skip(item, who)
            else:
                s.undo(who)
        def key(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
            return sorted(zip(frame["item_id"], frame["reviewer"], frame["decision"], strict=True))

        from_sql = key(s.decisions())
        assert key(decisions_in_effect(s.events().drop(columns="undone"))) == from_sql
        assert key(decisions_in_effect(event_frame(s.events_since(0)))) == from_sql
        live = LiveKPIs()
        for row in s.events_since(0):  # the live page's tally, one event at a time
            live.add(event_frame([row]))
        assert key(live.decisions()) == from_sql
        assert review_kpis(s).n_decisions == len(from_sql)


def test_a_reader_that_checked_the_old_rows_still_checks_the_new_ones(tmp_path: Path) -> None:
    """checked_through (the live page's watermark) skips only rows checked before: a bad row
    appended later is still refused."""
    import sqlite3

    path = tmp_path / "r.sqlite"
    with ReviewStore(path, synchronous="NORMAL") as s:
        s.record("a", "alice", "Acceptable")
        s.record("b", "alice", "Unsafe")
    with ReviewStore(path, read_only=True, checked_through=2) as s:
        assert len(s.events_since(0)) == 2
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO events (kind, item_id, reviewer, decision, created_at) "
                 "VALUES ('decision', 'c', 'alice', NULL, '2026-01-01T00:00:00+00:00')")
    conn.commit()
    conn.close()
    with pytest.raises(WorkbenchError, match="the first is event 3"):
        ReviewStore(path, read_only=True, checked_through=2)
    with pytest.raises(WorkbenchError, match="the first is event 3"):
        ReviewStore(path, read_only=True)
