"""What every format reader shares: the import result and report, file peeking, the tally.

A reader turns one tool's export into the long tables of the data model and counts what it
leaves out, by reason, so that ``rows_read == rows_kept + sum(dropped)`` always holds.
"""

from __future__ import annotations

import io as _io
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from workbench._internal.format_names import FORMAT_NAMES
from workbench._internal.tables import ID_COLUMNS, id_column
from workbench._validation import require_columns, require_frame, require_nonempty, require_unique
from workbench.errors import SchemaError, WorkbenchError

__all__ = [
    "FORMAT_NAMES",
    "ImportReport",
    "ImportResult",
    "Peek",
    "Tally",
    "check_options",
    "container",
    "describe",
    "detect",
    "items_frame",
    "record_field",
    "iter_json_records",
    "json_object",
    "join_labels",
    "json_value",
    "keep_latest",
    "no_records",
    "open_binary",
    "open_text",
    "peek",
    "pick_question",
    "record_frame",
    "require_format",
    "scalar_fields",
    "to_utc",
]

_DESCRIPTIONS = {
    "label-studio": "a Label Studio export (tasks with 'data' and 'annotations', or JSON-MIN/CSV rows with 'annotator' and 'annotation_id')",
    "prodigy": "a Prodigy JSONL export (lines with '_input_hash', '_task_hash', 'answer')",
    "argilla": "an Argilla v2 record export (records with 'fields' and 'responses', or flat '<question>.responses' columns)",
    "mturk": "an MTurk batch results CSV ('HITId', 'WorkerId', 'AssignmentStatus', 'Answer.*')",
    "labelbox": "a Labelbox NDJSON export (data rows with 'data_row' and 'projects')",
    "arena": "an arena-style judgment file ('model_a', 'model_b', 'winner', 'judge')",
    "alpaca-eval": "an AlpacaEval annotation file ('instruction', 'output_1', 'output_2', 'preference')",
    "chosen-rejected": "a chosen/rejected pair table ('chosen', 'rejected')",
}


@dataclass(frozen=True)
class ImportReport:
    """What an import read, kept and left out (by reason).

    Attributes
    ----------
    source : str
        The file.
    format : str
        The format it was read as (after ``"auto"`` detection).
    unit : str
        What one row read is (``"answers"``, ``"lines"``, ``"assignment answers"``…).
    rows_read : int
        Judgments (or lines) found in the file.
    rows_kept : int
        Judgments that reached a table of the data model (annotations, gold, preferences).
    dropped : Mapping[str, int]
        Rows left out, by reason; ``rows_read == rows_kept + sum(dropped.values())``.
    tables : Mapping[str, int]
        Rows of each table returned (``annotations``, ``items``, ``gold``, ``preferences``,
        ``spans``).
    notes : tuple of str
        Decisions the reader made that a user should know (defaults applied, ids chosen).
    """

    source: str
    format: str
    unit: str
    rows_read: int
    rows_kept: int
    dropped: Mapping[str, int]
    tables: Mapping[str, int]
    notes: tuple[str, ...] = ()

    @property
    def n_dropped(self) -> int:
        """Rows left out, all reasons together."""
        return int(sum(self.dropped.values()))

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome: ``kept`` and each drop reason, with counts and shares."""
        rows = [("kept", self.rows_kept)] + sorted(self.dropped.items(), key=lambda kv: -kv[1])
        frame = pd.DataFrame(rows, columns=["outcome", "rows"])
        frame["share"] = frame["rows"] / max(self.rows_read, 1)
        return frame

    def summary(self) -> str:
        """One paragraph: read, kept, dropped by reason, the tables and the notes."""
        name = Path(self.source).name
        parts = [f"Imported {name} as {self.format}: {self.rows_read:,} {self.unit} read, "
                 f"{self.rows_kept:,} kept"]
        if self.dropped:
            reasons = "; ".join(f"{n:,} {r}" for r, n in sorted(self.dropped.items(), key=lambda kv: -kv[1]))
            parts.append(f", {self.n_dropped:,} dropped ({reasons})")
        parts.append(". Tables: " + ", ".join(f"{k} {v:,} rows" for k, v in self.tables.items()) + ".")
        if self.notes:
            parts.append(" " + " ".join(self.notes))
        return "".join(parts)


@dataclass(frozen=True)
class ImportResult:
    """Every table an export holds, in the data model's long format, and the import report.

    ``annotations`` (item_id, annotator_id, label, …), ``items`` (item_id and the item's
    data: text, fields, inputs), ``gold`` (item_id, label — where the tool marks ground
    truth), ``preferences`` (pair_id, annotator_id, choice, response_a, response_b, …) and
    ``spans`` (region/span results, kept apart because they judge parts of an item, not the
    item). A table the file does not hold is ``None``.
    """

    report: ImportReport
    annotations: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    gold: pd.DataFrame | None = None
    preferences: pd.DataFrame | None = None
    spans: pd.DataFrame | None = None
    #: Columns the reader proved unique in ``annotations`` while it resolved repeated answers
    #: (the import then skips checking them again); empty when it proved nothing.
    unique_key: tuple[str, ...] = ()

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the file holds, by name (those that are not ``None``)."""
        names = ("annotations", "items", "gold", "preferences", "spans")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def to_frame(self) -> pd.DataFrame:
        """The import report as a table (see :meth:`ImportReport.to_frame`)."""
        return self.report.to_frame()

    def summary(self) -> str:
        """The import report's summary."""
        return self.report.summary()


