"""Labelbox: read an export v2 NDJSON file (one data row per line).

Mapping (full table in ``docs/interop.md``): ``data_row.global_key`` (or ``data_row.id``
when there is no global key) → ``item_id``; ``data_row.row_data`` → the items table as
``text``/``row_data``. Each label under ``projects.<id>.labels[]`` is one annotator's work:
``label_details.created_by`` → ``annotator_id`` (an export without label details, Labelbox's
default, gives ``unknown-1``, ``unknown-2`` … by the label's place on the item, with a note),
``label_details.created_at`` →
``timestamp``, ``performance_details.seconds_to_create`` → ``duration_s``. Its global
classifications are the answers: radio → ``radio_answer.name``; checklist → the
``checklist_answers[].name`` joined by ``|``; the classification's ``name`` is the question
(a ``question`` column when there are several). Objects (boxes, polygons, entities…) and
relationships mark parts of the item and go to the ``spans`` table; free-text answers are
not labels and are dropped and counted; any other classification is an error. Labels are
pooled across projects. A data row with no labels contributes only its item.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.formats._common import (
    ImportResult,
    Peek,
    Tally,
    check_options,
    iter_json_records,
    join_labels,
    keep_latest,
    no_records,
    pick_question,
    record_field,
    require_format,
    to_utc,
)

__all__ = ["read"]

_OPTIONS = ("question",)


def _answer(c: Mapping[str, Any], where: str, path: Path) -> tuple[str, Any]:
    if "radio_answer" in c:
        a = record_field(c, "radio_answer", dict, where, path=path, default={})
        return "label", a.get("name", a.get("value"))
    if "checklist_answers" in c:
        checks = record_field(c, "checklist_answers", list, where, path=path, default=[])
        names = []
        for a in checks:
            if not isinstance(a, Mapping):
                raise WorkbenchError(f"'{path}' {where}: an item of field 'checklist_answers' is "
                                     f"{type(a).__name__}, not an object; the export is malformed.")
            names.append(a.get("name", a.get("value")))
        if not names:  # nothing ticked: no answer, not the label ''
            return "empty", None
        return "label", join_labels(names)
    if "text_answer" in c:
        return "text", None
    raise WorkbenchError(
        f"Labelbox {where}: classification {c.get('name')!r} has none of radio_answer, "
        f"checklist_answers, text_answer (keys: {', '.join(map(repr, list(c)[:10]))}); this reader knows "
        "radio and checklist classifications."
    )


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read a Labelbox export v2 NDJSON file (see the module docstring)."""
    opts = check_options(options, _OPTIONS, format="labelbox")
    require_format(peek, "labelbox")
    tally = Tally(str(path), "labelbox", "answers")
    ann: dict[str, list[Any]] = {k: [] for k in ("item_id", "annotator_id", "label", "question", "timestamp", "duration_s")}
    items: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    n = 0
    unknown = 0
    for row in iter_json_records(path):
        n += 1
        where = f"line {n}"
        dr = record_field(row, "data_row", dict, where, path=path, default={})
        item = dr.get("global_key") or dr.get("id")
        if item is None:
            raise WorkbenchError(f"'{path}': line {n} has no data_row.id or data_row.global_key; it is not a Labelbox data row.")
        item = str(item)
        items.append({"item_id": item, "data_row_id": dr.get("id"), "row_data": dr.get("row_data")})
        position = 0
        projects = record_field(row, "projects", dict, where, path=path, default={})
        for pid, project in projects.items():
            if not isinstance(project, Mapping):
                raise WorkbenchError(f"'{path}' {where}: project {pid!r} is {type(project).__name__}, not an object; "
                                     "the export is malformed or from another tool.")
            for label in record_field(project, "labels", list, f"{where}, project {pid!r}", path=path, default=[]):
                position += 1
                lw = f"{where}, project {pid!r}, label {position}"
                if not isinstance(label, Mapping):
                    raise WorkbenchError(f"'{path}' {lw}: the label is {type(label).__name__}, not an object; "
                                         "the export is malformed or from another tool.")
                details = record_field(label, "label_details", dict, lw, path=path, default={})
                who = details.get("created_by")
                if who is None:  # exported without label details (Labelbox's default): annotator unknown
                    who = f"unknown-{position}"
                    unknown += 1
                seconds = record_field(label, "performance_details", dict, lw, path=path, default={}).get("seconds_to_create")
                body = record_field(label, "annotations", dict, lw, path=path, default={})
                objs = (record_field(body, "objects", list, lw, path=path, default=[])
                        + record_field(body, "relationships", list, lw, path=path, default=[]))
                for obj in objs:
                    if not isinstance(obj, Mapping):
                        raise WorkbenchError(f"'{path}' {lw}: an object or relationship is {type(obj).__name__}, "
                                             "not an object; the export is malformed.")
                    tally.read += 1
                    spans.append({"item_id": item, "annotator_id": str(who), "question": obj.get("name"),
                                  "value": json.dumps(obj, ensure_ascii=False)})
                    tally.drop("object or relationship (in table 'spans')")
                for c in record_field(body, "classifications", list, lw, path=path, default=[]):
                    tally.read += 1
                    if not isinstance(c, Mapping):
                        raise WorkbenchError(f"'{path}' {lw}: a classification is {type(c).__name__}, not an "
                                             "object; the export is malformed.")
                    kind, value = _answer(c, f"{lw} (data row {item!r})", path)
                    if kind == "text":
                        tally.drop("free-text answer (text classification) is not a label")
                        continue
                    if kind == "empty":
                        tally.drop("checklist with nothing ticked (no answer)")
                        continue
                    ann["item_id"].append(item)
                    ann["annotator_id"].append(str(who))
                    ann["label"].append(value)
                    ann["question"].append(c.get("name"))
                    ann["timestamp"].append(details.get("created_at"))
                    ann["duration_s"].append(seconds)
    if n == 0:
        raise no_records(path, "Labelbox")
    if unknown:
        tally.note(f"{unknown:,} label(s) have no label_details.created_by (the export was made without label "
                   "details): each is read as its own annotator, 'unknown-1', 'unknown-2' … by its place on the "
                   "item, so agreement is measurable but per-annotator results are not. Export with label details "
                   "to name the annotators.")
    frame = pd.DataFrame(ann)
    frame["timestamp"] = to_utc(frame["timestamp"])
    frame["duration_s"] = pd.to_numeric(frame["duration_s"], errors="coerce")
    frame["seq"] = np.arange(len(frame))
    frame, dup = keep_latest(frame, ["item_id", "annotator_id", "question"], order=["timestamp", "seq"])
    tally.drop("repeated label by the same annotator (kept the latest)", dup)
    frame = frame.drop(columns="seq")
    frame = pick_question(frame, opts.get("question"), tally, path)
    for col in ("timestamp", "duration_s"):
        if col in frame.columns and frame[col].isna().all():
            frame = frame.drop(columns=col)
    item_frame = pd.DataFrame(items).drop_duplicates("item_id")
    return tally.result(annotations=frame.reset_index(drop=True), items=item_frame.reset_index(drop=True),
                        spans=pd.DataFrame(spans) if spans else None)
