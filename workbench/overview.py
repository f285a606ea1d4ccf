"""Profile any table of the data model: counts, missing values, labels, annotators, timeline.

This is what the ``data_overview`` report shows first for a new table, before any analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench._internal import tables
from workbench._internal.dates import parse_dates
from workbench._validation import TABLE_SCHEMAS, check_choice, require_frame, validate_table

__all__ = ["TableProfile", "detect_kind", "profile_table"]

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


@dataclass(frozen=True)
class TableProfile:
    """What a table holds, in tidy frames ready to plot.

    Attributes
    ----------
    kind : str
        The data-model table (``annotations``, ``preferences``…).
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
    """

    kind: str
    n_rows: int
    columns: pd.DataFrame
    labels: pd.DataFrame
    annotators: pd.DataFrame
    ratings_per_item: pd.DataFrame
    timeline: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The per-column profile."""
        return self.columns

    def summary(self) -> str:
        """One paragraph: size, missing values, labels, annotators, time span."""
        parts = [f"A {self.kind} table of {self.n_rows:,} rows and {len(self.columns)} columns."]
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
        return " ".join(parts)


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


def profile_table(df: pd.DataFrame, *, kind: str | None = None) -> TableProfile:
    """Profile a table of the data model.

    Parameters
    ----------
    df
        Any table of the data model (see DESIGN.md).
    kind
        Its kind; ``None`` detects it from the columns (:func:`detect_kind`).

    Returns
    -------
    TableProfile

    Raises
    ------
    SchemaError
        The table matches no kind, or fails the checks of its kind (missing keys,
        duplicate (item, annotator) rows…).

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": ["1", "1", "2"], "annotator_id": ["x", "y", "x"],
    ...                    "label": ["pos", "neg", "pos"]})
    >>> p = profile_table(df)
    >>> p.labels["count"].tolist()
    [2, 1]
    >>> p.ratings_per_item.to_dict("list")
    {'ratings': [1, 2], 'items': [1, 1]}
    """
    require_frame(df, table="input")
    if kind is None:
        kind = detect_kind(df)
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
