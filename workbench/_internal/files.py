"""Files of the data model's tables: plain-table reading and atomic writes.

The one home of reading a plain table (CSV, JSONL or Parquet, each optionally ``.gz``) with
errors that name the line, and of writing through a temporary name renamed on success.
:mod:`workbench.io` (with schemas and tool formats on top) and the format readers and
writers of :mod:`workbench.formats` both use these, so neither imports the other to read or
write a file.
"""

from __future__ import annotations

import io as _io
import os
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

import pandas as pd

from workbench.errors import SchemaError, WorkbenchError

__all__ = ["MAX_UNCOMPRESSED_BYTES", "BoundedReader", "atomic_path", "open_bounded", "read_plain_table",
           "remove_at_exit", "require_regular_file", "table_format"]

_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}


def table_format(path: Path) -> tuple[str, str | None]:
    """``("csv" | "jsonl" | "json" | "parquet", "gzip" | None)`` from the file name."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] == ".gz":
        compression = "gzip"
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in _FORMATS:
        raise WorkbenchError(
            f"cannot tell the format of '{path}': use a name ending in "
            ".csv, .jsonl, .parquet (optionally followed by .gz)."
        )
    return _FORMATS[suffixes[-1]], compression



#: The most bytes a compressed input may expand to: this many, or 200 times its compressed
#: size when that is more (real exports compress 5-50 times; a gzip "bomb" of a few kilobytes
#: expands about 1,000 times per layer, to terabytes); ``WORKBENCH_MAX_UNCOMPRESSED_BYTES``
#: overrides it.
MAX_UNCOMPRESSED_BYTES = 256 << 20


def _max_uncompressed(path: Path | None = None) -> int:
    value = os.environ.get("WORKBENCH_MAX_UNCOMPRESSED_BYTES", "")
    if value.strip().isdigit():
        return int(value)
    size = path.stat().st_size if path is not None else 0
    return max(MAX_UNCOMPRESSED_BYTES, 200 * size)


def require_regular_file(path: str | os.PathLike[str], *, what: str = "input") -> Path:
    """``path`` as a :class:`Path` if it is a regular file (or a link to one); else a clean error.

    Checked before anything is opened: reading a FIFO waits forever for a writer, a device
    such as ``/dev/zero`` never ends, and a folder is no table.

    Examples
    --------
    >>> require_regular_file("/dev/null")
    Traceback (most recent call last):
    ...
    workbench.errors.WorkbenchError: '/dev/null' is a character device, not a regular file; pass the input file itself.
    """
    import stat

    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise WorkbenchError(f"no such file: '{p}'. Check the path (relative paths start at {Path.cwd()}).") from None
    except OSError as exc:
        raise WorkbenchError(f"cannot read '{p}': {exc.strerror or exc}.") from exc
    if stat.S_ISREG(mode):
        return p
    kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    raise WorkbenchError(f"'{p}' is {kind}, not a regular file; pass the {what} file itself.")


class BoundedReader(_io.RawIOBase):
    """A binary stream that raises a clean error once more than ``limit`` bytes were read."""

    def __init__(self, raw: IO[bytes], path: Path, limit: int | None = None) -> None:
        self._raw, self._path = raw, path
        self._limit = _max_uncompressed(path) if limit is None else limit
        self._seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        data = self._raw.read(min(len(view), self._limit - self._seen + 1))
        n = len(data)
        view[:n] = data
        self._seen += n
        if self._seen > self._limit:
            raise WorkbenchError(
                f"'{self._path}' expands to more than {self._limit:,} bytes when decompressed; it is "
                "not read (a compressed file this large is unusual, and a gzip bomb would exhaust "
                "memory). Decompress it yourself if it is genuine, or raise the limit with "
                "WORKBENCH_MAX_UNCOMPRESSED_BYTES."
            )
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_bounded(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open a regular file for reading bytes; a ``.gz`` file is decompressed as a stream whose
    size is bounded (:data:`MAX_UNCOMPRESSED_BYTES`)."""
    import gzip

    p = require_regular_file(path)
    if p.suffix.lower() == ".gz":
        return cast(IO[bytes], _io.BufferedReader(BoundedReader(cast(IO[bytes], gzip.open(p, "rb")), p), 1 << 16))
    return open(p, "rb")


#: pandas' default missing-value strings; in a CSV they mean "missing" everywhere except in id,
#: label and choice columns, where "None", "NA" or "null" are values (a class called "None").
_NA_STRINGS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
               "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


