"""Profile any table: counts, missing values, distinct values, time spans, and — for a table of
the data model — labels, annotators and timeline.

This is what the ``data_overview`` report shows first for a new table, before any analysis. A
table that matches no data-model kind gets the generic profile (per-column table, missing and
distinct values, the time span of every datetime-like column) and the name of the closest kind
with the columns it lacks (:func:`closest_kind`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench._internal import tables
from workbench._internal.dates import date_family, parse_dates
from workbench._validation import TABLE_SCHEMAS, check_choice, require_frame, validate_table
from workbench.errors import SchemaError

__all__ = ["closest_kind", "detect_kind", "generic_profile", "profile_table", "TableProfile"]

_SPAN_COLUMNS = ["column", "first", "last", "span", "dated"]

def detect_kind(df: pd.DataFrame) -> str:
    """Name the data-model table ``df`` is, by the one rule of :mod:`workbench._internal.tables`
    (its identifying columns, preferences first, gold last).

    Examples
    --------
    >>> detect_kind(pd.DataFrame({"item_id": ["1"], "annotator_id": ["x"], "label": ["pos"]}))
    'annotations'
    >>> detect_kind(pd.DataFrame({"item_id": ["1"], "label": ["pos"]}))
    'gold'
    """
    require_frame(df, table="input")
    return tables.detect_kind(df)


def closest_kind(df: pd.DataFrame) -> tuple[str, tuple[str, ...]]:
    """The data-model kind whose required columns ``df`` lacks fewest of, and those columns
    (ties go to the kind with more of its columns present, then to the one tried first in
    :data:`workbench._internal.tables.KIND_ORDER`).

    Examples
    --------
    >>> closest_kind(pd.DataFrame(columns=["item_id", "worker", "label"]))
    ('gold', ())
    >>> closest_kind(pd.DataFrame(columns=["item_id", "worker", "answer"]))
    ('gold', ('label',))
    """
    have = {str(c) for c in df.columns}
    lacking = {k: tuple(c for c in TABLE_SCHEMAS[k].required if c not in have) for k in tables.KIND_ORDER}
    present = {k: len(TABLE_SCHEMAS[k].required) - len(lacking[k]) for k in lacking}
    best = min(tables.KIND_ORDER, key=lambda k: (len(lacking[k]), -present[k], tables.KIND_ORDER.index(k)))
    return best, lacking[best]


@dataclass(frozen=True)
class TableProfile:
    """What a table holds, in tidy frames ready to plot.

    Attributes
    ----------
    kind : str
        The data-model table (``annotations``, ``preferences``…); ``""`` for a table that
        matches none (then ``labels``, ``annotators``, ``ratings_per_item`` and ``timeline``
        are empty, and ``closest``/``closest_missing`` say which kind it is nearest).
    n_rows : int
    columns : DataFrame
        One row per column: dtype, missing count and share, distinct values, an example.
    labels : DataFrame
        Label (or choice, or source) counts and shares; empty when the table has none.
    annotators : DataFrame
        One row per annotator: judgments, distinct items, share of all judgments, median
        seconds per judgment where ``duration_s`` exists; empty without annotators.
    ratings_per_item : DataFrame
        How many items got 1, 2, 3… judgments; empty for one-row-per-item tables.
    timeline : DataFrame
        Judgments per time bin (and per annotator) where ``timestamp`` exists; else empty.
        Column ``day`` holds the bin start: days for spans of three days or more, hours
        for spans of three hours or more, minutes below.
    time_spans : DataFrame
        One row per datetime-like column (datetimes, or text that is all unambiguous dates):
        ``column``, ``first``, ``last``, ``span`` and ``dated`` (rows with a date); a table
        that matches no kind only.
    closest, closest_missing : str, tuple of str
        For a table that matches no kind: the nearest kind and the columns it lacks.
    """

    kind: str
    n_rows: int
    columns: pd.DataFrame
    labels: pd.DataFrame
    annotators: pd.DataFrame
    ratings_per_item: pd.DataFrame
    timeline: pd.DataFrame
    time_spans: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=_SPAN_COLUMNS))
    closest: str = ""
    closest_missing: tuple[str, ...] = ()

    @property
    def match_line(self) -> str:
        """Which data-model kind the table matches, or the closest one and what it lacks."""
        if self.kind:
            return f"It is {'an' if self.kind[:1] in 'aeiou' else 'a'} {self.kind} table of the data model."
        cols = ", ".join(repr(c) for c in self.closest_missing)
        return f"It matches no data-model table; closest: {self.closest} (missing columns {cols})."

    def to_frame(self) -> pd.DataFrame:
        """The per-column profile."""
        return self.columns

    def summary(self) -> str:
        """One paragraph: size, missing values, labels, annotators, time span."""
        kind = f"{self.kind} table" if self.kind else "table"
        parts = [f"A {kind} of {self.n_rows:,} rows and {len(self.columns)} columns."]
        if not self.kind:
            parts.append(self.match_line)
        missing = self.columns[self.columns["missing"] > 0]
        if len(missing):
            worst = missing.sort_values("missing", ascending=False).iloc[0]
            parts.append(
                f"{len(missing)} column(s) have missing values; the most is '{worst['column']}' "
                f"with {int(worst['missing']):,} ({worst['missing_share']:.1%})."
            )
        else:
            parts.append("No column has missing values.")
        if len(self.labels):
            top = self.labels.iloc[0]
            parts.append(
                f"{len(self.labels)} distinct {self.labels.columns[0]} values; the most common is "
                f"{top.iloc[0]!r} ({top['share']:.1%})."
            )
        if len(self.annotators):
            parts.append(
                f"{len(self.annotators)} annotators gave between {int(self.annotators['judgments'].min()):,} "
                f"and {int(self.annotators['judgments'].max()):,} judgments each."
            )
        if len(self.ratings_per_item):
            rpi = self.ratings_per_item
            mean = float((rpi["ratings"] * rpi["items"]).sum() / rpi["items"].sum())
            parts.append(f"Items have {mean:.2f} judgments on average.")
        if len(self.timeline):
            parts.append(
                f"Judgments span {self.timeline['day'].min():%Y-%m-%d %H:%M} to "
                f"{self.timeline['day'].max():%Y-%m-%d %H:%M}."
            )
        parts.extend(_span_sentence(row) for row in self.time_spans.itertuples(index=False))
        return " ".join(parts)


def _span_sentence(row: tuple[object, ...]) -> str:
    column, first, last, _, dated = row
    return f"'{column}' spans {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} ({dated:,} dated rows)."


def _time_spans(df: pd.DataFrame) -> pd.DataFrame:
    """First and last date of every datetime-like column: datetime dtypes, and text columns whose
    every value is an unambiguous date (ISO 8601, MTurk-style, day/month or month/day told apart)."""
    rows = []
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_datetime64_any_dtype(s) or s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        if not pd.api.types.is_datetime64_any_dtype(s):
            text = s.dropna()
            if not len(text) or not all(isinstance(v, str) for v in text.head(1000)):
                continue
            families = {date_family(v) for v in text.astype(str).unique()}
            if not families <= {"iso", "zone", "dmy", "mdy", "ambiguous"} or families <= {"ambiguous"}:
                continue
        try:
            ts = parse_dates(s, table="table", column=str(col), allow_missing=True)
        except SchemaError:
            continue
        if ts.notna().any():
            rows.append({"column": str(col), "first": ts.min(), "last": ts.max(), "span": ts.max() - ts.min(),
                         "dated": int(ts.notna().sum())})
    return pd.DataFrame(rows, columns=_SPAN_COLUMNS)


def _column_profile(df: pd.DataFrame) -> pd.DataFrame:
    n = max(len(df), 1)
    rows = []
    for col in df.columns:
        s = df[col]
        missing = int(s.isna().sum())
        first = s.dropna()
        example = first.iloc[0] if len(first) else None
        text = str(example)
        rows.append(
            {
                "column": str(col),
                "dtype": str(s.dtype),
                "missing": missing,
                "missing_share": missing / n,
                "distinct": int(s.nunique(dropna=True)),
                "example": text if len(text) <= 60 else text[:57] + "...",
            }
        )
    return pd.DataFrame(rows)


def generic_profile(df: pd.DataFrame) -> TableProfile:
    """The profile of any table read as it is (no data-model kind): columns, missing and
    distinct values, time spans, and the closest data-model kind with the columns it lacks."""
    require_frame(df, table="input")
    closest, lacking = closest_kind(df)
    return TableProfile("", len(df), _column_profile(df), pd.DataFrame(columns=["value", "count", "share"]),
                        pd.DataFrame(columns=["annotator_id", "judgments", "items", "share"]),
                        pd.DataFrame(columns=["ratings", "items"]), pd.DataFrame(columns=["day", "judgments"]),
                        _time_spans(df), closest, lacking)


def profile_table(df: pd.DataFrame, *, kind: str | None = None) -> TableProfile:
    """Profile a table: any table, and a data-model table with its labels, annotators and timeline.

    Parameters
    ----------
    df
        Any table. One of the data model (see DESIGN.md) gets the full profile; one that
        matches no kind the generic profile (columns, missing and distinct values, time spans)
        and the closest kind (:func:`closest_kind`).
    kind
        Its kind; ``None`` detects it from the columns (:func:`detect_kind`).

    Returns
    -------
    TableProfile

    Raises
    ------
    SchemaError
        The table fails the checks of its kind (missing keys, duplicate (item, annotator)
        rows…), or of the ``kind`` given.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": ["1", "1", "2"], "annotator_id": ["x", "y", "x"],
    ...                    "label": ["pos", "neg", "pos"]})
    >>> p = profile_table(df)
    >>> p.labels["count"].tolist()
    [2, 1]
    >>> p.ratings_per_item.to_dict("list")
    {'ratings': [1, 2], 'items': [1, 1]}
    >>> q = profile_table(pd.DataFrame({"task": ["1", "2"], "label": ["a", "b"], "when": ["2024-01-01", "2024-01-03"]}))
    >>> q.kind, q.closest, q.closest_missing, q.time_spans["span"].iloc[0]
    ('', 'gold', ('item_id',), Timedelta('2 days 00:00:00'))
    """
    require_frame(df, table="input")
    if kind is None:
        try:
            kind = detect_kind(df)
        except SchemaError:  # no data-model table: the generic profile, and the closest kind
            return generic_profile(df)
    check_choice(kind, name="kind", choices=tuple(TABLE_SCHEMAS))
    validate_table(df, kind)
    n = len(df)
    label_col = tables.LABEL_COLUMN.get(kind)
    if label_col and label_col in df.columns:
        counts = df[label_col].astype("string").fillna("<missing>").value_counts()
        labels = pd.DataFrame({label_col: counts.index.astype(str), "count": counts.to_numpy()})
        labels["share"] = labels["count"] / n
    else:
        labels = pd.DataFrame(columns=["value", "count", "share"])
    if "annotator_id" in df.columns:
        item_col = tables.ITEM_COLUMN.get(kind, "item_id")
        g = df.groupby("annotator_id", sort=True)
        annotators = pd.DataFrame({"judgments": g.size(), "items": g[item_col].nunique()})
        annotators["share"] = annotators["judgments"] / n
        if "duration_s" in df.columns:
            annotators["median_duration_s"] = g["duration_s"].median()
        annotators = annotators.reset_index().sort_values("judgments", ascending=False, ignore_index=True)
        per_item = df.groupby(item_col).size().value_counts().sort_index()
        ratings_per_item = pd.DataFrame({"ratings": per_item.index.to_numpy(dtype=np.int64),
                                         "items": per_item.to_numpy(dtype=np.int64)})
    else:
        annotators = pd.DataFrame(columns=["annotator_id", "judgments", "items", "share"])
        ratings_per_item = pd.DataFrame(columns=["ratings", "items"])
    if "timestamp" in df.columns:
        ts = parse_dates(df["timestamp"], table="table", column="timestamp", allow_missing=True)
        span = ts.max() - ts.min() if ts.notna().any() else pd.Timedelta(0)
        # bins that suit the span: minutes for a session, hours for a day or two, days beyond
        step = "D" if span >= pd.Timedelta("3D") else "h" if span >= pd.Timedelta("3h") else "min"
        frame = pd.DataFrame({"day": ts.dt.floor(step)})
        if "annotator_id" in df.columns:
            frame["annotator_id"] = df["annotator_id"].to_numpy()
            timeline = frame.dropna().groupby(["day", "annotator_id"]).size().rename("judgments").reset_index()
        else:
            timeline = frame.dropna().groupby("day").size().rename("judgments").reset_index()
    else:
        timeline = pd.DataFrame(columns=["day", "judgments"])
    return TableProfile(kind, n, _column_profile(df), labels, annotators, ratings_per_item, timeline)
