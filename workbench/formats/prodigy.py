"""Prodigy: read a dataset exported with ``prodigy db-out`` (JSONL); write tasks as JSONL.

Mapping (full table in ``docs/interop.md``): one line is one answer. ``item_id`` is the
task's own ``item_id`` field when it has one (tasks written by :func:`write_jsonl` do),
otherwise ``_input_hash`` (the input, whatever was asked about it); ``_annotator_id`` →
``annotator_id``, falling back to ``_session_id``; ``_timestamp`` (epoch seconds) →
``timestamp``; ``text`` and ``_input_hash`` → the items table. Binary interfaces: ``answer`` (``accept``/``reject``) is the label and the
task's ``label`` names the question (a ``question`` column when the file asks several).
Choice interfaces (``options``): an accepted answer's label is its ``accept`` list (several
joined by ``|``), a rejected one is ``"reject"``. Span interfaces (``spans`` outside
``classification``/``choice`` views) go to the ``spans`` table.

The same annotator answering the same question twice: the latest answer (by ``_timestamp``,
then line order) is kept and the earlier ones are counted. Then ``ignore`` answers — an
annotator's "no judgment" — are dropped and counted, so an annotator whose latest answer is
``ignore`` has no judgment of that item.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._internal.files import require_regular_file
from workbench._validation import require_columns
from workbench.errors import WorkbenchError
from workbench.formats._common import (
    ImportResult,
    Peek,
    Tally,
    check_options,
    items_frame,
    join_labels,
    json_frame,
    json_object,
    json_value,
    keep_latest,
    no_records,
    open_binary,
    open_text,
    pick_question,
    require_format,
    to_utc,
)

__all__ = ["read", "write_jsonl"]

_OPTIONS = ("question",)
_CHOICE_VIEWS = frozenset({"classification", "choice", "binary", "text", "html", "image", "review"})


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read a Prodigy JSONL export (see the module docstring)."""
    opts = check_options(options, _OPTIONS, format="prodigy")
    require_format(peek, "prodigy", accept_unknown=True)
    if peek.container not in ("jsonl", ""):
        raise WorkbenchError(
            f"'{path}': a Prodigy export is JSON lines (prodigy db-out writes .jsonl); this file is "
            f"{peek.container or 'of unknown type'}. Pass the .jsonl file."
        )
    tally = Tally(str(path), "prodigy", "lines")
    fast = _read_fast(path, tally)
    resolved = fast is not None and fast[4]
    one_question = fast is not None and fast[5]
    # no repeats and one question (or none) in the file: (item_id, annotator_id) is unique as read
    unique_key = ("item_id", "annotator_id") if resolved and one_question else ()
    if fast is not None:
        cols, item_frame, spans, anonymous = fast[:4]
    else:
        cols, item_frame, spans, anonymous = _read_lines(path, tally)
    if tally.read == 0:
        raise no_records(path, "Prodigy")
    if anonymous:
        tally.note(f"{anonymous:,} answers have no _annotator_id or _session_id; their annotator is 'anonymous'.")
    ts = cols.pop("ts")
    if resolved:  # (the fast reader found no repeated answer and dropped the ignores itself)
        del cols["answer"]
    ann = json_frame(cols)
    if ann.empty:  # (no answer at all: text columns, as from the columnar readers, not the float of empty lists)
        ann = ann.astype(dict.fromkeys(ann.columns, "str"))
    ann["timestamp"] = to_utc(pd.Series(ts, index=ann.index, dtype="float64" if len(ts) == 0 else None), unit="s")
    if not resolved:
        ann["seq"] = np.arange(len(ann))
        ann, n_dup = keep_latest(ann, ["item_id", "annotator_id", "question"], order=["timestamp", "seq"])
        tally.drop(_REPEATED, n_dup)
        ignored = (ann["answer"] == "ignore").to_numpy()
        tally.drop(_IGNORED, int(ignored.sum()))
        ann = ann[~ignored].drop(columns=["answer", "seq"])
    if opts.get("question") is None and one_question:
        ann = ann.drop(columns="question")  # (one question, as the reader counted: what pick_question does)
    else:
        ann = pick_question(ann, opts.get("question"), tally, path)
    if ann["timestamp"].isna().all():
        ann = ann.drop(columns="timestamp")
    if "text" in item_frame and item_frame["text"].isna().all():
        item_frame = item_frame.drop(columns="text")
    return tally.result(annotations=ann.reset_index(drop=True), items=item_frame,
                        spans=pd.DataFrame(spans) if spans else None, unique_key=unique_key)



