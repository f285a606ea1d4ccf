"""Label Studio: read the JSON, JSON-MIN and CSV exports; write tasks with our scores.

Mapping (full table in ``docs/interop.md``):

* JSON export — one task per element; ``task.data`` → the items table; every
  ``annotations[].result[]`` entry is one answer: ``completed_by`` (an int, or an object with
  ``id``/``email``) → ``annotator_id``; ``created_at`` → ``timestamp``; ``lead_time`` →
  ``duration_s``; ``from_name`` → ``question`` (a column only when there are several);
  ``choices`` (single, or several joined by ``|``), ``rating``, ``number`` and ``taxonomy``
  (each path joined by ``/``) → ``label``; ``pairwise`` → preferences (``left`` = a).
  ``was_cancelled`` annotations are dropped and counted; ``ground_truth: true`` answers go to
  the gold table. Span and region results (``labels``, ``rectanglelabels``… and per-region
  choices) judge a part of the item, so they go to a separate ``spans`` table. A result type
  this reader does not know is an error.
* JSON-MIN and CSV exports — one row per annotation: ``id`` is the task, ``annotator`` the
  annotator; the answer columns are those named by ``question=`` or, by default, the columns
  whose value differs between annotators of the same task.
* ``item_id`` is ``data.item_id`` when the task has one (tasks written by
  :func:`write_tasks` do), otherwise the task ``id``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._validation import require_columns
from workbench.errors import SchemaError, WorkbenchError
from workbench.formats._common import (
    ImportResult,
    Peek,
    Tally,
    check_options,
    items_frame,
    iter_json_records,
    join_labels,
    json_frame,
    json_value,
    keep_latest,
    no_records,
    pick_question,
    record_field,
    require_format,
    scalar_fields,
    to_utc,
)

__all__ = ["JUDGMENT_TYPES", "SPAN_TYPES", "read", "write_tasks"]

#: Result types read as a judgment of the whole item.
JUDGMENT_TYPES = ("choices", "rating", "number", "taxonomy", "pairwise", "textarea")
#: Result types that mark a part of the item (a span, a region, a relation).
SPAN_TYPES = (
    "labels", "hypertextlabels", "paragraphlabels", "timeserieslabels", "rectanglelabels",
    "polygonlabels", "keypointlabels", "brushlabels", "ellipselabels", "rectangle", "polygon",
    "keypoint", "ellipse", "brush", "videorectangle", "relation", "magicwand", "bitmasklabels",
)
_SPAN_SET = frozenset(SPAN_TYPES)
_JUDGMENT_SET = frozenset(JUDGMENT_TYPES)
_REGION_KEYS = frozenset({"start", "end", "x", "y", "points", "startOffset", "endOffset", "globalOffsets", "sequence"})
_META = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time",
                   "drafts", "predictions", "agreement", "annotations", "total_annotations",
                   "cancelled_annotations", "total_predictions", "file_upload", "storage_filename",
                   "inner_id", "comment_count", "unresolved_comment_count", "last_comment_updated_at",
                   "project", "updated_by", "comment_authors", "annotations_results", "annotations_ids",
                   "predictions_score", "predictions_model_versions", "predictions_results"})
_OPTIONS = ("question", "response_fields")
_DUP = "duplicate answer by the same annotator (kept the latest)"


def _annotator(completed_by: Any) -> str | None:
    if isinstance(completed_by, Mapping):
        value = completed_by.get("email") or completed_by.get("id")
        return None if value is None else str(value)
    return None if completed_by is None else str(completed_by)


class _Rows:
    """Column lists of the output tables, appended to in one pass over the tasks."""

    def __init__(self) -> None:
        self.ann: dict[str, list[Any]] = {k: [] for k in ("item_id", "annotator_id", "label", "question", "timestamp", "duration_s", "gold", "seq")}
        self.pref: list[dict[str, Any]] = []
        self.spans: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []


def _where(task_id: Any, annotation: Mapping[str, Any]) -> str:
    return f"task {task_id}, annotation {annotation.get('id')}"


def _label(rtype: str, value: Mapping[str, Any], where: str) -> Any:
    try:
        if rtype == "choices":
            ch = value["choices"]
            if isinstance(ch, (str, int, float)):  # one choice given as a string, not its letters
                return ch
            if not isinstance(ch, list) or any(isinstance(c, (dict, list)) for c in ch):
                raise TypeError(ch)
            return ch[0] if len(ch) == 1 else join_labels(ch)
        if rtype in ("rating", "number"):
            return _number(value[rtype], where, rtype)
        if rtype == "taxonomy":
            paths = ["/".join(map(str, p)) for p in value["taxonomy"]]
            return paths[0] if len(paths) == 1 else join_labels(paths)
    except (KeyError, TypeError, IndexError) as exc:
        raise WorkbenchError(
            f"Label Studio {where}: a '{rtype}' result has no usable value.{rtype} "
            f"(value is {json.dumps(value)[:200]}). Check the export; the result is malformed."
        ) from exc
    raise AssertionError(rtype)  # pragma: no cover


def _number(raw: Any, where: str, rtype: str) -> Any:
    """A rating as one label however it is written: ``5``, ``5.0`` and ``"5"`` are ``5``; a value
    that is not a finite number is a clean error."""
    value = raw
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise WorkbenchError(f"Label Studio {where}: a '{rtype}' result holds {str(raw)[:60]!r}, not a finite number.")
    return int(value) if float(value).is_integer() else float(value)


def _unknown_type(rtype: Any, where: str) -> WorkbenchError:
    return WorkbenchError(
        f"Label Studio {where}: result type {rtype!r} is not one this reader knows. Judgments of "
        f"the whole item: {', '.join(JUDGMENT_TYPES)}; spans and regions (kept in table 'spans'): "
        f"{', '.join(SPAN_TYPES)}. Remove that control from the export or convert it yourself."
    )


def _read_tasks(path: Path, tally: Tally, opts: dict[str, Any]) -> _Rows:
    rows = _Rows()
    ann = rows.ann
    add_item, add_who, add_label, add_question = (ann[k].append for k in ("item_id", "annotator_id", "label", "question"))
    add_time, add_lead, add_gold, add_seq = (ann[k].append for k in ("timestamp", "duration_s", "gold", "seq"))
    seq = 0
    n_tasks = 0
    for task in iter_json_records(path):
        n_tasks += 1
        if not isinstance(task, dict) or "data" not in task:
            raise WorkbenchError(
                f"'{path}': element {n_tasks} is not a Label Studio task (no 'data'); it has keys "
                f"{', '.join(map(repr, list(task)[:10])) if isinstance(task, dict) else type(task).__name__}."
            )
        data = task.get("data")
        if type(data) is not dict:  # (the checks below call record_field only off the common path)
            data = record_field(task, "data", dict, f"element {n_tasks}", path=path, default={})
        task_id = task.get("id")
        item = data.get("item_id", task_id)
        if item is None:
            raise SchemaError(f"'{path}': task {n_tasks} has neither an 'id' nor data.item_id; re-export with task ids.")
        item = str(item)
        fields = scalar_fields(data)
        fields.pop("item_id", None)
        rows.items.append({"item_id": item, "task_id": None if task_id is None else str(task_id), **fields})
        annotations = task.get("annotations")
        if type(annotations) is not list:
            annotations = record_field(task, "annotations", list, f"task {task_id}", path=path, default=[])
        for a in annotations:
            if not isinstance(a, dict):
                raise WorkbenchError(f"'{path}' task {task_id}: an annotation is {type(a).__name__}, not an object.")
            results = a.get("result")
            if type(results) is not list:
                results = record_field(a, "result", list, _where(task_id, a), path=path, default=[])
            n = len(results) or 1
            tally.read += n
            if a.get("was_cancelled"):
                tally.drop("cancelled annotation (was_cancelled; skipped by the annotator)", n)
                continue
            if not results:
                tally.drop("annotation with no result", 1)
                continue
            cb = a.get("completed_by")
            if type(cb) is not int:
                cb = record_field(a, "completed_by", (int, str, dict), _where(task_id, a), path=path)
            who = str(cb) if type(cb) is int else _annotator(cb)
            if who is None:
                raise SchemaError(f"'{path}': task {task_id}, annotation {a.get('id')} has no completed_by; re-export from Label Studio.")
            created, lead, gt = a.get("created_at"), a.get("lead_time"), bool(a.get("ground_truth"))
            for r in results:
                if not isinstance(r, dict):
                    raise WorkbenchError(f"'{path}' {_where(task_id, a)}: a result is {type(r).__name__}, not an object.")
                rtype = r.get("type")
                value = r.get("value")
                if type(value) is not dict:
                    value = record_field(r, "value", dict, _where(task_id, a), path=path, default={})
                if rtype == "choices" and _REGION_KEYS.isdisjoint(value):  # the common case, inline
                    ch = value.get("choices")
                    label = ch[0] if type(ch) is list and len(ch) == 1 else _label(rtype, value, _where(task_id, a))
                elif rtype in _SPAN_SET or (rtype in _JUDGMENT_SET and not _REGION_KEYS.isdisjoint(value)):
                    rows.spans.append({"item_id": item, "annotator_id": who, "question": r.get("from_name"),
                                       "type": rtype, "value": json.dumps(value, ensure_ascii=False)})
                    tally.drop("span/region result (in table 'spans')")
                    continue
                elif rtype == "textarea":
                    tally.drop("free-text answer (textarea) is not a label")
                    continue
                elif rtype == "pairwise":
                    rows.pref.append({"item": item, "annotator_id": who, "selected": value.get("selected"),
                                      "to_name": r.get("to_name"), "data": data, "timestamp": created,
                                      "duration_s": lead, "question": r.get("from_name"), "seq": seq})
                    seq += 1
                    continue
                elif rtype in _JUDGMENT_SET:
                    label = _label(rtype, value, _where(task_id, a))
                else:
                    raise _unknown_type(rtype, _where(task_id, a))
                add_item(item)
                add_who(who)
                add_label(label)
                add_question(r.get("from_name"))
                add_time(created)
                add_lead(lead)
                add_gold(gt)
                add_seq(seq)
                seq += 1
    if n_tasks == 0:
        raise no_records(path, "Label Studio")
    return rows


def _decode_min(value: Any) -> tuple[str, Any]:
    """Classify one JSON-MIN/CSV answer cell: ``("label", x)``, ``("span", x)`` or ``("none", None)``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "none", None
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return "label", value
    if isinstance(value, dict):
        if not _REGION_KEYS.isdisjoint(value):
            return "span", value
        for key in ("choices", "rating", "number", "taxonomy"):
            if key in value:
                return "label", _label(key, value, "JSON-MIN row")
        raise _unknown_type(next(iter(value), None), "JSON-MIN row")
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return "span", value
        if value and all(isinstance(v, list) for v in value):  # taxonomy paths
            return "label", _label("taxonomy", {"taxonomy": value}, "JSON-MIN row")
        return "label", join_labels(value) if len(value) != 1 else value[0]
    return "label", value


