"""Hostile and messy input (issue 21): every case of the issue's table, each with the input,
the command, the expected exit code and a fragment of the message."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from workbench.errors import WorkbenchError
from workbench.review import ReviewStore
from workbench.review.store import SCHEMA_VERSION


# ---- review store: versioned, read-only for readers, unknown kinds and damage refused ----
def _legacy_store(path: Path) -> Path:
    with ReviewStore(path, synchronous="NORMAL") as s:
        s.record("doc-1", "alice", "Acceptable")
        s.record("doc-2", "bob", "Unsafe")
    return path


def test_store_is_stamped_with_its_schema_version(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2


def test_store_from_a_newer_version_is_refused_unchanged(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")
    before = path.read_bytes()
    for ro in (False, True):
        with pytest.raises(WorkbenchError, match="schema version 7, written by a newer workbench"):
            ReviewStore(path, read_only=ro)
    assert path.read_bytes() == before


def test_store_with_an_extra_column_is_refused(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE events ADD COLUMN confidence INTEGER")
    with pytest.raises(WorkbenchError, match="extra: confidence"):
        ReviewStore(path, read_only=True)


def test_read_only_store_writes_nothing_and_works_on_a_read_only_file(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as conn:  # a store from before versioning: no triggers, version 0
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("PRAGMA user_version = 0")
    before = path.read_bytes()
    os.chmod(path, stat.S_IRUSR)
    try:
        with ReviewStore(path, read_only=True) as s:
            assert len(s.decisions()) == 2
            with pytest.raises(WorkbenchError, match="opened read-only"):
                s.record("doc-3", "alice", "Acceptable")
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    assert path.read_bytes() == before  # no trigger, no version stamp written by a reader
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name='events_no_update'").fetchone()[0] == 0


def test_read_only_store_must_exist(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="no review store at"):
        ReviewStore(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()


def test_unknown_event_kind_is_refused_not_half_counted(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with sqlite3.connect(path) as conn:  # a store written by another tool, without the CHECK
        conn.execute(
            "CREATE TABLE events (event_id INTEGER PRIMARY KEY, kind TEXT, item_id TEXT, reviewer TEXT, "
            "decision TEXT, tags TEXT DEFAULT '[]', note TEXT DEFAULT '', queue TEXT DEFAULT '', "
            "session TEXT DEFAULT '', created_at TEXT, undoes INTEGER, meta TEXT DEFAULT '{}')"
        )
        conn.execute("INSERT INTO events (kind, item_id, reviewer, decision, created_at) VALUES "
                     "('decision', 'a', 'alice', 'Unsafe', '2025-01-01'), ('escalate', 'a', 'bob', 'Unsafe', '2025-01-01')")
    with pytest.raises(WorkbenchError, match=r"event kinds this version does not know: escalate \(1 events\)"):
        ReviewStore(path, read_only=True)


def test_corrupt_store_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    with pytest.raises(WorkbenchError, match="cannot open .* as a review store"):
        ReviewStore(path, read_only=True)
    garbage = tmp_path / "g.sqlite"
    garbage.write_text("item_id,label\n1,a\n")
    with pytest.raises(WorkbenchError, match="file is not a database"):
        ReviewStore(garbage)
