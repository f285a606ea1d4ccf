"""Amazon Mechanical Turk: read a batch results CSV (one row per assignment).

Mapping (full table in ``docs/interop.md``): ``WorkerId`` → ``annotator_id``; the item is
``Input.item_id`` (or ``Input.id``) when the batch carried one, otherwise ``HITId``;
``Input.*`` columns → the items table (without the prefix); ``SubmitTime`` → ``timestamp``;
``WorkTimeInSeconds`` → ``duration_s``. Answers: one ``Answer.Q`` column (or
``Answer.Q.label``, as crowd-classifier writes it) is question ``Q``; a group of boolean
columns ``Answer.Q.option`` (radio buttons / checkboxes, ``true``/``false``) is question
``Q`` whose label is the option(s) ticked. ``Rejected`` assignments are dropped by default
(a requester rejects work that failed its checks) and counted; ``options={"rejected":
"keep"}`` keeps them. An assignment with no answer to a question is counted as dropped.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from workbench._internal.dates import parse_zone_abbreviation_times
from workbench._validation import check_choice, require_columns
from workbench.errors import WorkbenchError
from workbench.formats._common import (
    ImportResult,
    Peek,
    Tally,
    check_options,
    join_labels,
    keep_latest,
    no_records,
    open_text,
    require_format,
)

__all__ = ["parse_submit_time", "read"]

_OPTIONS = ("rejected", "question")
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no", ""}


def _boolean(values: set[str]) -> bool:
    """Values of a checkbox/radio option column: boolean words only, and not just the digits
    0 and 1 (a column ``Answer.score.0`` holding numbers is a number, not an option)."""
    return values <= (_TRUE | _FALSE) and (not values or bool(values - {"0", "1"}))


def _check_ragged(path: Path) -> None:
    """A row with more fields than the header is a clean error naming it (pandas would
    raise a parser error, or silently shift every column when all rows have one more)."""
    with open_text(path) as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return
        for n, row in enumerate(reader, start=2):
            if len(row) > len(header):
                raise WorkbenchError(
                    f"'{path}': row {n - 1} (line {reader.line_num}) has {len(row)} fields but the header has "
                    f"{len(header)}; the batch results are damaged (a value with an unquoted comma?)."
                )


def _unread_times(raw: pd.Series, parsed: pd.Series) -> str | None:
    """A note on SubmitTime values that could not be read (an unknown time zone, another form)."""
    bad = raw.notna().to_numpy() & parsed.isna().to_numpy()
    if not bad.any():
        return None
    zones: dict[str, int] = {}
    for v in raw[bad]:
        parts = str(v).split()
        key = f"time zone {parts[4]!r}" if len(parts) == 6 else "not of the form 'Mon Mar 04 10:21:33 PST 2024'"
        zones[key] = zones.get(key, 0) + 1
    detail = "; ".join(f"{k}: {c:,}" for k, c in sorted(zones.items(), key=lambda kv: -kv[1])[:5])
    return (f"{int(bad.sum()):,} SubmitTime value(s) could not be read ({detail}); their timestamp is empty. "
            "Known zones are UTC, GMT and the US zones (PST/PDT, MST/MDT, CST/CDT, EST/EDT); convert the "
            "times to ISO 8601 to keep them.")


def parse_submit_time(values: pd.Series) -> pd.Series:
    """MTurk's ``"Mon Mar 04 10:21:33 PST 2024"`` times as UTC timestamps (the one parser of
    :func:`workbench._internal.dates.parse_zone_abbreviation_times`, which plain tables use too).

    Examples
    --------
    >>> parse_submit_time(pd.Series(["Mon Mar 04 10:21:33 PST 2024"])).iloc[0]
    Timestamp('2024-03-04 18:21:33+0000', tz='UTC')
    """
    return parse_zone_abbreviation_times(values)


def _questions(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Answer columns by question: ``{"sentiment": ["Answer.sentiment.label"], …}``; a
    question of several columns is a group of boolean option columns."""
    cols = [c for c in frame.columns if c.startswith("Answer.")]
    groups: dict[str, list[str]] = {}
    for c in cols:
        name = c[len("Answer."):]
        if name.endswith(".label"):
            groups[name[: -len(".label")]] = [c]
            continue
        head, dot, _ = name.rpartition(".")
        values = set(frame[c].dropna().astype(str).str.lower())
        if dot and _boolean(values):
            groups.setdefault(head, []).append(c)
        else:
            groups[name] = [c]
    return groups


