"""A durable, append-only store of review decisions in one SQLite file.

Every call that records something commits before it returns, so a decision the reviewer saw
acknowledged survives a killed kernel. Nothing is ever updated or deleted: an undo is a new
event that points at the event it cancels. The file uses SQLite's write-ahead log and a busy
timeout, so several processes (several reviewers, several notebooks) can write to one store.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from workbench.errors import WorkbenchError

__all__ = ["Event", "ReviewStore", "EVENT_COLUMNS", "EVENT_KINDS", "SCHEMA_VERSION", "decisions_in_effect",
           "events_in_effect"]

#: Schema version written to ``PRAGMA user_version``; a store with a higher one is refused.
#: 1: the events table; 2: ``events.display_ms`` (how long the item was on screen), added to
#: older stores when they are opened for writing (read-only, they read as ``NULL``).
SCHEMA_VERSION = 2

#: The event kinds this version understands; a store holding any other kind is refused.
EVENT_KINDS = ("decision", "skip", "undo")

#: Declared type of each column of the events table (another type is refused).
_COLUMN_TYPES = {"event_id": "INTEGER", "kind": "TEXT", "item_id": "TEXT", "reviewer": "TEXT", "decision": "TEXT",
                 "tags": "TEXT", "note": "TEXT", "queue": "TEXT", "session": "TEXT", "created_at": "TEXT",
                 "undoes": "INTEGER", "meta": "TEXT", "display_ms": "REAL"}

#: Columns of :meth:`ReviewStore.events`, in order.
EVENT_COLUMNS = (
    "event_id",
    "kind",
    "item_id",
    "reviewer",
    "decision",
    "tags",
    "note",
    "queue",
    "session",
    "created_at",
    "undoes",
    "meta",
    "display_ms",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('decision', 'skip', 'undo')),
    item_id    TEXT NOT NULL,
    reviewer   TEXT NOT NULL,
    decision   TEXT,
    tags       TEXT NOT NULL DEFAULT '[]',
    note       TEXT NOT NULL DEFAULT '',
    queue      TEXT NOT NULL DEFAULT '',
    session    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    undoes     INTEGER REFERENCES events(event_id),
    meta       TEXT NOT NULL DEFAULT '{}',
    display_ms REAL
);
CREATE INDEX IF NOT EXISTS events_reviewer ON events (reviewer, event_id);
CREATE INDEX IF NOT EXISTS events_item ON events (item_id);
CREATE UNIQUE INDEX IF NOT EXISTS events_undoes ON events (undoes) WHERE undoes IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END;
CREATE TABLE IF NOT EXISTS claims (
    item_id    TEXT NOT NULL,
    reviewer   TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (item_id, reviewer)
);
"""

# Events that are still in effect: decisions and skips that no undo event points at.
#: What is in effect, as SQL: decisions and skips that no undo cancels. The same rule as
#: :func:`events_in_effect` (tests/test_review_store.py checks they agree).
_IN_EFFECT = (
    "e.kind IN ('decision', 'skip') AND NOT EXISTS (SELECT 1 FROM events u WHERE u.undoes = e.event_id)"
)
_ACTIVE = f"SELECT e.* FROM events e WHERE {_IN_EFFECT}"


def events_in_effect(events: pd.DataFrame) -> pd.DataFrame:
    """Decisions and skips that no undo cancels, oldest first — **the** rule of what is in effect.

    ``events`` is an events frame (:meth:`ReviewStore.events`, or the dashboard's incremental
    log) with ``event_id``, ``kind`` and ``undoes`` (or an ``undone`` column already). A
    revision is a new decision event, so it is in effect beside the one it revises;
    :func:`decisions_in_effect` keeps the latest per item and reviewer. The queue, the
    dashboard, the KPIs and :meth:`ReviewStore.decisions` all read decisions through these two.

    Examples
    --------
    >>> e = pd.DataFrame({"event_id": [1, 2, 3], "kind": ["decision", "decision", "undo"],
    ...                   "item_id": ["a", "b", "b"], "reviewer": "r", "undoes": [None, None, 2]})
    >>> events_in_effect(e)["item_id"].tolist()
    ['a']
    """
    if "undone" in events.columns:
        undone = events["undone"].to_numpy(dtype=bool)
    else:
        cancelled = pd.to_numeric(events["undoes"], errors="coerce").dropna().astype("int64")
        undone = events["event_id"].astype("int64").isin(cancelled).to_numpy()
    return events[~undone & events["kind"].isin(["decision", "skip"]).to_numpy()]