_REPEATED = "repeated answer by the same annotator (kept the latest)"
_IGNORED = "ignore answer (no judgment)"


def _read_lines(path: Path, tally: Tally) -> tuple[dict[str, Any], pd.DataFrame, list[dict[str, Any]], int]:
    """The general reader: one ``json.loads`` per line, every interface."""
    cols: dict[str, list[Any]] = {k: [] for k in ("item_id", "annotator_id", "answer", "label", "question", "ts")}
    items: dict[str, dict[str, Any]] = {}
    spans: list[dict[str, Any]] = []
    anonymous = 0
    get = dict.get
    with open_text(path) as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            rec = json_object(line, path, f"line {n}")
            tally.read += 1
            item = get(rec, "item_id")
            if item is None:
                item = get(rec, "_input_hash")
                if item is None:
                    raise WorkbenchError(
                        f"'{path}' line {n} has neither '_input_hash' nor 'item_id' (keys: "
                        f"{', '.join(map(repr, list(rec)[:12]))}); it is not a Prodigy task."
                    )
            item = str(item)
            if item not in items:
                items[item] = {"item_id": item, "text": get(rec, "text"), "input_hash": get(rec, "_input_hash")}
            answer = get(rec, "answer")
            if answer is None:
                tally.drop("task without an answer (not annotated yet)")
                continue
            who = get(rec, "_annotator_id") or get(rec, "_session_id")
            if who is None:
                anonymous += 1
                who = "anonymous"
            view = get(rec, "_view_id")
            if get(rec, "spans") and view not in _CHOICE_VIEWS:
                spans.append({"item_id": item, "annotator_id": str(who), "answer": answer,
                              "spans": json.dumps(rec["spans"], ensure_ascii=False)})
                tally.drop("span answer (in table 'spans')")
                continue
            if "options" in rec:
                acc = get(rec, "accept") or []
                if isinstance(acc, (str, int, float)):  # one choice, not its letters
                    acc = [acc]
                elif not isinstance(acc, list) or any(isinstance(a, (dict, list)) for a in acc):
                    raise WorkbenchError(f"'{path}' line {n}: field 'accept' is {type(acc).__name__} "
                                         f"{str(acc)[:60]!r}, not a list of option ids.")
                label: Any = (acc[0] if len(acc) == 1 else join_labels(acc)) if answer == "accept" else answer
                question = get(rec, "label")
            else:
                label = answer
                question = get(rec, "label")
            cols["item_id"].append(item)
            cols["annotator_id"].append(str(who))
            cols["answer"].append(answer)
            cols["label"].append(label)
            cols["question"].append(None if question is None else str(question))
            cols["ts"].append(get(rec, "_timestamp"))
    return cols, pd.DataFrame(list(items.values()), columns=["item_id", "text", "input_hash"]), spans, anonymous


#: The largest (decompressed) file parsed in one buffer by polars or Arrow; larger ones are streamed.
_ARROW_MAX_BYTES = 1 << 30

#: Keys that send a file to the general reader: declared of the null type, so a line that
#: holds any of them (a choice, a span, an own item id) fails the typed parse.
_GENERAL_ONLY = ("options", "spans", "item_id")
_ARROW_FIELDS = ("_input_hash", "_annotator_id", "_session_id", "answer", "label", "_timestamp", "text")

#: What a columnar reader hands :func:`read`: the annotation columns, the items, the spans
#: (always none), the anonymous answers, whether repeats and ignores are already resolved,
#: and whether every answer has the same question (``label``, a missing one counted as one).
_Columns = tuple[dict[str, Any], pd.DataFrame, list[dict[str, Any]], int, bool, bool]


class _Unsure:
    """:func:`_read_polars` cannot tell: Arrow's strictly typed reader decides."""


_UNSURE = _Unsure()