def _labels(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    values = set(frame[cols[0]].dropna().astype(str).str.lower())
    if len(cols) == 1 and not (cols[0].count(".") >= 2 and _boolean(values)):
        return frame[cols[0]].where(frame[cols[0]].notna() & (frame[cols[0]].astype(str) != "{}"))
    ticked = np.column_stack([frame[c].astype(str).str.lower().isin(_TRUE).to_numpy() for c in cols])
    names = [c.rpartition(".")[2] for c in cols]
    out = [None if not row.any() else join_labels(n for n, t in zip(names, row, strict=True) if t) for row in ticked]
    return pd.Series(out, index=frame.index, dtype=object)


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read an MTurk batch results CSV (see the module docstring)."""
    opts = check_options(options, _OPTIONS, format="mturk")
    rejected = opts.get("rejected", "drop")
    check_choice(rejected, name="rejected", choices=("drop", "keep"))
    require_format(peek, "mturk")
    if peek.container != "csv":
        raise WorkbenchError(f"'{path}': MTurk batch results are a CSV file; this is {peek.container or 'of unknown type'}.")
    _check_ragged(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    if frame.empty:
        raise no_records(path, "MTurk")
    require_columns(frame, ["HITId", "WorkerId", "AssignmentStatus"], table="MTurk batch results", source=str(path))
    groups = _questions(frame)
    if not groups:
        raise WorkbenchError(f"'{path}': the batch results have no Answer.* columns; it has {', '.join(frame.columns[:15])}.")
    chosen = opts.get("question")
    if chosen is not None:
        if chosen not in groups:
            raise WorkbenchError(f"'{path}': no answer column for question {chosen!r}; the questions are {', '.join(map(repr, groups))}.")
        groups = {str(chosen): groups[str(chosen)]}
    tally = Tally(str(path), "mturk", "assignment answers")
    tally.read = len(frame) * len(groups)
    id_col = next((c for c in ("Input.item_id", "Input.id") if c in frame.columns), None)
    item = frame[id_col] if id_col else frame["HITId"]
    if id_col is None:
        tally.note("The batch has no Input.item_id or Input.id column: item_id is the HITId.")
    status = frame["AssignmentStatus"].astype(str)
    is_rejected = (status == "Rejected").to_numpy()
    if rejected == "drop":
        tally.drop("rejected assignment (AssignmentStatus Rejected; keep with rejected='keep')", int(is_rejected.sum()) * len(groups))
        keep_rows = ~is_rejected
    else:
        keep_rows = np.ones(len(frame), dtype=bool)
    base = pd.DataFrame({"item_id": item.astype(str).to_numpy(), "annotator_id": frame["WorkerId"].astype(str).to_numpy()})
    if "SubmitTime" in frame.columns:
        parsed = parse_submit_time(frame["SubmitTime"])
        base["timestamp"] = parsed.to_numpy()
        note = _unread_times(frame["SubmitTime"], parsed)
        if note:
            tally.note(note)
    if "WorkTimeInSeconds" in frame.columns:
        base["duration_s"] = pd.to_numeric(frame["WorkTimeInSeconds"], errors="coerce").to_numpy()
    base["assignment_status"] = status.to_numpy()
    base["seq"] = np.arange(len(frame))
    parts = []
    for q, cols in groups.items():
        lab = _labels(frame, cols)
        part = base.assign(label=lab.to_numpy(), question=q)[keep_rows]
        empty = part["label"].isna().to_numpy()
        tally.drop("assignment without an answer to the question", int(empty.sum()))
        parts.append(part[~empty])
    ann = pd.concat(parts, ignore_index=True)
    order = ["timestamp", "seq"] if "timestamp" in ann.columns else ["seq"]
    ann, dup = keep_latest(ann, ["item_id", "annotator_id", "question"], order=order)
    tally.drop("repeated assignment by the same worker (kept the latest)", dup)
    ann = ann.drop(columns="seq")
    if len(groups) == 1:
        ann = ann.drop(columns="question")
    else:
        tally.note(f"The HITs ask {len(groups)} questions ({', '.join(map(repr, groups))}): the annotations carry "
                   "a 'question' column; pick one with options={'question': NAME}.")
    inputs = [c for c in frame.columns if c.startswith("Input.")]
    items = frame[inputs].rename(columns=lambda c: c[len("Input."):]).assign(item_id=item.astype(str).to_numpy())
    items = items[["item_id", *[c for c in items.columns if c != "item_id"]]].drop_duplicates("item_id")
    return tally.result(annotations=ann.reset_index(drop=True), items=items.reset_index(drop=True))