@dataclass
class Tally:
    """Counts rows read and dropped while a reader runs; builds the report at the end."""

    source: str
    format: str
    unit: str
    read: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, n: int = 1) -> None:
        if n:
            self.dropped[reason] += int(n)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def result(self, *, unique_key: tuple[str, ...] = (), **tables: pd.DataFrame | None) -> ImportResult:
        kept = sum(len(t) for k, t in tables.items() if t is not None and k in ("annotations", "gold", "preferences"))
        if kept + sum(self.dropped.values()) != self.read:  # pragma: no cover - a reader bug
            raise RuntimeError(
                f"import of {self.source}: {self.read} read but {kept} kept and "
                f"{sum(self.dropped.values())} dropped ({dict(self.dropped)})."
            )
        ann = tables.get("annotations")
        if ann is not None and "label" in ann.columns and len(ann):
            joined = ann["label"].astype("string").str.contains("|", regex=False).fillna(False)
            if joined.any():
                example = str(ann.loc[joined.to_numpy(), "label"].iloc[0])
                self.note(
                    f"{int(joined.sum()):,} judgment(s) chose several labels, joined with '|' "
                    f"(e.g. {example[:80]!r}); agreement statistics count each combination as a "
                    "category of its own — filter or split them if that is not what you want."
                )
        report = ImportReport(
            source=self.source, format=self.format, unit=self.unit, rows_read=self.read,
            rows_kept=kept, dropped=dict(self.dropped),
            tables={k: len(t) for k, t in tables.items() if t is not None}, notes=tuple(self.notes),
        )
        return ImportResult(report=report, unique_key=unique_key, **tables)


def check_options(options: Mapping[str, object] | None, allowed: Sequence[str], *, format: str) -> dict[str, Any]:
    """Return ``options`` as a dict; unknown names raise an error listing the valid ones."""
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(allowed))
    if unknown:
        valid = ", ".join(repr(a) for a in allowed) or "none"
        raise WorkbenchError(
            f"format {format!r} has no option(s) {', '.join(map(repr, unknown))}; its options are: {valid}."
        )
    return opts


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


def _suffixes(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), gz


def container(path: Path) -> str:
    """``"json"``, ``"jsonl"``, ``"csv"``, ``"parquet"`` or ``""`` (unknown), from the name."""
    ext, _ = _suffixes(path)
    return {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
            ".parquet": "parquet", ".pq": "parquet"}.get(ext, "")


def open_text(path: Path) -> IO[str]:
    """Open a (possibly gzip-compressed) UTF-8 text file: a regular file only, and a ``.gz``
    file streamed with its decompressed size bounded (a gzip bomb is a clean error)."""
    return _io.TextIOWrapper(open_binary(path), encoding="utf-8")


def open_binary(path: Path) -> IO[bytes]:
    """Open a (possibly gzip-compressed) regular file for reading bytes (size bounded)."""
    from workbench._internal.files import open_bounded

    return open_bounded(path)


def _bad_json(path: Path, where: str, exc: Exception) -> WorkbenchError:
    return WorkbenchError(
        f"could not read '{path}' as JSON ({where}): {exc}. Check that the export finished "
        "downloading; a truncated file ends in the middle of a record."
    )


def _not_object(path: Path, where: str, value: object) -> WorkbenchError:
    from workbench._internal.escape import shorten

    return WorkbenchError(
        f"'{path}' {where} holds a JSON {'null' if value is None else type(value).__name__} "
        f"({shorten(value, 60)}), not an object; each record of an export is a JSON object."
    )


