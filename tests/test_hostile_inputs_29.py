"""Hostile and malformed inputs (issue 29, parts 3-5): each case names the input, the command
or function, the exit code or exception and a fragment of the message."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import io
from workbench.errors import WorkbenchError
from workbench.review import ReviewStore

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


# ---- part 4: inputs are regular files --------------------------------------------------
@needs_fifo
@pytest.mark.parametrize("name", ["in.csv", "in.jsonl", "in.jsonl.gz", "in.json"])
def test_a_fifo_as_a_table_is_refused_before_reading(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)  # reading it would wait forever for a writer
    for fmt in ("auto", "table"):
        with pytest.raises(WorkbenchError, match="is a FIFO"):
            io.load_table(fifo, format=fmt)
    with pytest.raises(WorkbenchError, match="is a FIFO"):
        io.import_annotations(fifo, format="prodigy")


def test_a_device_and_a_folder_as_a_table_are_refused(tmp_path: Path) -> None:
    zero = tmp_path / "votes.jsonl.gz"
    zero.symlink_to("/dev/zero")  # endless: reading it never finishes
    with pytest.raises(WorkbenchError, match="is a character device, not a regular file"):
        io.load_table(zero, format="table")
    for fmt in ("auto", "label-studio", "prodigy"):
        with pytest.raises(WorkbenchError, match="is a character device"):
            io.import_annotations(zero, format=fmt)
    folder = tmp_path / "votes.csv"
    folder.mkdir()
    with pytest.raises(WorkbenchError, match="is a folder"):
        io.load_table(folder)


@needs_fifo
def test_cli_refuses_a_fifo_input_with_exit_2(tmp_path: Path) -> None:
    fifo = tmp_path / "prefs.csv"
    os.mkfifo(fifo)
    r = _cli("bias", str(fifo), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "is a FIFO (named pipe), not a regular file" in r.stderr
    assert "Traceback" not in r.stderr


@needs_fifo
def test_a_fifo_as_a_review_store_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "reviews.sqlite"
    os.mkfifo(fifo)
    for ro in (True, False):
        with pytest.raises(WorkbenchError, match="is a FIFO"):
            ReviewStore(fifo, read_only=ro)


def _store(path: Path, *sql: str) -> Path:
    with ReviewStore(path, synchronous="NORMAL") as s:
        s.record("doc-1", "alice", "Acceptable")
        s.record("doc-1", "bob", "Acceptable")
    with sqlite3.connect(path) as conn:
        for q in sql:
            conn.execute(q)
    return path


_COLS = ("event_id INTEGER, kind TEXT, item_id TEXT, reviewer TEXT, decision TEXT, tags TEXT, note TEXT, "
         "queue TEXT, session TEXT, created_at TEXT, undoes INTEGER, meta TEXT, display_ms REAL")
_ENDLESS = ("CREATE VIEW events AS WITH RECURSIVE r(event_id, kind, item_id, reviewer, decision, tags, note, queue, "
            "session, created_at, undoes, meta, display_ms) AS (SELECT 1, 'decision', 'x', 'a', 'A', '[]', '', '', '', "
            "'2020-01-01T00:00:00Z', NULL, '{}', NULL UNION ALL SELECT event_id + 1, kind, item_id, reviewer, decision, "
            "tags, note, queue, session, created_at, undoes, meta, display_ms FROM r) SELECT * FROM r")
_UNFROZEN = "DROP TRIGGER events_no_update"

STORE_CASES = {
    "events is an endless view": (["ALTER TABLE events RENAME TO old", _ENDLESS], "is a view, not a table"),
    "event_id declared BLOB": (["ALTER TABLE events RENAME TO old", f"CREATE TABLE events ({_COLS.replace('event_id INTEGER', 'event_id BLOB')})"],
                               "event_id BLOB (expected INTEGER)"),
    "NULL item id": (["ALTER TABLE events RENAME TO old", f"CREATE TABLE events ({_COLS})",
                      "INSERT INTO events VALUES (1, 'decision', NULL, 'a', 'A', '[]', '', '', '', '2020-01-01T00:00:00Z', NULL, '{}', NULL)"],
                     "1 event(s) (the first is event 1) without an item id"),
    "NULL decision": (["ALTER TABLE events RENAME TO old", f"CREATE TABLE events ({_COLS})",
                       "INSERT INTO events VALUES (1, 'decision', 'x', 'a', NULL, '[]', '', '', '', '2020-01-01T00:00:00Z', NULL, '{}', NULL)"],
                      "without an item id, reviewer, decision"),
    "tags not JSON": ([_UNFROZEN, "UPDATE events SET tags = '{not json' WHERE event_id = 1"],
                      "event 1 has tags {not json, not a JSON list of strings"),
    "tags not a list": ([_UNFROZEN, "UPDATE events SET tags = '{\"a\": 1}' WHERE event_id = 2"],
                        "event 2 has tags {\"a\": 1}, not a JSON list"),
    "created_at unparseable": ([_UNFROZEN, "UPDATE events SET created_at = 'yesterday' WHERE event_id = 1"],
                               "event 1 has created_at yesterday, not an ISO 8601 time"),
}


@pytest.mark.parametrize("case", list(STORE_CASES))
def test_damaged_store_is_a_clean_error_in_the_api(tmp_path: Path, case: str) -> None:
    sql, fragment = STORE_CASES[case]
    path = _store(tmp_path / "r.sqlite", *sql)
    with pytest.raises(WorkbenchError, match="review store") as info:
        with ReviewStore(path, read_only=True) as s:
            s.events()
            s.decisions()
            s.event(1)
    assert fragment in str(info.value)


@pytest.mark.parametrize("case", ["events is an endless view", "tags not JSON", "created_at unparseable", "NULL item id"])
def test_damaged_store_in_review_kpis_exits_2_without_a_traceback(tmp_path: Path, case: str) -> None:
    sql, fragment = STORE_CASES[case]
    path = _store(tmp_path / "r.sqlite", *sql)
    r = _cli("review", "kpis", str(path), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert fragment in " ".join(r.stderr.split()) and "Traceback" not in r.stderr


def test_review_kpis_never_prints_nan(tmp_path: Path) -> None:
    path = _store(tmp_path / "r.sqlite")  # one shared label, no active time, no display times
    r = _cli("review", "kpis", str(path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "nan" not in r.stdout.lower()
    assert "—" in r.stdout
    assert "— undefined: items_per_hour (no active time" in r.stdout
    assert "kappa (both reviewers used a single label" in r.stdout
    assert "— (a single shared label on every overlap item)" in r.stdout
