"""A score cache keyed by content hash, model and metric, so reruns compute nothing.

Each score row is stored under ``sha256(text)`` inside a *namespace* made of the metric
name, the model's identity (:attr:`workbench._models.ResolvedModel.model_id`, which changes
when the weights change) and the parameters that change a score (``max_length``…). A
changed model therefore misses the cache and is scored afresh; unchanged texts under an
unchanged model are read back. The store is one SQLite file under the cache folder; every
chunk of new scores is committed in one transaction, so a killed run leaves only complete
rows behind and a rerun resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError

__all__ = ["CacheInfo", "ScoreCache", "content_hash", "default_cache_dir"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS namespaces (
    namespace TEXT PRIMARY KEY, metric TEXT NOT NULL, model_id TEXT NOT NULL,
    params TEXT NOT NULL, columns TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS scores (
    namespace TEXT NOT NULL, key TEXT NOT NULL, payload TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
"""
_LOOKUP_CHUNK = 900  # stay below SQLite's bound-variable limit


def content_hash(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``text``, hex.

    Examples
    --------
    >>> content_hash("hello")[:16]
    '2cf24dba5fb0a30e'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_cache_dir() -> Path:
    """The score cache folder: ``$WORKBENCH_CACHE_DIR``, else the user's cache folder.

    The user's cache folder is the platform's (``platformdirs.user_cache_dir("workbench")``
    when ``platformdirs`` is installed: ``~/.cache/workbench`` on Linux,
    ``~/Library/Caches/workbench`` on macOS, ``%LOCALAPPDATA%\\workbench\\Cache`` on
    Windows), else ``$XDG_CACHE_HOME/workbench`` or ``~/.cache/workbench``; scores go to its
    ``scores`` subfolder. Never a folder inside the installed package or the checkout.

    Examples
    --------
    >>> default_cache_dir().parts[-1] if "WORKBENCH_CACHE_DIR" not in os.environ else "scores"
    'scores'
    """
    env = os.environ.get("WORKBENCH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is usually present (pip, jupyter)
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
        return base / "workbench" / "scores"
    return Path(platformdirs.user_cache_dir("workbench", appauthor=False)) / "scores"


@dataclass(frozen=True)
class CacheInfo:
    """Hits and misses of a :class:`ScoreCache` since it was opened, and rows stored."""

    hits: int
    misses: int
    entries: int
    path: str

    def summary(self) -> str:
        total = self.hits + self.misses
        rate = f"{self.hits / total:.0%}" if total else "n/a"
        return (
            f"Score cache at {self.path}: {self.entries:,} stored rows; this session "
            f"{self.hits:,} hits and {self.misses:,} misses (hit rate {rate})."
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"hits": self.hits, "misses": self.misses, "entries": self.entries, "path": self.path}])


def _json_default(x: object) -> object:
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if x is pd.NA or x is None:
        return None
    raise TypeError(f"cannot store {type(x).__name__} in the score cache")