def json_object(text: str, path: Path, where: str) -> dict[str, Any]:
    """One JSON record (a line) as a dict; bad JSON, another type or nesting too deep to
    decode is a clean error naming ``where``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad_json(path, where, exc) from exc
    except RecursionError as exc:
        raise WorkbenchError(f"could not read '{path}' {where}: it is nested too deeply to be a record.") from exc
    if not isinstance(value, dict):
        raise _not_object(path, where, value)
    return value


def record_field(rec: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str, *, path: Path,
          default: Any = None) -> Any:
    """``rec[name]`` checked to be of JSON type ``kind`` (missing or null: ``default``); another
    type is a clean error naming the record and the field."""
    value = rec.get(name)
    if value is None:
        return default
    if not isinstance(value, kind) or isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
        want = " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in (kind if isinstance(kind, tuple) else (kind,))))
        from workbench._internal.escape import shorten

        raise WorkbenchError(
            f"'{path}' {where}: field '{name}' is {type(value).__name__} {shorten(value, 60)}, not {want}; "
            "the export is malformed or from another tool."
        )
    return value


def iter_json_records(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSON array file, a single JSON object, or a JSON-lines file.

    JSON arrays are decoded one element at a time from a buffer, so a large export never
    exists twice in memory (as text and as Python objects).
    """
    kind = container(path)
    try:
        with open_text(path) as fh:
            if kind == "jsonl":
                for n, line in enumerate(fh, start=1):
                    if line.strip():
                        yield json_object(line, path, f"line {n}")
                return
            for n, rec in enumerate(_iter_array(fh, path), start=1):
                if not isinstance(rec, dict):
                    raise _not_object(path, f"element {n}", rec)
                yield rec
    except RecursionError as exc:
        raise WorkbenchError(f"could not read '{path}': a record is nested too deeply (more than "
                             "Python's recursion limit of levels); no export nests that deep.") from exc
    except UnicodeDecodeError as exc:
        raise SchemaError(f"'{path}' is not valid UTF-8 text ({exc.reason}). Re-save the file as UTF-8.") from exc


def _iter_array(fh: IO[str], path: Path, chunk: int = 1 << 20) -> Iterator[dict[str, Any]]:
    decoder = json.JSONDecoder()
    buf = fh.read(chunk)
    pos = 0
    ws = " \t\r\n"

    def skip(b: str, p: int) -> int:
        while p < len(b) and b[p] in ws:
            p += 1
        return p

    pos = skip(buf, pos)
    if pos >= len(buf):
        return
    if buf[pos] == "{":  # one object (e.g. a single Label Studio task file)
        rest = buf + fh.read()
        try:
            obj = json.loads(rest)
        except json.JSONDecodeError as exc:
            raise _bad_json(path, "top-level object", exc) from exc
        yield obj
        return
    if buf[pos] != "[":
        raise _bad_json(path, "start", ValueError(f"expected '[' or '{{', found {buf[pos]!r}"))
    pos += 1
    eof = False
    n = 0
    while True:
        pos = skip(buf, pos)
        while pos >= len(buf) and not eof:
            more = fh.read(chunk)
            eof = not more
            buf, pos = buf[pos:] + more, 0
            pos = skip(buf, pos)
        if pos >= len(buf):
            raise _bad_json(path, f"after element {n}", ValueError("the array is not closed with ']'"))
        if buf[pos] == "]":
            return
        if buf[pos] == "," and n:
            pos += 1
            continue
        while True:
            try:
                obj, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError as exc:
                if eof:
                    raise _bad_json(path, f"element {n + 1}", exc) from exc
                more = fh.read(chunk)
                eof = not more
                buf, pos = buf[pos:] + more, 0
        n += 1
        yield obj
        pos = end
        if pos > chunk:  # drop what was consumed
            buf, pos = buf[pos:], 0


@dataclass(frozen=True)
class Peek:
    """The first record of a file (or its column names), enough to tell the format."""

    path: Path
    container: str
    keys: tuple[str, ...]
    first: Mapping[str, Any] | None


def peek(path: Path) -> Peek:
    """Read the first record (JSON) or the header (CSV, Parquet) of ``path``."""
    kind = container(path)
    if kind == "csv":
        head = pd.read_csv(path, nrows=0, encoding="utf-8")
        return Peek(path, kind, tuple(map(str, head.columns)), None)
    if kind == "parquet":
        import pyarrow.parquet as pq

        return Peek(path, kind, tuple(pq.read_schema(path).names), None)
    if kind in ("json", "jsonl"):
        first = next(iter_json_records(path), None)
        if first is not None and not isinstance(first, dict):
            return Peek(path, kind, (), None)
        return Peek(path, kind, tuple(map(str, first or {})), first)
    return Peek(path, kind, (), None)