# what pandas would have read as missing in a CSV. Label Studio writes "no answer" as an empty cell
# and choices are the project's own words ('N/A', 'None' are common ones), so an answer holding
# one of these is kept as the label it is, with a note (as in plain tables, issue 27)
_NA_MARKERS = frozenset({"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                         "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})


def _read_min(path: Path, frame: pd.DataFrame, tally: Tally, opts: dict[str, Any]) -> _Rows:
    rows = _Rows()
    if frame.empty:
        raise no_records(path, "Label Studio")
    require_columns(frame, ["id", "annotator"], table="Label Studio JSON-MIN/CSV export", source=str(path))
    candidates = [c for c in frame.columns if c not in _META and c != "item_id"]
    chosen = opts.get("question")
    if chosen is not None:
        questions = [chosen] if isinstance(chosen, str) else list(chosen)
        require_columns(frame, questions, table="Label Studio JSON-MIN/CSV export", source=str(path))
    else:
        hashable = frame[candidates].map(lambda v: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v)
        varies = hashable.groupby(frame["id"]).nunique(dropna=False).max() if candidates else pd.Series(dtype=int)
        structured = [c for c in candidates if frame[c].map(lambda v: isinstance(v, (dict, list))).any()]
        questions = [c for c in candidates if c in structured or varies.get(c, 0) > 1]
        if not questions:
            from workbench.errors import parameter

            raise WorkbenchError(
                f"'{path}': cannot tell which columns of this Label Studio JSON-MIN/CSV export hold the "
                f"answers (none differs between annotators of a task). Name them with "
                f"{parameter('question', 'NAME', option=True)}; the columns are {', '.join(map(repr, candidates[:20]))}."
            )
    data_cols = [c for c in candidates if c not in questions]
    ids = frame["item_id"] if "item_id" in frame.columns else frame["id"]
    items = frame.assign(item_id=ids.astype(str), task_id=frame["id"].astype(str))[["item_id", "task_id", *data_cols]]
    rows.items = items.drop_duplicates("item_id").to_dict("records")
    created = frame["created_at"] if "created_at" in frame.columns else pd.Series([None] * len(frame))
    lead = frame["lead_time"] if "lead_time" in frame.columns else pd.Series([None] * len(frame))
    seq = 0
    for q in questions:
        for i, (item, who, cell) in enumerate(zip(items["item_id"], frame["annotator"], frame[q], strict=True)):
            if isinstance(cell, str) and cell.strip() in _NA_MARKERS:
                tally.note(
                    f"answers {cell.strip()!r} in column {q!r} are kept as a label (Label Studio writes no "
                    "answer as an empty cell); filter them out if they mean 'no answer' in your project."
                )
            kind, value = _decode_min(cell)
            if kind == "none":
                continue  # this annotator did not answer this question
            tally.read += 1
            if kind == "span":
                rows.spans.append({"item_id": item, "annotator_id": str(who), "question": q, "type": "span",
                                   "value": json.dumps(value, ensure_ascii=False)})
                tally.drop("span/region result (in table 'spans')")
                continue
            rows.ann["item_id"].append(item)
            rows.ann["annotator_id"].append(str(_annotator(who)))
            rows.ann["label"].append(value)
            rows.ann["question"].append(q)
            rows.ann["timestamp"].append(created.iloc[i])
            rows.ann["duration_s"].append(lead.iloc[i])
            rows.ann["gold"].append(False)
            rows.ann["seq"].append(seq)
            seq += 1
    return rows