#: A value polars may have written for something that was not a JSON string: a number,
#: ``true``/``false``, a list or an object as their JSON text, or a lone surrogate escape
#: (``"\ud800"``) as NUL. The general reader keeps such values as they are (or refuses them).
_NOT_SURELY_TEXT = r"^(?:[-0-9\[{]|true$|false$)|\x00"


def _read_fast(path: Path, tally: Tally) -> _Columns | None:
    """The columnar readers in turn: polars, then Arrow; ``None`` sends the file to :func:`_read_lines`."""
    got = _read_polars(path, tally)
    if isinstance(got, _Unsure):
        return _read_arrow(path, tally)
    return got


def _fast_source(path: Path) -> bytes | str | None:
    """The file for a columnar reader: its path, or its decompressed bytes (``.gz``, streamed
    and bounded, so a gzip bomb stops at the limit); ``None`` when too large for one buffer or
    when it starts with a byte-order mark, which the general reader refuses with the line named."""
    if path.suffix.lower() == ".gz":
        with open_binary(path) as fh:
            raw = fh.read(_ARROW_MAX_BYTES + 1)
        return None if len(raw) > _ARROW_MAX_BYTES or raw.startswith(b"\xef\xbb\xbf") else raw
    require_regular_file(path)
    if path.stat().st_size > _ARROW_MAX_BYTES:
        return None
    with open(path, "rb") as fh:
        return None if fh.read(3) == b"\xef\xbb\xbf" else str(path)


def _read_polars(path: Path, tally: Tally) -> _Columns | _Unsure | None:
    """Binary-interface exports parsed by polars' NDJSON reader (multi-threaded; the same tables).

    The fields are read with declared types (the keys of other interfaces of the null type),
    annotator, answer and label then coded against this file's distinct strings (each string
    is made once for pandas); a line polars cannot read that way (another type, a
    choice, a span, an own item id, bad JSON) sends the file to :func:`_read_lines`, which
    reads it or names the line. polars writes a number, boolean, list or object found in a
    string field as its JSON text where Python's ``json`` keeps the value: when any string
    read could be such a text (:data:`_NOT_SURELY_TEXT`), Arrow's strict reader decides
    (:data:`_UNSURE`), as it does when polars is not installed. When no annotator answered
    the same item and label twice (checked on hashed codes; a collision only costs the full
    resolution in :func:`read`), the ``ignore`` answers are dropped here and the last flag is
    true. One difference remains: a line naming the same key twice is read with its first
    value (Python's ``json`` keeps the last; Arrow refuses the line). No exporter writes such
    a line, and no parser that is fast enough could tell.
    """
    try:
        import polars as pl
    except ImportError:
        return _UNSURE
    source = _fast_source(path)
    if source is None:
        return None
    schema = {"_input_hash": pl.Int64, **dict.fromkeys(("_annotator_id", "_session_id", "answer", "label"), pl.String),
              "_timestamp": pl.Float64, "text": pl.String, **dict.fromkeys(_GENERAL_ONLY, pl.Null)}
    try:
        df = pl.read_ndjson(source, schema=schema)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
        return None  # a type or line the typed parse does not take: the general reader reads it or says where
    del source
    if df.height == 0 or df["_input_hash"].null_count():
        return None  # empty, or a line without _input_hash: the general reader says which
    words = pl.Categories.random()  # this file's strings, coded 0, 1, 2…
    cat = pl.Categorical(words)
    ann = pl.col("_annotator_id")
    who = pl.when(ann.is_null() | (ann == "")).then(pl.col("_session_id")).otherwise(ann)  # as `a or b`
    coded = df.select(item=pl.col("_input_hash"), first=pl.col("_input_hash").is_first_distinct(),
                      anonymous=who.is_null(), who=who.fill_null("anonymous").cast(cat),
                      answer=pl.col("answer").cast(cat), question=pl.col("label").cast(cat), ts=pl.col("_timestamp"))
    texts = df["text"].filter(coded["first"])
    del df
    if texts.str.contains(_NOT_SURELY_TEXT).any() or words.to_series().str.contains(_NOT_SURELY_TEXT).any():
        return _UNSURE
    answered, who_code = pl.col("answer").is_not_null(), pl.col("who").to_physical().cast(pl.UInt64)
    question_code = pl.col("question").to_physical().cast(pl.UInt64).fill_null(1 << 32)  # (codes are 32-bit)
    key = pl.col("item").hash(11) ^ (who_code * (1 << 33) + question_code)
    stats = coded.select(answered=answered.sum(), anonymous=(pl.col("anonymous") & answered).sum(),
                         distinct=key.filter(answered).n_unique(), ignored=(pl.col("answer") == "ignore").sum(),
                         questions=pl.col("question").n_unique()).row(0)
    n_answered, anonymous, distinct, ignored, questions = (int(v) for v in stats)
    resolved = distinct == n_answered
    tally.read = coded.height
    tally.drop("task without an answer (not annotated yet)", coded.height - n_answered)
    items = coded.filter(pl.col("first")).select(pl.col("item"))
    if resolved:
        tally.drop(_IGNORED, ignored)
    if n_answered < coded.height or resolved and ignored:
        coded = coded.select("item", "who", "answer", "question", "ts").filter(
            (answered & (pl.col("answer") != "ignore")) if resolved else answered)
    with ThreadPoolExecutor(1) as pool:  # Arrow formats the ids on another core (it lets go of the GIL)
        ids = pool.submit(_pandas_ids, coded["item"])
        who_s, answer_s = _pandas_strings(coded["who"], words), _pandas_strings(coded["answer"], words)
        question_s = _pandas_strings(coded["question"], words)
        cols: dict[str, Any] = {"item_id": ids.result(), "annotator_id": who_s, "answer": answer_s,
                                "label": answer_s, "question": question_s}
    cols["ts"] = coded["ts"].to_numpy()
    item_frame = pd.DataFrame({"item_id": _pandas_ids(items["item"]),
                               "text": texts.to_arrow().to_pandas(), "input_hash": items["item"].to_numpy()})
    return cols, item_frame, [], anonymous, resolved, questions == 1