def detect(p: Peek) -> str | None:
    """The tool whose export ``p`` looks like, or ``None`` (a plain table or unknown)."""
    keys = set(p.keys)
    first = p.first or {}
    if "data_row" in keys and ("projects" in keys or "experiments" in keys or p.container == "jsonl"):
        return "labelbox"
    if "data" in keys and ("annotations" in keys or "predictions" in keys or isinstance(first.get("data"), dict)):
        return "label-studio"
    if {"annotator", "annotation_id"} <= keys:
        return "label-studio"
    if "_input_hash" in keys or "_task_hash" in keys:
        return "prodigy"
    if {"fields", "responses"} <= keys or any(k.endswith(".responses") for k in keys):
        return "argilla"
    if {"HITId", "WorkerId", "AssignmentStatus"} <= keys:
        return "mturk"
    if {"model_a", "model_b", "winner"} <= keys:
        return "arena"
    if {"instruction", "output_1", "output_2", "preference"} <= keys:
        return "alpaca-eval"
    if {"chosen", "rejected"} <= keys:
        return "chosen-rejected"
    return None


def describe(p: Peek) -> str:
    """Say in words what the file looks like (for error messages)."""
    fmt = detect(p)
    if fmt is not None:
        return _DESCRIPTIONS[fmt]
    if not p.keys:
        return "an empty file or one with no records" if p.container else "a file of unknown type"
    shown = ", ".join(repr(k) for k in p.keys[:12])
    what = "a table with columns" if p.container in ("csv", "parquet") else "records with keys"
    return f"{what} {shown}"


def require_format(p: Peek, fmt: str, *, accept_unknown: bool = False) -> None:
    """Raise unless the file looks like ``fmt`` (an empty file passes: the reader says so).

    With ``accept_unknown`` a file that looks like no known export passes too (formats whose
    files cannot always be recognised from the first record, e.g. Prodigy task streams).
    """
    found = detect(p)
    if found == fmt or not p.keys or (found is None and accept_unknown):
        return
    hint = f" Read it with format={found!r} (or format='auto')." if found else ""
    raise WorkbenchError(
        f"'{p.path}' was named as {_DESCRIPTIONS.get(fmt, fmt)} but it looks like {describe(p)}.{hint}"
    )


def record_frame(path: Path, peek: Peek, fmt: str, needed: Sequence[str]) -> pd.DataFrame:
    """A one-record-per-row file (JSON, JSON lines, CSV or Parquet) as a frame with ``needed``."""
    if peek.container == "parquet":
        raw = pd.read_parquet(path)
    elif peek.container == "csv":
        raw = pd.read_csv(path, encoding="utf-8")
    else:
        raw = pd.DataFrame.from_records(list(iter_json_records(path)))
    if raw.empty:
        raise no_records(path, fmt)
    require_columns(raw, list(needed), table=f"{fmt} file", source=str(path))
    return raw


def pick_question(ann: pd.DataFrame, chosen: object, tally: Tally, path: Path) -> pd.DataFrame:
    """Keep the answers to question ``chosen`` (dropping the column), or all of them.

    One question: the ``question`` column is dropped. Several and none chosen: the column
    stays and the report notes how to pick one. An unknown choice is an error listing them.
    """
    questions = list(pd.unique(ann["question"].dropna()))
    if chosen is not None:
        if chosen not in questions:
            raise WorkbenchError(
                f"'{path}': no answers to question {chosen!r}; the questions are "
                f"{', '.join(map(repr, questions)) or 'none'}."
            )
        other = (ann["question"] != chosen).to_numpy()
        tally.drop("answer to another question (not the one chosen with question=)", int(other.sum()))
        return ann[~other].drop(columns="question")
    if len(questions) <= 1:
        return ann.drop(columns="question")
    from workbench.errors import parameter

    tally.note(
        f"The file answers {len(questions)} questions ({', '.join(map(repr, questions[:10]))}): the "
        f"annotations carry a 'question' column; pick one with {parameter('question', 'NAME', option=True)}."
    )
    return ann


def no_records(path: Path, fmt: str) -> WorkbenchError:
    return WorkbenchError(
        f"'{path}' holds no records: the {fmt} export is empty. Export again after the "
        "annotation has started, or check the filter used for the export."
    )


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------