def _pairwise(rows: _Rows, opts: dict[str, Any], path: Path) -> pd.DataFrame | None:
    if not rows.pref:
        return None
    fields = opts.get("response_fields")
    out = []
    for p in rows.pref:
        data = p["data"]
        names = fields
        if names is None:
            to = p["to_name"]
            parts = [s.strip() for s in (to.split(",") if isinstance(to, str) else list(to or []))]
            if len(parts) == 2 and all(x in data for x in parts):
                names = parts
            elif {"response_a", "response_b"} <= set(data):
                names = ["response_a", "response_b"]
            else:
                raise WorkbenchError(
                    f"'{path}': a pairwise result on task {p['item']} compares {p['to_name']!r}, which "
                    f"are not keys of its data ({', '.join(map(repr, list(data)[:12]))}). Name the two "
                    "data fields with options={'response_fields': ['left_field', 'right_field']}."
                )
        sel = p["selected"]
        choice = {"left": "a", "right": "b", "none": "tie", "tie": "tie", None: "tie"}.get(sel)
        if choice is None:
            raise WorkbenchError(f"'{path}': pairwise result on task {p['item']} selected {sel!r}; expected 'left' or 'right'.")
        out.append({"pair_id": p["item"], "annotator_id": p["annotator_id"], "choice": choice,
                    "response_a": data.get(names[0]), "response_b": data.get(names[1]),
                    "prompt": data.get("prompt"), "timestamp": p["timestamp"], "duration_s": p["duration_s"],
                    "seq": p["seq"]})
    frame = pd.DataFrame(out)
    frame["timestamp"] = to_utc(frame["timestamp"])
    frame["duration_s"] = pd.to_numeric(frame["duration_s"], errors="coerce")
    if frame["prompt"].isna().all():
        frame = frame.drop(columns="prompt")
    return frame


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read a Label Studio JSON, JSON-MIN or CSV export (see the module docstring)."""
    opts = check_options(options, _OPTIONS, format="label-studio")
    require_format(peek, "label-studio", accept_unknown=True)
    tally = Tally(str(path), "label-studio", "answers")
    if peek.container == "csv":
        frame = pd.read_csv(path, dtype={"id": str, "item_id": str, "annotator": str}, encoding="utf-8",
                            keep_default_na=False, na_values=[""])  # 'N/A' answers are labels, not lost
        rows = _read_min(path, frame, tally, opts)
    elif peek.first is not None and "data" not in peek.keys:
        frame = pd.DataFrame.from_records(list(iter_json_records(path)))
        rows = _read_min(path, frame, tally, opts)
    else:
        rows = _read_tasks(path, tally, opts)
    if rows.ann["seq"]:  # (always whole numbers and flags: no need for pandas to test each value)
        rows.ann["seq"] = np.fromiter(rows.ann["seq"], np.int64, len(rows.ann["seq"]))  # type: ignore[assignment]
        rows.ann["gold"] = np.fromiter(rows.ann["gold"], bool, len(rows.ann["gold"]))  # type: ignore[assignment]
    ann = json_frame(rows.ann)
    ann["timestamp"] = to_utc(ann["timestamp"])
    ann["duration_s"] = pd.to_numeric(ann["duration_s"], errors="coerce")
    # ground truth → gold
    gold_rows = ann[ann["gold"].to_numpy(dtype=bool)]
    ann = ann[~ann["gold"].to_numpy(dtype=bool)]
    ann, n_dup = keep_latest(ann, ["item_id", "annotator_id", "question"], order=["timestamp", "seq"])
    tally.drop(_DUP, n_dup)
    prefs = _pairwise(rows, opts, path)
    if prefs is not None:
        prefs, n_pdup = keep_latest(prefs, ["pair_id", "annotator_id"], order=["timestamp", "seq"])
        tally.drop(_DUP, n_pdup)
        prefs = prefs.drop(columns="seq").reset_index(drop=True)
    gold = _gold(gold_rows, tally, path)
    # (item_id, annotator_id, question) is unique now; it stays so for (item_id, annotator_id) when
    # one question is kept and no answer without a question can meet one with it
    no_unnamed = not ann["question"].hasnans
    ann, gold = _select_question(ann, gold, opts, tally, path)
    unique_key = ("item_id", "annotator_id") if "question" not in ann.columns and no_unnamed else ()
    ann = ann.drop(columns=["gold", "seq"]).reset_index(drop=True)
    if "question" not in ann.columns:
        ann["label"] = _tidy_labels(ann["label"])
    for col in ("timestamp", "duration_s"):
        if ann[col].isna().all():
            ann = ann.drop(columns=col)
    items = pd.DataFrame.from_records(rows.items).drop_duplicates("item_id").reset_index(drop=True) if rows.items else None
    spans = pd.DataFrame(rows.spans) if rows.spans else None
    return tally.result(annotations=ann, items=items, gold=gold, preferences=prefs, spans=spans,
                        unique_key=unique_key)


def _tidy_labels(labels: pd.Series) -> pd.Series:
    """Integer-valued ratings as ints; otherwise the labels unchanged."""
    if pd.api.types.infer_dtype(labels, skipna=True) in ("string", "mixed"):
        return labels
    numeric = pd.to_numeric(labels, errors="coerce")
    if len(labels) and numeric.notna().all() and labels.map(lambda v: not isinstance(v, str)).all():
        if (numeric == numeric.round()).all():
            return numeric.astype("int64")
        return numeric
    return labels


def _gold(rows: pd.DataFrame, tally: Tally, path: Path) -> pd.DataFrame | None:
    if rows.empty:
        return None
    g = rows[["item_id", "question", "label", "timestamp", "seq"]]
    conflict = g.groupby(["item_id", "question"], dropna=False)["label"].nunique() > 1
    if conflict.any():
        bad = conflict[conflict].index[0]
        raise SchemaError(
            f"'{path}': item {bad[0]!r} has two ground-truth annotations with different labels "
            f"({', '.join(map(repr, g[g['item_id'] == bad[0]]['label'].unique()[:4]))}). Keep one "
            "ground truth per task in Label Studio and export again."
        )
    g2, n = keep_latest(g, ["item_id", "question"], order=["timestamp", "seq"])
    tally.drop("repeated ground-truth answer (same label)", n)
    return g2.drop(columns=["timestamp", "seq"]).reset_index(drop=True)


def _select_question(
    ann: pd.DataFrame, gold: pd.DataFrame | None, opts: dict[str, Any], tally: Tally, path: Path
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    chosen = opts.get("question")
    if isinstance(chosen, (list, tuple)):  # JSON-MIN answer columns: one of them is one question
        chosen = chosen[0] if len(chosen) == 1 else None
    if not len(ann) and chosen is None:
        ann = ann.drop(columns="question")
    else:
        ann = pick_question(ann, chosen, tally, path)
    if gold is not None:
        if chosen is not None:
            other = (gold["question"] != chosen).to_numpy()
            tally.drop("answer to another question (not the one chosen with question=)", int(other.sum()))
            gold = gold[~other]
        if "question" not in ann.columns:
            gold = gold.drop(columns="question").reset_index(drop=True)
    return ann, gold


# ---------------------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------------------


def write_tasks(
    items: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    item: str | None = None,
    data_columns: Sequence[str] | None = None,
    score_columns: Sequence[str] | None = None,
    from_name: str = "label",
    to_name: str = "text",
    label_column: str | None = None,
) -> Path:
    """Write items as Label Studio tasks (JSON import format), our scores as ``predictions``.

    Each row becomes ``{"data": {"item_id": …, <data columns>}, "predictions": [...]}``. Each
    score column becomes one prediction (``model_version`` = the column, ``score`` = the
    value), so Label Studio's data manager can sort and filter by it; with ``label_column``
    (e.g. a consensus label) the prediction also pre-selects that choice. The decisions
    exported back from Label Studio read with ``format="label-studio"`` under the same
    ``item_id``.

    Parameters
    ----------
    items
        One row per item: an id column and what to show (text, responses…), plus scores. A
        disagreement table indexed by item (``agreement.item_disagreement``) works as it is.
    path
        The ``.json`` file to write (atomically).
    item
        The id column; found among ``item_id``, ``doc_id``, ``pair_id`` (or the index name).
    data_columns
        Columns sent as task data; default: every non-score column.
    score_columns
        Numeric columns sent as predictions; default: every float column.
    from_name, to_name
        Names of the choices control and the object tag in your labeling config.
    label_column
        Column whose value pre-selects a choice in each prediction.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "tasks.json"
    >>> df = pd.DataFrame({"item_id": ["q1"], "text": ["Good."], "perplexity": [12.5]})
    >>> task = json.loads(write_tasks(df, out).read_text())[0]
    >>> task["data"], task["predictions"][0]["score"]
    ({'item_id': 'q1', 'text': 'Good.'}, 12.5)
    """
    from workbench._internal.files import atomic_path

    frame, item = items_frame(items, item)
    scores = list(score_columns) if score_columns is not None else [
        c for c in frame.columns if c != item and pd.api.types.is_float_dtype(frame[c])]
    require_columns(frame, scores, table="items", option_names=["score_columns"] * len(scores))
    data_cols = list(data_columns) if data_columns is not None else [
        c for c in frame.columns if c not in scores and c != item and c != label_column]
    require_columns(frame, data_cols, table="items", option_names=["data_columns"] * len(data_cols))
    tasks = []
    records = frame[[item, *data_cols]].to_dict("records")
    score_values = {c: frame[c].to_numpy() for c in scores}
    labels = frame[label_column].tolist() if label_column else None
    for i, rec in enumerate(records):
        data = {"item_id": str(rec.pop(item)), **{k: json_value(v) for k, v in rec.items()}}
        preds = []
        for c in scores:
            v = score_values[c][i]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            result = []
            if labels is not None and labels[i] is not None:
                result = [{"from_name": from_name, "to_name": to_name, "type": "choices",
                           "value": {"choices": [str(labels[i])]}}]
            preds.append({"model_version": str(c), "score": float(v), "result": result})
        task: dict[str, Any] = {"data": data}
        if preds:
            task["predictions"] = preds
        tasks.append(task)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    return Path(path)