def read_plain_table(
    path: str | os.PathLike[str],
    *,
    id_columns: Sequence[str] = ("item_id", "annotator_id", "pair_id", "doc_id"),
    value_columns: Sequence[str] = ("label", "choice"),
) -> pd.DataFrame:
    """Read a CSV, JSONL or Parquet file (optionally ``.gz``) as it is; id columns as text.

    In the id and ``value_columns`` (labels, choices) only an empty cell is missing: the
    strings ``None``, ``NA``, ``N/A``, ``null`` and ``nan`` are read as the values they are, so
    a class named "None" is a class and what the writers wrote reads back the same. Other
    columns keep pandas' usual missing-value strings.

    Errors name the file and, for text files, the first bad line (not UTF-8, not JSON).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(path, "w").write("item_id,label,score\\nq1,None,NA\\nq2,,1\\n")
    >>> read_plain_table(path).to_dict("list")
    {'item_id': ['q1', 'q2'], 'label': ['None', nan], 'score': [nan, 1.0]}
    """
    p = Path(path)
    fmt, compression = table_format(p)
    require_regular_file(p)
    dtypes = {c: str for c in id_columns}
    kept = {*id_columns, *value_columns}
    try:
        if fmt == "csv":
            with open_bounded(p) as fh:
                header = pd.read_csv(fh, nrows=0, encoding="utf-8").columns
            na = {c: ([""] if c in kept else list(_NA_STRINGS)) for c in header}
            with open_bounded(p) as fh:
                return pd.read_csv(fh, dtype=dtypes, encoding="utf-8", keep_default_na=False, na_values=na)
        if fmt in ("jsonl", "json"):
            try:
                with open_bounded(p) as fh:
                    df = pd.read_json(fh, lines=fmt == "jsonl", dtype=dtypes, encoding="utf-8")
            except TypeError as exc:  # pandas on a record that is not an object
                raise ValueError(str(exc)) from exc
            if not all(isinstance(c, str) for c in df.columns):
                # pandas reads a non-object record (null, a list, a number) as a column named 0, and
                # a key "0" as the number 0: tell the two apart by reading the records themselves
                problem = _non_object_record(p, fmt, compression)
                if problem:
                    raise WorkbenchError(f"could not read '{p}' as {fmt.upper()}: {problem}")
                df.columns = [str(c) for c in df.columns]
            return df
        df = pd.read_parquet(p)
        for c in id_columns:  # ids as text, like the text formats (missing stays missing)
            if c in df.columns:
                df[c] = df[c].where(df[c].isna(), df[c].astype(str))
        return df
    except WorkbenchError:
        raise
    except UnicodeDecodeError as exc:
        line = _first_bad_line(p, compression)
        raise SchemaError(
            f"'{p}' is not valid UTF-8 text (first bad byte on line {line}: {exc.reason}). "
            "Re-save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 in.csv > out.csv."
        ) from exc
    except (EOFError, zlib.error) as exc:
        raise WorkbenchError(
            f"'{p}' is truncated or not valid gzip data ({type(exc).__name__}: {exc}). "
            "Re-download or re-compress it (gunzip -t FILE tests it)."
        ) from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise WorkbenchError(f"could not read '{p}' as {fmt.upper()}: {_jsonl_hint(p, fmt, compression, exc)}") from exc


def _jsonl_hint(path: Path, fmt: str, compression: str | None, exc: Exception) -> str:
    """pandas reports a bad JSON line by byte offset (or not at all); name the line instead."""
    from workbench._internal.escape import shorten

    return _non_object_record(path, fmt, compression) or shorten(str(exc), 300)


def _non_object_record(path: Path, fmt: str, compression: str | None) -> str | None:
    """Where the first record of a JSON (array) or JSON-lines table that is not an object is,
    in words; ``None`` when every record is an object (or the file cannot be read again)."""
    import gzip
    import json

    from workbench._internal.escape import shorten

    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            if fmt == "json":
                try:
                    whole = json.load(fh)
                except (json.JSONDecodeError, RecursionError):
                    return None  # pandas' own message says where
                records = whole if isinstance(whole, list) else [whole]
                for n, value in enumerate(records, start=1):
                    if not isinstance(value, dict):
                        return (f"element {n} holds a JSON {_json_type(value)}, not an object. A JSON table is "
                                "an array of objects, one per row.")
                return None
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line.rstrip("\r\n"))
                except json.JSONDecodeError as bad:
                    return (f"line {n} is not valid JSON ({bad.msg} at column {bad.colno}): "
                            f"{shorten(line.rstrip(), 120)}. Each line must hold one JSON object.")
                except RecursionError:
                    return f"line {n} is nested too deeply to be a record (no table nests that deep)."
                if not isinstance(value, dict):
                    return f"line {n} holds a JSON {_json_type(value)}, not an object. Each line must hold one JSON object."
    except (OSError, EOFError, UnicodeDecodeError):
        pass
    return None


def _json_type(value: object) -> str:
    return "null" if value is None else {"list": "array", "str": "string", "int": "number",
                                         "float": "number", "bool": "boolean"}.get(type(value).__name__, "value")


def _first_bad_line(path: Path, compression: str | None) -> int:
    import gzip

    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return n
    return 0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> open(target).read()
    'done'
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual mode
    try:
        yield tmp
        with open(tmp, "rb+") as fh:  # reach the disk before the rename makes it visible
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


_TO_REMOVE: list[Path] = []


def remove_at_exit(folder: Path) -> Path:
    """Remove the temporary ``folder`` (and what is in it) when the process exits; return it.

    Headless demo runs (a temporary review store, a demo dashboard store) leave nothing in the
    system's temporary folder behind them.
    """
    import atexit
    import shutil

    def _remove_all() -> None:
        for p in _TO_REMOVE:
            shutil.rmtree(p, ignore_errors=True)

    if not _TO_REMOVE:
        atexit.register(_remove_all)
    _TO_REMOVE.append(Path(folder))
    return Path(folder)