def join_labels(values: Iterable[Any]) -> str:
    """One label for a multi-choice answer: the sorted distinct choices joined by ``|``.

    Examples
    --------
    >>> join_labels(["spam", "ads", "spam"])
    'ads|spam'
    """
    return "|".join(sorted({str(v) for v in values}))


def to_utc(values: Sequence[Any] | pd.Series, *, unit: str | None = None) -> pd.Series:
    """Timestamps as UTC ``datetime64``; ISO strings, or numbers in ``unit`` (``"s"``)."""
    s = pd.Series(values)
    if unit is not None:  # epoch numbers: milli-, micro- and nanoseconds told apart by magnitude
        num = s if s.dtype == np.float64 else pd.to_numeric(s, errors="coerce").astype("float64")
        finite = np.isfinite(num.to_numpy())
        if not finite.all():
            num = num.where(finite)
        seconds = num
        if unit == "s":
            size = num.abs().to_numpy()
            if (size >= 1e11).any():  # (else every scale is 1: the common case, seconds, skips the division)
                seconds = num / np.where(size >= 1e17, 1e9, np.where(size >= 1e14, 1e6, np.where(size >= 1e11, 1e3, 1.0)))
            elif finite.all() and (whole := num.to_numpy()).size and (whole == np.floor(whole)).all():
                # whole seconds (what exporters write): the microseconds pd.to_datetime makes, without its rounding work
                micro = (whole.astype(np.int64) * 1_000_000).view("M8[us]")
                return pd.Series(micro, index=s.index, name=s.name).dt.tz_localize("UTC")
        return pd.to_datetime(seconds, unit=unit, utc=True, errors="coerce")
    return pd.to_datetime(s, utc=True, format="ISO8601", errors="coerce")


def keep_latest(
    df: pd.DataFrame, keys: Sequence[str], *, order: Sequence[str]
) -> tuple[pd.DataFrame, int]:
    """Keep the last row of each ``keys`` group after a stable sort on ``order``.

    Returns the frame (in its original row order) and how many rows were dropped.
    """
    if df.empty or not df.duplicated(subset=list(keys)).any():  # the common case: nothing to resolve, no sort
        return df, 0
    ranked = df.sort_values(list(order), kind="stable", na_position="first")
    dup = ranked.duplicated(subset=list(keys), keep="last")
    n = int(dup.sum())
    if not n:
        return df, 0
    return df.loc[ranked.index[~dup.to_numpy()].sort_values()], n




def json_frame(columns: Mapping[str, Any]) -> pd.DataFrame:
    """``pd.DataFrame(columns)`` for lists of values decoded from JSON, the same table faster:
    a list of text (and nulls) is handed to Arrow whole instead of pandas testing each value."""
    import pyarrow as pa

    out: dict[str, Any] = {}
    for name, values in columns.items():
        out[name] = values
        if isinstance(values, list) and values and (type(values[0]) is str or type(values[-1]) is str):
            try:
                text = pa.array(values, type=pa.large_string(), from_pandas=True)
            except (pa.ArrowException, UnicodeError):
                continue  # not all text (or not encodable): pandas decides, as before
            if text.null_count < len(text):
                out[name] = text.to_pandas()
    return pd.DataFrame(out)


def scalar_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A record's fields for the items table: scalars as they are, the rest as JSON text."""
    return {k: (v if v is None or isinstance(v, (str, int, float, bool)) else json.dumps(v, ensure_ascii=False))
            for k, v in data.items()}



def json_value(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def items_frame(items: Any, item: str | None) -> tuple[pd.DataFrame, str]:
    """The items as a frame with a string id column (a ReviewQueue gives its items in plan order)."""
    plan = getattr(items, "plan", None)
    if plan is not None and hasattr(items, "items"):  # a review queue: its items, in serving order
        frame = items.items.iloc[plan["row"].to_numpy()].reset_index(drop=True)
        frame = frame.assign(reason=plan["reason"].to_numpy())
        item = item or items.item
    else:
        frame = require_frame(items, table="items")
        if item is None and frame.index.name in ID_COLUMNS:
            frame = frame.reset_index()
    require_nonempty(frame, table="items")
    item = id_column(frame, item=item, table="items")
    require_columns(frame, [item], table="items", option_names=["item"])
    frame = frame.assign(**{item: frame[item].astype(str)})
    require_unique(frame, [item], table="items")
    return frame, item