def _pandas_ids(column: Any) -> pd.Series:
    """A polars integer column as a pandas string column (Arrow formats the numbers: fewer copies than polars)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(column.to_arrow(), pa.large_string()).to_pandas()


def _pandas_strings(column: Any, words: Any) -> pd.Series:
    """A polars categorical column (coded in ``words``) as a pandas string column: the codes
    taken from the distinct strings by Arrow, no string hashed or built twice."""
    return words.to_series().to_arrow().take(column.to_physical().to_arrow()).to_pandas()


def _read_arrow(path: Path, tally: Tally) -> _Columns | None:
    """Binary-interface exports parsed by Arrow's JSON reader (same result, several times faster):
    where polars is not installed, or where it may have made text of a non-string.

    Used only when no line can hold a choice, span or own item id (the file never contains
    those keys); anything Arrow cannot type (an id that is not an integer…) falls back to
    :func:`_read_lines`. When no annotator answered the same item and label twice (checked on
    integer codes), the ``ignore`` answers are dropped here, in Arrow, and the last flag is
    true: there is nothing left for :func:`read` to resolve.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    source = _fast_source(path)
    if source is None:
        return None
    schema = pa.schema([("_input_hash", pa.int64()), ("_annotator_id", pa.string()), ("_session_id", pa.string()),
                        ("answer", pa.string()), ("label", pa.string()), ("_timestamp", pa.float64()),
                        ("text", pa.string()), *((key, pa.null()) for key in _GENERAL_ONLY)])
    try:
        table = pj.read_json(pa.BufferReader(source) if isinstance(source, bytes) else source, parse_options=pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore", newlines_in_values=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    del source
    if table.num_rows == 0 or table.column("_input_hash").null_count:
        return None  # empty, or a line without _input_hash: the general reader says which
    tally.read = table.num_rows
    hashes = table.column("_input_hash")
    ids = pc.cast(hashes, pa.string())
    first = pd.Series(hashes.to_numpy()).duplicated().to_numpy()
    new_item = pa.array(~first)
    item_frame = pd.DataFrame({"item_id": ids.filter(new_item).to_pandas(),
                               "text": table.column("text").filter(new_item).to_pandas(),
                               "input_hash": hashes.filter(new_item).to_numpy()})
    answer = table.column("answer")
    answered = answer.is_valid()
    tally.drop("task without an answer (not annotated yet)", table.num_rows - int(pc.sum(answered).as_py() or 0))
    annotator = table.column("_annotator_id")  # as `annotator or session`: an empty id is none
    annotator = pc.if_else(pc.equal(annotator, ""), pa.scalar(None, pa.string()), annotator)
    who = pc.coalesce(annotator, table.column("_session_id"))
    anonymous = int(pc.sum(pc.and_(who.is_null(), answered)).as_py() or 0)
    who = pc.fill_null(who, "anonymous")
    keep = answered
    resolved = not _repeats(hashes.filter(answered), who.filter(answered), table.column("label").filter(answered))
    if resolved:
        ignored = pc.equal(answer, "ignore")
        tally.drop(_IGNORED, int(pc.sum(pc.and_(answered, ignored)).as_py() or 0))
        keep = pc.and_(answered, pc.invert(ignored))
    # columns stay Arrow strings into pandas (no Python object per cell)
    cols: dict[str, Any] = {
        "item_id": ids.filter(keep).to_pandas(),
        "annotator_id": who.filter(keep).to_pandas(),
        "answer": answer.filter(keep).to_pandas(),
    }
    cols["label"] = cols["answer"]
    cols["question"] = table.column("label").filter(keep).to_pandas()
    cols["ts"] = table.column("_timestamp").filter(keep).to_numpy()
    return cols, item_frame, [], anonymous, resolved, False


def _repeats(hashes: Any, who: Any, question: Any) -> bool:
    """Whether an (item, annotator, question) occurs twice, on integer codes (no strings hashed)."""
    import pyarrow.compute as pc

    codes = {"item": hashes.to_numpy()}
    for name, column in (("who", who), ("question", question)):
        encoded = pc.dictionary_encode(column).combine_chunks()
        codes[name] = pc.fill_null(encoded.indices, -1).to_numpy()
    return bool(pd.DataFrame(codes).duplicated().any())


def write_jsonl(
    items: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    item: str | None = None,
    text: str = "text",
    meta_columns: Sequence[str] | None = None,
    label: str | None = None,
    options: Sequence[str] | None = None,
) -> Path:
    """Write items as a Prodigy task stream (JSONL), our scores and reasons in ``meta``.

    Each row becomes ``{"text": …, "item_id": …, "meta": {…}}`` (plus ``label`` for a
    binary interface, or ``options`` for a choice interface). Prodigy keeps every task field
    in the answers it saves, so ``prodigy db-out`` files read back with ``format="prodigy"``
    under the same ``item_id``.

    Parameters
    ----------
    items
        One row per item with an id column and the text; a review queue or a disagreement
        table indexed by item works too.
    path
        The ``.jsonl`` file to write (atomically).
    item
        The id column; found among ``item_id``, ``doc_id``, ``pair_id``.
    text
        The column shown to the annotator.
    meta_columns
        Columns shown in Prodigy's meta box; default: every other column.
    label
        The label a binary interface asks about (``"label"`` of each task).
    options
        Choices of a choice interface (each becomes ``{"id": x, "text": x}``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "tasks.jsonl"
    >>> df = pd.DataFrame({"item_id": ["q1"], "text": ["Good."], "perplexity": [12.5]})
    >>> write_jsonl(df, out, label="GOOD").read_text().strip()
    '{"text": "Good.", "item_id": "q1", "meta": {"perplexity": 12.5}, "label": "GOOD"}'
    """
    from workbench._internal.files import atomic_path

    frame, item = items_frame(items, item)
    require_columns(frame, [text], table="items", option_names=["text"])
    meta = list(meta_columns) if meta_columns is not None else [c for c in frame.columns if c not in (item, text)]
    require_columns(frame, meta, table="items", option_names=["meta_columns"] * len(meta))
    lines = []
    for rec in frame[[item, text, *meta]].to_dict("records"):
        task: dict[str, Any] = {"text": json_value(rec[text]), "item_id": str(rec[item]),
                                "meta": {m: json_value(rec[m]) for m in meta}}
        if label is not None:
            task["label"] = label
        if options is not None:
            task["options"] = [{"id": o, "text": o} for o in options]
        lines.append(json.dumps(task, ensure_ascii=False))
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)