class ScoreCache:
    """Score rows stored per (metric, model, params) namespace and text hash.

    Parameters
    ----------
    directory
        Folder of the cache (created if missing); ``None`` → :func:`default_cache_dir`.

    Examples
    --------
    >>> import tempfile
    >>> cache = ScoreCache(tempfile.mkdtemp())
    >>> calls = []
    >>> def length(texts):
    ...     calls.append(len(texts))
    ...     return pd.DataFrame({"n_chars": [len(t) for t in texts]})
    >>> cache.compute(["ab", "abc", "ab"], length, metric="length")["n_chars"].tolist()
    [2.0, 3.0, 2.0]
    >>> cache.compute(["abc", "ab"], length, metric="length")["n_chars"].tolist(), calls
    ([3.0, 2.0], [2])
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory is not None else default_cache_dir()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkbenchError(
                f"cannot create the score cache folder '{self.directory}': {exc}. "
                "Pass cache= a writable folder (or set WORKBENCH_CACHE_DIR)."
            ) from exc
        self.path = self.directory / "scores.sqlite"
        self._hits = 0
        self._misses = 0
        with closing(self._connect()) as con, con:
            con.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"ScoreCache({str(self.directory)!r})"

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=60)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    @staticmethod
    def namespace(metric: str, *, model_id: str = "", params: Mapping[str, object] | None = None) -> str:
        """The key of one (metric, model, params) combination."""
        blob = json.dumps({"metric": metric, "model_id": model_id, "params": dict(params or {})},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def get(
        self,
        keys: Sequence[str],
        *,
        metric: str,
        model_id: str = "",
        params: Mapping[str, object] | None = None,
    ) -> pd.DataFrame:
        """Stored rows for ``keys`` (content hashes) that are in the cache, indexed by key."""
        ns = self.namespace(metric, model_id=model_id, params=params)
        with closing(self._connect()) as con:
            row = con.execute("SELECT columns FROM namespaces WHERE namespace=?", (ns,)).fetchone()
            if row is None:
                return pd.DataFrame(index=pd.Index([], dtype=object, name="key"))
            columns = json.loads(row[0])
            found: list[tuple[str, str]] = []
            uniq = list(dict.fromkeys(keys))
            for start in range(0, len(uniq), _LOOKUP_CHUNK):
                part = uniq[start : start + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(part))
                found.extend(
                    con.execute(
                        f"SELECT key, payload FROM scores WHERE namespace=? AND key IN ({marks})",
                        (ns, *part),
                    ).fetchall()
                )
        if not found:
            return pd.DataFrame(columns=columns, index=pd.Index([], dtype=object, name="key"))
        rows = [json.loads(p) for _, p in found]
        return pd.DataFrame(rows, columns=columns, index=pd.Index([k for k, _ in found], name="key"))

    def put(
        self,
        keys: Sequence[str],
        values: pd.DataFrame,
        *,
        metric: str,
        model_id: str = "",
        params: Mapping[str, object] | None = None,
    ) -> None:
        """Store one row of ``values`` per key in one transaction (all or nothing)."""
        if len(keys) != len(values):
            raise WorkbenchError(f"put() got {len(keys)} keys but {len(values)} rows of values.")
        ns = self.namespace(metric, model_id=model_id, params=params)
        columns = [str(c) for c in values.columns]
        payloads = [
            json.dumps(list(r), default=_json_default, allow_nan=True)
            for r in values.astype(object).where(values.notna(), None).itertuples(index=False, name=None)
        ]
        with closing(self._connect()) as con, con:
            con.execute(
                "INSERT OR IGNORE INTO namespaces VALUES (?,?,?,?,?,?)",
                (ns, metric, model_id, json.dumps(dict(params or {}), sort_keys=True, default=str),
                 json.dumps(columns), time.time()),
            )
            stored = json.loads(con.execute("SELECT columns FROM namespaces WHERE namespace=?", (ns,)).fetchone()[0])
            if stored != columns:
                raise WorkbenchError(
                    f"the cache namespace of metric '{metric}' stores columns {stored}, but these values "
                    f"have {columns}; bump the metric's version in its name or clear the cache folder."
                )
            con.executemany(
                "INSERT OR REPLACE INTO scores VALUES (?,?,?)",
                [(ns, k, p) for k, p in zip(keys, payloads, strict=True)],
            )

    def compute(
        self,
        texts: Sequence[str | None] | pd.Series,
        fn: Callable[[list[str]], pd.DataFrame],
        *,
        metric: str,
        model_id: str = "",
        params: Mapping[str, object] | None = None,
        chunk_size: int = 256,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Scores of ``texts``: read what is cached, compute the rest with ``fn`` in chunks.

        ``fn`` gets a list of distinct, uncached texts and returns one row per text. Each
        chunk is stored as soon as it is computed, so an interrupted run resumes. Missing
        texts (``None``/NaN) get a row of missing values and are not passed to ``fn``.

        Returns
        -------
        pandas.DataFrame
            One row per input text (index of ``texts`` if a Series, else ``0..n-1``).
        """
        from workbench._internal.text import as_text_list

        values, index = as_text_list(texts)
        n = len(values)
        out_index = index if index is not None else pd.RangeIndex(n)
        keys = [content_hash(t) if t is not None else None for t in values]
        present = [k for k in keys if k is not None]
        cached = self.get(present, metric=metric, model_id=model_id, params=params)
        todo_keys = [k for k in dict.fromkeys(present) if k not in cached.index]
        todo_set = set(todo_keys)
        self._hits += sum(1 for k in present if k not in todo_set)
        self._misses += len(todo_keys)
        first_text = {}
        if todo_keys:
            wanted = set(todo_keys)
            for k, t in zip(keys, values, strict=True):
                if k in wanted and k not in first_text:
                    first_text[k] = t
        parts = [cached]
        bar = None
        if progress and todo_keys:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(todo_keys), unit="text", desc=metric)
        for start in range(0, len(todo_keys), max(1, chunk_size)):
            chunk = todo_keys[start : start + chunk_size]
            res = fn([first_text[k] for k in chunk])  # type: ignore[misc]
            if not isinstance(res, pd.DataFrame) or len(res) != len(chunk):
                raise WorkbenchError(
                    f"the scoring function of metric '{metric}' must return a DataFrame with one row "
                    f"per text ({len(chunk)}), got {type(res).__name__} of length {len(res)}."
                )
            res = res.reset_index(drop=True)
            self.put(chunk, res, metric=metric, model_id=model_id, params=params)
            res.index = pd.Index(chunk, name="key")
            parts.append(res)
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()
        nonempty = [p for p in parts if len(p)]
        if not nonempty:
            if not todo_keys and cached.columns.size:
                table = cached
            else:
                return pd.DataFrame(index=out_index)
        else:
            table = pd.concat(nonempty) if len(nonempty) > 1 else nonempty[0]
        lookup = pd.Series(keys, dtype=object).map(lambda k: k if k is not None else "")
        result = table.reindex(lookup.to_numpy())
        result.index = out_index
        for c in result.columns:
            if result[c].dtype == object:
                converted = pd.to_numeric(result[c], errors="coerce")
                if converted.notna().sum() == result[c].notna().sum():
                    result[c] = converted.astype(np.float64)
                else:
                    result[c] = result[c].astype("string")
            elif pd.api.types.is_numeric_dtype(result[c]) and not pd.api.types.is_bool_dtype(result[c]):
                result[c] = result[c].astype(np.float64)
            else:
                result[c] = result[c].astype("string")
        return result

    def info(self) -> CacheInfo:
        """Hits and misses so far, and the number of stored rows."""
        with closing(self._connect()) as con:
            entries = con.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        return CacheInfo(self._hits, self._misses, int(entries), str(self.path))

    def clear(self) -> None:
        """Delete every stored score."""
        with closing(self._connect()) as con, con:
            con.execute("DELETE FROM scores")
            con.execute("DELETE FROM namespaces")
