"""Argilla v2: read exported records (``records.to_list(flatten=False)`` / ``to_disk`` JSON,
or the flat ``to_datasets``/Hub layout).

Mapping (full table in ``docs/interop.md``): one record is one item — ``id`` (the record's
external id; ``_server_id`` when absent) → ``item_id``, ``fields`` → the items table. Each
question's ``responses`` (``[{"value", "user_id", "status"}]``) give one answer per user:
``user_id`` → ``annotator_id``, ``value`` → ``label`` (a multi-label list joined by ``|``).
Only ``submitted`` responses are judgments; ``draft`` and ``discarded`` ones are dropped and
counted. ``suggestions`` (model pre-annotations) are left out unless
``options={"suggestions": True}``, which adds them as the annotator ``suggestion:<agent>``.
Span answers (lists of ``{"start", "end", "label"}``) go to the ``spans`` table; ranking
answers are not labels and are dropped and counted. Several questions → a ``question``
column (pick one with ``options={"question": NAME}``).

The flat layout has columns ``<question>.responses`` (values), ``<question>.responses.users``
and ``<question>.responses.status`` (lists in the same order), ``<question>.suggestion`` and
``<question>.suggestion.agent``.
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
    scalar_fields,
)

__all__ = ["read"]

_OPTIONS = ("question", "suggestions")
_FLAT_SUFFIXES = (".responses", ".responses.users", ".responses.status", ".suggestion",
                  ".suggestion.agent", ".suggestion.score")
_RECORD_META = frozenset({"id", "_server_id", "status", "inserted_at", "updated_at", "metadata", "vectors"})


def _listish(v: Any) -> list[Any]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, np.ndarray):
        return v.tolist()
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _value(v: Any) -> tuple[str, Any]:
    """("label", x), ("span", x) or ("ranking", x) for one response value."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, list):
        if v and all(isinstance(x, Mapping) for x in v):
            if all("start" in x and "end" in x for x in v):
                return "span", v
            if all("rank" in x for x in v):
                return "ranking", v
        return "label", (v[0] if len(v) == 1 else join_labels(v))
    if isinstance(v, Mapping):
        raise WorkbenchError(f"Argilla response value {json.dumps(v)[:120]} is not a label, a label list or spans.")
    return "label", v


def _nested(rec: Mapping[str, Any], where: str, path: Path
            ) -> tuple[dict[str, Any], list[tuple[str, Any, Any, Any]], list[tuple[str, Any, Any]]]:
    fields = dict(record_field(rec, "fields", dict, where, path=path, default={}))
    responses = []
    for q, answers in record_field(rec, "responses", dict, where, path=path, default={}).items():
        for a in _listish(answers):
            if not isinstance(a, Mapping):
                raise WorkbenchError(f"'{path}' {where}: a response to {q!r} in field 'responses' is "
                                     f"{type(a).__name__}, not an object; the export is malformed or from another tool.")
            responses.append((q, a.get("user_id"), a.get("value"), a.get("status", "submitted")))
    suggestions = []
    for q, s in record_field(rec, "suggestions", dict, where, path=path, default={}).items():
        if isinstance(s, Mapping):
            suggestions.append((q, s.get("agent"), s.get("value")))
    return fields, responses, suggestions


def _flat(rec: Mapping[str, Any], where: str, path: Path) -> tuple[dict[str, Any], list[tuple[str, Any, Any, Any]], list[tuple[str, Any, Any]]]:
    questions = sorted({k[: -len(".responses")] for k in rec if k.endswith(".responses")}
                       | {k[: -len(".suggestion")] for k in rec if k.endswith(".suggestion")})
    fields = {k: v for k, v in rec.items()
              if k not in _RECORD_META and not k.endswith(_FLAT_SUFFIXES) and k not in questions}
    responses = []
    suggestions = []
    for q in questions:
        values = _listish(rec.get(f"{q}.responses"))
        users = _listish(rec.get(f"{q}.responses.users"))
        status = _listish(rec.get(f"{q}.responses.status")) or ["submitted"] * len(values)
        if len(users) != len(values) or len(status) != len(values):
            raise WorkbenchError(
                f"Argilla record {rec.get('id')!r}: {q}.responses has {len(values)} values but "
                f"{len(users)} users and {len(status)} statuses; the export is damaged."
            )
        responses += [(q, u, v, s) for v, u, s in zip(values, users, status, strict=True)]
        if rec.get(f"{q}.suggestion") is not None:
            suggestions.append((q, rec.get(f"{q}.suggestion.agent"), rec.get(f"{q}.suggestion")))
    return fields, responses, suggestions


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read Argilla v2 records (JSON, JSON lines or Parquet; see the module docstring)."""
    opts = check_options(options, _OPTIONS, format="argilla")
    require_format(peek, "argilla")
    with_suggestions = bool(opts.get("suggestions", False))
    if peek.container == "parquet":
        records: Any = pd.read_parquet(path).to_dict("records")
    else:
        records = iter_json_records(path)
    tally = Tally(str(path), "argilla", "responses")
    ann: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    spans: list[dict[str, Any]] = []
    n = 0
    for rec in records:
        n += 1
        where = f"record {n}"
        flat = "fields" not in rec and "responses" not in rec
        fields, responses, suggestions = (_flat if flat else _nested)(rec, where, path)
        item = rec.get("id") if rec.get("id") is not None else rec.get("_server_id")
        if item is not None and not isinstance(item, (str, int, np.integer)):
            record_field(rec, "id" if rec.get("id") is not None else "_server_id", (str, int), where, path=path)
        if item is None:
            raise WorkbenchError(f"'{path}': record {n} has neither 'id' nor '_server_id'; export the records with their ids.")
        item = str(item)
        items.append({"item_id": item, **scalar_fields(fields)})
        if with_suggestions:
            responses = responses + [(q, f"suggestion:{agent or 'model'}", v, "submitted") for q, agent, v in suggestions]
        for q, user, value, status in responses:
            tally.read += 1
            if status != "submitted":
                tally.drop(f"response not submitted (status {status!r})")
                continue
            if user is None:
                raise WorkbenchError(f"'{path}': record {item!r}, question {q!r}: a submitted response has no user_id.")
            try:
                kind, label = _value(value)
            except WorkbenchError as exc:
                raise WorkbenchError(f"'{path}' {where} (id {item!r}), question {q!r}: {exc}") from exc
            if kind == "span":
                spans.append({"item_id": item, "annotator_id": str(user), "question": q,
                              "value": json.dumps(label, ensure_ascii=False)})
                tally.drop("span answer (in table 'spans')")
                continue
            if kind == "ranking":
                tally.drop("ranking answer (not a label)")
                continue
            ann.append({"item_id": item, "annotator_id": str(user), "label": label, "question": q, "seq": len(ann)})
    if n == 0:
        raise no_records(path, "Argilla")
    frame = pd.DataFrame(ann, columns=["item_id", "annotator_id", "label", "question", "seq"])
    frame, dup = keep_latest(frame, ["item_id", "annotator_id", "question"], order=["seq"])
    tally.drop("repeated response by the same user (kept the last)", dup)
    frame = frame.drop(columns="seq")
    frame = pick_question(frame, opts.get("question"), tally, path)
    return tally.result(annotations=frame.reset_index(drop=True), items=pd.DataFrame(items),
                        spans=pd.DataFrame(spans) if spans else None)
