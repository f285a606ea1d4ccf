"""Sentences for the edges of real data: what a table allows, who may be ranked, what is missing.

Reports run on data nobody planned for: one annotator, one item, one label, no item judged
twice, grouping columns that the table lacks, a statistic undefined for everybody. These
helpers turn such cases into a clear sentence and a flag the report branches on, so the
report states the limitation and goes on with what can be computed.

* :func:`annotation_shape` — counts of a long annotations table and, where agreement cannot
  be measured, the reason;
* :func:`lowest` / :func:`highest` — the row to name in a ranking, only among rows with
  at least ``min_n`` judgments and a defined value, else ``None`` and the reason;
* :func:`available_columns` — the requested grouping columns the table has, and a note on
  the ones it lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "AnnotationShape",
    "Ranked",
    "annotation_shape",
    "available_columns",
    "highest",
    "lowest",
]


@dataclass(frozen=True)
class AnnotationShape:
    """What a long annotations table allows.

    Attributes
    ----------
    n_rows, n_items, n_annotators, n_labels
        Judgments, distinct items, annotators and labels.
    n_items_multi
        Items with two or more judgments (the only ones agreement can use).
    """

    n_rows: int
    n_items: int
    n_annotators: int
    n_labels: int
    n_items_multi: int

    @property
    def agreement_problem(self) -> str | None:
        """Why agreement coefficients are undefined here (a sentence), or ``None``."""
        if self.n_rows == 0:
            return "The table has no judgments, so nothing can be measured."
        if self.n_annotators < 2:
            return (f"Only one annotator judged these {self.n_items:,} items, so agreement between "
                    "annotators cannot be measured; the report shows what one annotator allows.")
        if self.n_items_multi == 0:
            return (f"No item was judged by two or more annotators ({self.n_items:,} items, each judged "
                    "once), so there is no overlap to measure agreement on.")
        if self.n_items_multi == 1:
            return ("Only one item was judged by two or more annotators: agreement on a single item "
                    "has no interval and no meaning.")
        if self.n_labels < 2:
            return ("Every judgment carries the same label, so chance agreement is total and kappa and "
                    "alpha are undefined (0/0); the labels show no disagreement at all.")
        return None

    @property
    def can_aggregate(self) -> bool:
        """Whether consensus labels (majority vote, Dawid–Skene) can be formed."""
        return self.n_rows > 0 and self.n_annotators >= 2

    def summary(self) -> str:
        """One sentence with the counts."""
        return (f"{self.n_rows:,} judgments of {self.n_items:,} items by {self.n_annotators:,} annotators "
                f"with {self.n_labels:,} distinct labels; {self.n_items_multi:,} items judged at least twice.")


def annotation_shape(
    annotations: pd.DataFrame,
    *,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
) -> AnnotationShape:
    """Counts of an annotations table that decide which analyses are defined.

    Examples
    --------
    >>> ann = pd.DataFrame({"item_id": ["q1", "q2"], "annotator_id": "a", "label": ["x", "y"]})
    >>> annotation_shape(ann).agreement_problem.startswith("Only one annotator")
    True
    """
    per_item = annotations.groupby(item)[annotator].nunique()
    return AnnotationShape(
        n_rows=len(annotations),
        n_items=int(annotations[item].nunique()),
        n_annotators=int(annotations[annotator].nunique()),
        n_labels=int(annotations[label].dropna().astype(str).nunique()),
        n_items_multi=int((per_item >= 2).sum()),
    )


@dataclass(frozen=True)
class Ranked:
    """The row a ranking names (or why it names nobody).

    Attributes
    ----------
    name
        Index label of the named row, or ``None``.
    value, n
        Its value and number of judgments (NaN / 0 when nobody is named).
    eligible, total
        Rows with a defined value and at least ``min_n`` judgments, and all rows.
    sentence
        What the report prints.
    """

    name: object | None
    value: float
    n: int
    eligible: int
    total: int
    sentence: str


def _extreme(
    frame: pd.DataFrame, column: str, *, n_column: str, min_n: int, what: str, label: str, largest: bool,
) -> Ranked:
    total = len(frame)
    values = pd.to_numeric(frame[column], errors="coerce") if column in frame.columns else pd.Series(
        np.nan, index=frame.index)
    counts = (pd.to_numeric(frame[n_column], errors="coerce").fillna(0) if n_column in frame.columns
              else pd.Series(0, index=frame.index))
    defined = values.notna()
    ok = defined & (counts >= min_n)
    if total == 0:
        return Ranked(None, float("nan"), 0, 0, 0, f"No {what} to rank.")
    if not defined.any():
        return Ranked(None, float("nan"), 0, 0, total,
                      f"{column} is undefined for every {what} ({total:,}), so nobody is named {label}.")
    if not ok.any():
        return Ranked(None, float("nan"), 0, 0, total,
                      f"No {what} has {min_n:,} or more judgments (the most is {int(counts.max()):,}), "
                      f"so nobody is named {label}; lower min_judgments to rank small samples.")
    sub = values[ok]
    key = sub.idxmax() if largest else sub.idxmin()
    skipped = int(defined.sum() - ok.sum())
    tail = f"; {skipped:,} {what}(s) with fewer than {min_n:,} judgments not ranked" if skipped else ""
    return Ranked(key, float(sub[key]), int(counts[key]), int(ok.sum()), total,
                  f"{label.capitalize()}: {key} ({column} {float(sub[key]):.3f} on {int(counts[key]):,} "
                  f"judgments; {int(ok.sum()):,} of {total:,} {what}s ranked{tail}).")


def lowest(
    frame: pd.DataFrame, column: str, *, n_column: str = "n", min_n: int = 20, what: str = "annotator",
    label: str = "least reliable annotator",
) -> Ranked:
    """The row with the lowest defined ``column`` among rows with ``n_column >= min_n``.

    Examples
    --------
    >>> f = pd.DataFrame({"kappa": [0.2, 0.8, np.nan], "n": [5, 50, 40]}, index=["u", "v", "w"])
    >>> lowest(f, "kappa", min_n=10).name
    'v'
    >>> lowest(f, "kappa", min_n=100).name is None
    True
    """
    return _extreme(frame, column, n_column=n_column, min_n=min_n, what=what, label=label, largest=False)


def highest(
    frame: pd.DataFrame, column: str, *, n_column: str = "n", min_n: int = 20, what: str = "annotator",
    label: str = "highest",
) -> Ranked:
    """The row with the highest defined ``column`` among rows with ``n_column >= min_n``.

    Examples
    --------
    >>> f = pd.DataFrame({"rate": [0.2, 0.8], "count": [30, 3]}, index=["u", "v"])
    >>> highest(f, "rate", n_column="count", min_n=10).name
    'u'
    """
    return _extreme(frame, column, n_column=n_column, min_n=min_n, what=what, label=label, largest=True)


def available_columns(
    table: pd.DataFrame, wanted: Sequence[str], *, purpose: str, virtual: Sequence[str] = (),
) -> tuple[list[str], str]:
    """The ``wanted`` columns the table has (``virtual`` ones always count), and a note on the rest.

    Examples
    --------
    >>> t = pd.DataFrame({"annotator_id": [], "label": []})
    >>> available_columns(t, ["annotator_id", "cohort", "period"], purpose="root causes", virtual=["period"])
    (['annotator_id', 'period'], "Not in the table, so left out of the root causes: 'cohort'.")
    """
    kept = [c for c in wanted if c in table.columns or c in virtual]
    missing = [c for c in wanted if c not in kept]
    if not missing:
        return kept, ""
    names = ", ".join(repr(c) for c in missing)
    return kept, f"Not in the table, so left out of the {purpose}: {names}."