def decisions_in_effect(events: pd.DataFrame) -> pd.DataFrame:
    """Each reviewer's latest decision in effect per item (undos and revisions applied).

    Examples
    --------
    >>> e = pd.DataFrame({"event_id": [1, 2, 3, 4], "kind": ["decision", "decision", "decision", "undo"],
    ...                   "item_id": ["a", "a", "a", "a"], "reviewer": "r", "decision": ["x", "y", "z", None],
    ...                   "undoes": [None, None, None, 3]})
    >>> decisions_in_effect(e)["decision"].tolist()  # z was undone; y revised x
    ['y']
    """
    active = events_in_effect(events)
    return active[active["kind"] == "decision"].drop_duplicates(["item_id", "reviewer"], keep="last")


@dataclass(frozen=True)
class Event:
    """One stored event, as returned by :meth:`ReviewStore.record`, ``skip`` and ``undo``."""

    event_id: int
    kind: Literal["decision", "skip", "undo"]
    item_id: str
    reviewer: str
    decision: str | None
    tags: tuple[str, ...]
    note: str
    queue: str
    session: str
    created_at: pd.Timestamp
    undoes: int | None = None
    meta: str = "{}"
    display_ms: float | None = None

    @classmethod
    def _from_row(cls, row: sqlite3.Row | tuple[Any, ...]) -> Event:
        r = tuple(row)
        return cls(
            event_id=int(r[0]),
            kind=r[1],
            item_id=r[2],
            reviewer=r[3],
            decision=r[4],
            tags=_tag_list(r[5], r[0]),
            note=r[6],
            queue=r[7],
            session=r[8],
            created_at=event_times(pd.Series([r[9]]), pd.Series([r[0]])).iloc[0],
            undoes=None if r[10] is None else int(r[10]),
            meta=r[11],
            display_ms=None if len(r) < 13 or r[12] is None else float(r[12]),
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _as_time(value: datetime | pd.Timestamp | str | None) -> str:
    if value is None:
        return _now()
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert("UTC").isoformat(timespec="microseconds")


def _text(value: object, name: str) -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    raise WorkbenchError(
        f"review store: {name} must be a non-empty string, got {value!r}. "
        f"Pass the {name} as text, e.g. {name}='alice'."
    )


class ReviewStore:
    """Append-only SQLite store of review events (decisions, skips, undos).

    Parameters
    ----------
    path
        The SQLite file; created with its folder if missing. ``":memory:"`` is refused
        (decisions must survive the process).
    timeout_s
        How long a writer waits for another process's lock before failing (busy timeout).
    synchronous
        SQLite's ``synchronous`` setting. ``"FULL"`` (default) also survives a power loss;
        ``"NORMAL"`` survives a killed process, which is enough for tests and simulations.
    read_only
        Open for reading only (``review kpis``, ``review export``, the dashboard): nothing is
        written to the file, not even the schema, and a file without write permission works.
        The file must exist.

    Raises
    ------
    WorkbenchError
        The file is not a SQLite review store or is damaged; it was written by a newer
        workbench (``PRAGMA user_version`` above :data:`SCHEMA_VERSION`, or columns this
        version does not know); it holds event kinds other than :data:`EVENT_KINDS`.

    Notes
    -----
    Schema: one table ``events`` with ``event_id`` (increasing), ``kind``
    (``decision``/``skip``/``undo``), ``item_id``, ``reviewer``, ``decision``, ``tags`` (JSON
    list), ``note``, ``queue``, ``session``, ``created_at`` (ISO-8601 UTC), ``undoes`` (the
    event an undo cancels) and ``meta`` (JSON: e.g. the a/b order a pair was shown in, or
    whether the item was hidden gold). Triggers refuse UPDATE and DELETE. The schema version
    is kept in ``PRAGMA user_version`` (:data:`SCHEMA_VERSION`); a store from before
    versioning (user_version 0, same table) is stamped when it is opened for writing, and an
    older store gets the ``display_ms`` column (version 2) then.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "review.sqlite"
    >>> store = ReviewStore(path)
    >>> _ = store.record("doc-1", "alice", "Acceptable")
    >>> _ = store.record("doc-2", "alice", "Unsafe", tags=("violence",))
    >>> _ = store.undo("alice")
    >>> store.decisions()[["item_id", "reviewer", "decision"]].to_dict("records")
    [{'item_id': 'doc-1', 'reviewer': 'alice', 'decision': 'Acceptable'}]
    >>> len(store.events())
    3
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout_s: float = 30.0,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        read_only: bool = False,
        checked_through: int = 0,
    ) -> None:
        if str(path) == ":memory:" or str(path) == "":
            raise WorkbenchError(
                "review store: an in-memory store would lose every decision when the process "
                "ends; pass a file path, e.g. ReviewStore('reviews.sqlite')."
            )
        if synchronous not in ("FULL", "NORMAL"):
            raise WorkbenchError(
                f"review store: synchronous={synchronous!r} is not valid; choose 'FULL' or 'NORMAL'."
            )
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise WorkbenchError(
                f"review store: '{self.path}' is a folder; pass a file path such as "
                f"'{self.path / 'reviews.sqlite'}'."
            )
        if self.path.exists():  # a FIFO or device would hang SQLite's first read
            from workbench._internal.files import require_regular_file

            require_regular_file(self.path, what="review store (.sqlite)")
        self.read_only = bool(read_only)
        if self.read_only and not self.path.is_file():
            raise WorkbenchError(
                f"review store: no review store at '{self.path}'; pass the .sqlite file the widget writes to."
            )
        #: True for a throwaway store made by :meth:`temporary` (interactive review refuses it).
        self.is_temporary = False
        self._lock = threading.RLock()
        try:
            if self.read_only:
                self._conn = _connect_read_only(self.path, timeout_s)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(
                    self.path, timeout=timeout_s, isolation_level=None, check_same_thread=False
                )
                self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute(f"PRAGMA synchronous = {synchronous}")
            self._check_version()
            if not self.read_only:
                with self._write():
                    for stmt in _split_sql(_SCHEMA):
                        self._conn.execute(stmt)
                    _add_display_ms(self._conn)  # version 1 -> 2
                    self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._check_contents(int(checked_through))
        except sqlite3.Error as exc:
            if getattr(self, "_conn", None) is not None:
                self._conn.close()
            raise _store_error(self.path, exc) from exc
        except WorkbenchError:
            if getattr(self, "_conn", None) is not None:
                self._conn.close()
            raise

    @classmethod
    def temporary(cls, *, synchronous: Literal["FULL", "NORMAL"] = "NORMAL") -> ReviewStore:
        """A store in a fresh temporary folder, marked ``is_temporary``.

        For demos and headless reports only: the folder is removed when the process exits,
        so the interactive widget refuses such a store (decisions made there would be lost
        with it).
        """
        import tempfile

        from workbench._internal.files import remove_at_exit

        folder = remove_at_exit(Path(tempfile.mkdtemp(prefix="workbench_review_")))
        store = cls(folder / "reviews.sqlite", synchronous=synchronous)
        store.is_temporary = True
        return store

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: takes the write lock first, commits on exit."""
        if getattr(self, "read_only", False):
            raise WorkbenchError(
                f"review store: '{self.path}' was opened read-only; open it with "
                "ReviewStore(path) to record decisions."
            )
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise _store_error(self.path, exc) from exc

    def _check_version(self) -> None:
        """Refuse a store written by a newer schema (checked before anything is written)."""
        (version,) = self._conn.execute("PRAGMA user_version").fetchone()
        if int(version) > SCHEMA_VERSION:
            raise WorkbenchError(
                f"review store: '{self.path}' has schema version {int(version)}, written by a newer "
                f"workbench; this one reads versions up to {SCHEMA_VERSION}. Upgrade workbench "
                "(pip install -U workbench) to open it; the file was not changed."
            )

    def _check_contents(self, checked_through: int = 0) -> None:
        """Refuse tables this version would misread: a view, unknown columns or types, event
        kinds, or rows without the ids and values every reading relies on.

        Rows up to event ``checked_through`` were checked by this reader before (the events are
        append-only): a live page that reopens the store every few seconds checks only the new
        ones, so opening costs what changed, not the size of the store."""
        kinds = [r[0] for r in self._conn.execute("SELECT type FROM main.sqlite_master WHERE name = 'events'")]
        if kinds and kinds != ["table"]:
            raise WorkbenchError(
                f"review store: 'events' in '{self.path}' is a {kinds[0]}, not a table; a review store "
                "holds its events in a table (a view can be endless or change under a reader). Pass "
                "the .sqlite file the review widget writes to."
            )
        info = self._conn.execute("PRAGMA main.table_info(events)").fetchall()
        wrong = [f"{r[1]} {r[2] or 'untyped'} (expected {_COLUMN_TYPES[r[1]]})" for r in info
                 if r[1] in _COLUMN_TYPES and str(r[2]).upper() != _COLUMN_TYPES[r[1]]]
        if wrong:
            raise WorkbenchError(
                f"review store: the events table of '{self.path}' has columns of other types than a "
                f"review store's: {', '.join(wrong)}; it was not written by workbench. Pass the .sqlite "
                "file the review widget writes to."
            )
        cols = [r[1] for r in self._conn.execute("PRAGMA table_info(events)").fetchall()]
        if not cols:
            if self.read_only:
                raise WorkbenchError(
                    f"review store: '{self.path}' is a SQLite file without an events table; "
                    "pass the .sqlite file the review widget writes to."
                )
            return
        if self.read_only and tuple(cols) == EVENT_COLUMNS[:-1]:
            # version 0/1, opened read-only: display times read as NULL through a view in the
            # connection's own (in-memory) temp schema, which shadows the table by name
            self._conn.execute(
                "CREATE TEMP VIEW events AS SELECT *, NULL AS display_ms FROM main.events"
            )
            cols = [*cols, "display_ms"]
        if tuple(cols) != EVENT_COLUMNS:
            extra = [c for c in cols if c not in EVENT_COLUMNS]
            missing = [c for c in EVENT_COLUMNS if c not in cols]
            raise WorkbenchError(
                f"review store: the events table of '{self.path}' has columns this version does "
                f"not know (extra: {', '.join(extra) or 'none'}; missing: {', '.join(missing) or 'none'}); "
                "it was written by another version of workbench or another tool. Open it with "
                "the workbench version that wrote it, or export its decisions there."
            )
        placeholders = ", ".join("?" for _ in EVENT_KINDS)
        new = "event_id > ? AND " if checked_through else ""
        since = (checked_through,) if checked_through else ()
        unknown = self._conn.execute(
            f"SELECT kind, COUNT(*) FROM events WHERE {new}(kind NOT IN ({placeholders}) OR kind IS NULL) "
            "GROUP BY kind ORDER BY COUNT(*) DESC LIMIT 5",
            (*since, *EVENT_KINDS),
        ).fetchall()
        if not unknown:
            (bad,) = self._conn.execute(
                f"SELECT MIN(event_id) FROM events WHERE {new}(event_id IS NULL OR typeof(item_id) != 'text' "
                "OR typeof(reviewer) != 'text' OR typeof(created_at) != 'text' OR typeof(tags) != 'text' "
                "OR (kind = 'decision' AND typeof(decision) != 'text'))", since
            ).fetchone()
            (n_null,) = self._conn.execute("SELECT COUNT(*) FROM events WHERE event_id IS NULL").fetchone()
            if bad is not None or n_null:
                (n_bad,) = self._conn.execute(
                    "SELECT COUNT(*) FROM events WHERE event_id IS NULL OR typeof(item_id) != 'text' "
                    "OR typeof(reviewer) != 'text' OR typeof(created_at) != 'text' OR typeof(tags) != 'text' "
                    "OR (kind = 'decision' AND typeof(decision) != 'text')"
                ).fetchone()
                first = f" (the first is event {bad})" if bad is not None else ""
                raise WorkbenchError(
                    f"review store: '{self.path}' holds {n_bad:,} event(s){first} without an item id, "
                    "reviewer, decision, time or tags as text (NULL or another type); counting them "
                    "as decisions would be a guess. The widget never writes such rows: restore the "
                    "store from a copy, or remove them with sqlite3."
                )
        if unknown:
            found = ", ".join(f"{_short(k)} ({n:,} events)" for k, n in unknown)
            raise WorkbenchError(
                f"review store: '{self.path}' holds event kinds this version does not know: {found}; "
                f"it knows {', '.join(EVENT_KINDS)}. Counting them would be a guess: open the store "
                "with the workbench version that wrote it."
            )

    def close(self) -> None:
        """Close the connection (every event is already committed)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReviewStore('{self.path}')"

    def _insert(
        self,
        conn: sqlite3.Connection,
        *,
        kind: str,
        item_id: str,
        reviewer: str,
        decision: str | None,
        tags: Iterable[str],
        note: str,
        queue: str,
        session: str,
        created_at: datetime | pd.Timestamp | str | None,
        undoes: int | None,
        meta: dict[str, Any] | None,
        display_ms: float | None = None,
        release: bool = False,
    ) -> Event:
        tag_list = [str(t) for t in tags]
        if release:  # the item leaves the reviewer's screen in the same transaction
            conn.execute("DELETE FROM claims WHERE item_id = ? AND reviewer = ?", (item_id, reviewer))
        cur = conn.execute(
            "INSERT INTO events (kind, item_id, reviewer, decision, tags, note, queue, session,"
            " created_at, undoes, meta, display_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING *",
            (
                kind,
                item_id,
                reviewer,
                decision,
                json.dumps(tag_list),
                str(note),
                str(queue),
                str(session),
                _as_time(created_at),
                undoes,
                json.dumps(meta or {}, sort_keys=True, default=str),
                None if display_ms is None else float(display_ms),
            ),
        )
        return Event._from_row(cur.fetchone())

    # -- writing ----------------------------------------------------------------------------
    def record(
        self,
        item_id: str,
        reviewer: str,
        decision: str,
        *,
        tags: Sequence[str] = (),
        note: str = "",
        queue: str = "",
        session: str = "",
        meta: dict[str, Any] | None = None,
        created_at: datetime | pd.Timestamp | str | None = None,
        display_ms: float | None = None,
        release: bool = False,
    ) -> Event:
        """Append one decision and commit it before returning.

        Parameters
        ----------
        item_id, reviewer, decision
            What was decided about which item by whom.
        tags, note
            Optional free tags and a note.
        queue, session
            The queue's name and the review session's id.
        meta
            JSON-able extras (the a/b order a pair was shown in, hidden-gold flag...).
        created_at
            Event time; now (UTC) by default. Simulations pass their own clock.
        display_ms
            How long the item had been on the reviewer's screen when they decided
            (milliseconds, measured in the browser); ``None`` when unknown.
        release
            Also drop the reviewer's claim on the item (see :meth:`claim`), in the same
            transaction.

        Returns
        -------
        Event
            The stored event with its ``event_id``.
        """
        item_id = _text(item_id, "item_id")
        reviewer = _text(reviewer, "reviewer")
        decision = _text(decision, "decision")
        if isinstance(tags, str):
            tags = (tags,)
        with self._write() as conn:
            return self._insert(
                conn,
                kind="decision",
                item_id=item_id,
                reviewer=reviewer,
                decision=decision,
                tags=tags,
                note=note,
                queue=queue,
                session=session,
                created_at=created_at,
                undoes=None,
                meta=meta,
                display_ms=display_ms,
                release=release,
            )

    def skip(
        self,
        item_id: str,
        reviewer: str,
        *,
        note: str = "",
        queue: str = "",
        session: str = "",
        meta: dict[str, Any] | None = None,
        created_at: datetime | pd.Timestamp | str | None = None,
        display_ms: float | None = None,
        release: bool = False,
    ) -> Event:
        """Append a skip (the reviewer saw the item and passed); committed on return.

        ``display_ms`` and ``release`` as in :meth:`record`.
        """
        item_id = _text(item_id, "item_id")
        reviewer = _text(reviewer, "reviewer")
        with self._write() as conn:
            return self._insert(
                conn,
                kind="skip",
                item_id=item_id,
                reviewer=reviewer,
                decision=None,
                tags=(),
                note=note,
                queue=queue,
                session=session,
                created_at=created_at,
                undoes=None,
                meta=meta,
                display_ms=display_ms,
                release=release,
            )

    def undo(
        self,
        reviewer: str,
        *,
        queue: str | None = None,
        session: str | None = None,
        created_at: datetime | pd.Timestamp | str | None = None,
    ) -> Event | None:
        """Cancel the reviewer's latest decision or skip that is still in effect.

        The undo is a new event pointing at the cancelled one (never a delete). Finding the
        event and appending the undo happen in one write transaction, so two processes
        cannot cancel the same event twice. ``queue``/``session`` restrict the search.

        Returns
        -------
        Event or None
            The event that was cancelled (not the undo event), or ``None`` if there is
            nothing left to undo.
        """
        reviewer = _text(reviewer, "reviewer")
        sql = _ACTIVE + " AND e.reviewer = ?"
        params: list[Any] = [reviewer]
        if queue is not None:
            sql += " AND e.queue = ?"
            params.append(queue)
        if session is not None:
            sql += " AND e.session = ?"
            params.append(session)
        sql += " ORDER BY e.event_id DESC LIMIT 1"
        with self._write() as conn:
            row = conn.execute(sql, params).fetchone()
            if row is None:
                return None
            target = Event._from_row(row)
            self._insert(
                conn,
                kind="undo",
                item_id=target.item_id,
                reviewer=reviewer,
                decision=None,
                tags=(),
                note="",
                queue=target.queue,
                session=session if session is not None else target.session,
                created_at=created_at,
                undoes=target.event_id,
                meta=None,
            )
            return target

    # -- reading ----------------------------------------------------------------------------
    def events(self) -> pd.DataFrame:
        """Every event ever appended, oldest first, with an ``undone`` column added."""
        rows = self._read(
            "SELECT e.*, EXISTS (SELECT 1 FROM events u WHERE u.undoes = e.event_id) "
            "FROM events e ORDER BY e.event_id"
        )
        frame = pd.DataFrame([r[:-1] for r in rows], columns=list(EVENT_COLUMNS))
        frame["undone"] = pd.array([bool(r[-1]) for r in rows], dtype="bool")
        return _typed(frame)

    def events_since(self, event_id: int) -> list[tuple[Any, ...]]:
        """Events appended after ``event_id`` (a watermark), oldest first, as plain tuples.

        Each tuple is ``(event_id, kind, item_id, reviewer, decision, queue, session,
        created_at, undoes, display_ms)``. Event ids only grow and writers are serialised, so a reader
        that keeps the last id it saw reads each event exactly once and never re-reads the
        store: the cost of a call grows with what changed, not with the store.
        """
        return self._read(
            "SELECT event_id, kind, item_id, reviewer, decision, queue, session, created_at, undoes, display_ms "
            "FROM events WHERE event_id > ? ORDER BY event_id",
            (int(event_id),),
        )

    def event(self, event_id: int) -> Event | None:
        """One event by id (``None`` if there is no such event)."""
        rows = self._read("SELECT * FROM events WHERE event_id = ?", (int(event_id),))
        return Event._from_row(rows[0]) if rows else None

    def active(self, *, reviewer: str | None = None) -> pd.DataFrame:
        """Decisions and skips still in effect (not undone), oldest first."""
        sql, params = _ACTIVE, []
        if reviewer is not None:
            sql += " AND e.reviewer = ?"
            params.append(reviewer)
        rows = self._read(sql + " ORDER BY e.event_id", params)
        return _typed(pd.DataFrame(rows, columns=list(EVENT_COLUMNS)))

    def progress_of(self, reviewer: str) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, int]]]:
        """What a queue needs on every step, aggregated inside SQLite.

        Returns the reviewer's events in effect as ``(item_id, kind, queue, session)`` and,
        for every item other reviewers decided, ``(item_id, number of other reviewers)``.
        """
        active = f"FROM events e WHERE {_IN_EFFECT}"
        with self._lock:
            mine = self._conn.execute(
                f"SELECT e.item_id, e.kind, e.queue, e.session {active} AND e.reviewer = ? "
                "ORDER BY e.event_id",
                (reviewer,),
            ).fetchall()
            others = self._conn.execute(
                f"SELECT e.item_id, COUNT(DISTINCT e.reviewer) {active} AND e.reviewer != ? "
                "AND e.kind = 'decision' GROUP BY e.item_id",
                (reviewer,),
            ).fetchall()
        return mine, others

    def claim(
        self,
        item_id: str,
        reviewer: str,
        *,
        limit: int = 1,
        lease: timedelta = timedelta(minutes=30),
        now: datetime | pd.Timestamp | str | None = None,
    ) -> bool:
        """Reserve ``item_id`` for ``reviewer`` while it is on their screen.

        Claims are not events (the audit log holds only what reviewers decided): they keep
        reviewers who share a queue off each other's current items. The claim is granted
        unless ``limit`` other reviewers hold live claims on the item; a claim older than
        ``lease`` has lapsed (a reviewer who walked away). Check and claim happen in one
        write transaction, so two processes cannot both take the last place.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> s = ReviewStore(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite", synchronous="NORMAL")
        >>> s.claim("x", "alice"), s.claim("x", "bob"), s.claim("x", "bob", limit=2)
        (True, False, True)
        """
        stamp = _as_time(now)
        cutoff = _as_time(pd.Timestamp(stamp) - lease)
        with self._write() as conn:
            conn.execute("DELETE FROM claims WHERE item_id = ? AND claimed_at < ?", (item_id, cutoff))
            (held,) = conn.execute(
                "SELECT COUNT(*) FROM claims WHERE item_id = ? AND reviewer != ?", (item_id, reviewer)
            ).fetchone()
            if held >= limit:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO claims (item_id, reviewer, claimed_at) VALUES (?, ?, ?)",
                (item_id, reviewer, stamp),
            )
        return True

    def release(self, item_id: str, reviewer: str) -> None:
        """Drop ``reviewer``'s claim on ``item_id`` (after a decision or skip)."""
        with self._write() as conn:
            conn.execute("DELETE FROM claims WHERE item_id = ? AND reviewer = ?", (item_id, reviewer))

    def session_times(self, session: str) -> pd.Series:
        """Times of the decisions and skips in effect of one session, oldest first."""
        rows = self._read(
            _ACTIVE + " AND e.session = ? ORDER BY e.event_id", [session]
        )
        return pd.to_datetime(pd.Series([r[9] for r in rows], dtype=object), utc=True, format="ISO8601")

    def decisions(self, *, latest: bool = True, reviewer: str | None = None) -> pd.DataFrame:
        """Decisions in effect as a tidy frame.

        Parameters
        ----------
        latest
            ``True``: one row per (item, reviewer), their latest decision not undone.
            ``False``: every decision event ever made, with ``undone`` saying which were
            cancelled, so the full history stays visible.
        reviewer
            Only this reviewer's decisions.

        Returns
        -------
        pandas.DataFrame
            Columns ``event_id, item_id, reviewer, decision, tags, note, queue, session,
            created_at, meta`` (+ ``undone`` when ``latest=False``); ``tags`` holds tuples.
        """
        if latest:
            frame = decisions_in_effect(self.active(reviewer=reviewer))
        else:
            frame = self.events()
            frame = frame[frame["kind"] == "decision"]
            if reviewer is not None:
                frame = frame[frame["reviewer"] == reviewer]
        return frame.drop(columns=["kind", "undoes"]).reset_index(drop=True)

    def __len__(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM events")[0][0])

    def export(self, path: str | os.PathLike[str], *, what: Literal["decisions", "events"] = "decisions") -> Path:
        """Write the latest decisions (or every event) to CSV, JSONL or Parquet.

        The file is written to a temporary name and renamed when complete; ``tags`` is
        written as ``;``-joined text.
        """
        from workbench.io import save_table

        if what not in ("decisions", "events"):
            raise WorkbenchError(
                f"review export: what={what!r} is not valid; choose 'decisions' or 'events'."
            )
        frame = self.decisions() if what == "decisions" else self.events()
        frame = frame.assign(
            tags=frame["tags"].map(lambda t: ";".join(t)),
            created_at=frame["created_at"].map(lambda t: t.isoformat()),
        )
        return save_table(frame, path)


def _connect_read_only(path: Path, timeout_s: float) -> sqlite3.Connection:
    """A connection that never writes: ``mode=ro``; ``immutable=1`` where even the WAL
    index cannot be created (a read-only folder), which is safe because nobody can write there."""
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=timeout_s,
                           isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if os.access(path.parent, os.W_OK):
            raise
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=timeout_s,
                           isolation_level=None, check_same_thread=False)


def _store_error(path: Path, exc: sqlite3.Error) -> WorkbenchError:
    """The one message for a file SQLite cannot use (not a database, damaged, locked)."""
    return WorkbenchError(
        f"review store: cannot open '{path}' as a review store ({type(exc).__name__}: "
        f"{_short(str(exc))}). If it is damaged, restore it from a copy or recover its rows "
        "with `sqlite3 FILE .recover`; otherwise point at a store made by ReviewStore or at a new file name."
    )


def _short(value: object, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _add_display_ms(conn: sqlite3.Connection) -> None:
    """Stores made before display times were recorded get the (empty) column."""
    cols = [r[1] for r in conn.execute("PRAGMA table_info(events)").fetchall()]
    if "display_ms" not in cols:
        conn.execute("ALTER TABLE events ADD COLUMN display_ms REAL")


def _tag_list(text: object, event_id: object) -> tuple[str, ...]:
    """The tags of one event (stored as a JSON list of strings); anything else is a clean error."""
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return tuple(value)
    raise WorkbenchError(
        f"review store: event {event_id} has tags {_short(text)}, not a JSON list of strings; the "
        "widget never writes such tags. Restore the store from a copy or correct the row with sqlite3."
    )


def event_times(values: pd.Series, event_ids: pd.Series) -> pd.Series:
    """``created_at`` texts as UTC times; a text that is not an ISO 8601 time is a clean error."""
    times = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    bad = times.isna().to_numpy()
    if bad.any():
        raise WorkbenchError(
            f"review store: event {event_ids[bad].iloc[0]} has created_at {_short(values[bad].iloc[0])}, not an "
            f"ISO 8601 time ({int(bad.sum()):,} such event(s)); the widget never writes such times. "
            "Restore the store from a copy or correct the row with sqlite3."
        )
    return times


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["event_id"] = frame["event_id"].astype("int64")
    frame["display_ms"] = pd.to_numeric(frame["display_ms"], errors="coerce").astype("float64")
    # most events share a handful of tag lists: parse each distinct text once
    first = frame.drop_duplicates("tags")
    parsed = {text: _tag_list(text, eid) for text, eid in zip(first["tags"], first["event_id"], strict=True)}
    frame["tags"] = frame["tags"].map(parsed).astype(object)
    frame["created_at"] = event_times(frame["created_at"], frame["event_id"])
    frame["undoes"] = pd.array(frame["undoes"], dtype="Int64")
    return frame


def _split_sql(script: str) -> list[str]:
    """Split the schema into statements (triggers contain ``;`` inside BEGIN ... END)."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER") or text.upper().endswith("END;")):
            out.append(text)
            buf = []
    return out
