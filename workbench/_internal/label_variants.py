"""Labels that differ only by case or surrounding whitespace: found, counted, merged on request.

``"Positive"``, ``"positive "`` and ``"positive"`` are one label typed three ways; counted as
three categories they drag agreement down (alpha 0.63 → 0.18 in the issue that added this).
:func:`label_variants` finds such groups, :func:`warn_label_variants` warns with the counts,
and :func:`normalize_labels` merges each group into its most frequent spelling.
"""

from __future__ import annotations

import warnings

import pandas as pd

from workbench.errors import LabelVariantWarning

__all__ = ["label_variants", "normalize_labels", "warn_label_variants"]


def _key(value: object) -> object:
    return value.strip().casefold() if isinstance(value, str) else value


def label_variants(labels: pd.Series) -> pd.DataFrame:
    """Spellings that collapse to one label after stripping whitespace and case.

    Returns
    -------
    pandas.DataFrame
        ``key, spelling, count``, one row per spelling of every key written more than one
        way, plus blank labels (only whitespace) under the key ``""``; empty when clean.

    Examples
    --------
    >>> label_variants(pd.Series(["Positive", "positive ", "positive", "neg", " "])).to_dict("list")
    {'key': ['', 'positive', 'positive', 'positive'], 'spelling': [' ', 'Positive', 'positive', 'positive '], 'count': [1, 1, 1, 1]}
    """
    if isinstance(labels.dtype, pd.StringDtype):  # text: the distinct spellings decide, counted only when flagged
        keys = [_key(v) for v in pd.unique(labels.dropna())]
        if "" not in keys and len(set(keys)) == len(keys):
            return pd.DataFrame({"key": pd.Series(dtype="str"), "spelling": pd.Series(dtype="str"),
                                 "count": pd.Series(dtype="int64")})
    counts = labels.value_counts()  # count first: the type test then runs once per distinct value
    counts = counts[[isinstance(v, str) for v in counts.index]]
    if counts.empty:
        return pd.DataFrame(columns=["key", "spelling", "count"])
    frame = pd.DataFrame({"spelling": counts.index.astype(str), "count": counts.to_numpy(dtype="int64")})
    frame["key"] = frame["spelling"].map(_key)
    n_spellings = frame.groupby("key")["spelling"].transform("size")
    flagged = frame[(n_spellings > 1) | (frame["key"] == "")]
    return flagged[["key", "spelling", "count"]].sort_values(["key", "spelling"], ignore_index=True)


def warn_label_variants(labels: pd.Series, *, table: str, column: str = "label") -> pd.DataFrame:
    """Warn (:class:`~workbench.errors.LabelVariantWarning`) when ``labels`` has variants."""
    found = label_variants(labels)
    if len(found):
        groups = []
        for key, g in found.groupby("key", sort=True):
            spelled = ", ".join(f"{s!r} ({c:,})" for s, c in zip(g["spelling"], g["count"], strict=True))
            groups.append(f"blank labels: {spelled}" if key == "" else spelled)
            if len(groups) == 5:
                break
        warnings.warn(
            f"table '{table}', column '{column}': labels that differ only by case or surrounding "
            f"whitespace are counted as different labels: {'; '.join(groups)}. If they mean the same, "
            "load with normalize_labels=True (command line: --normalize-labels) to merge each group "
            "into its most frequent spelling (blank labels become missing).",
            LabelVariantWarning,
            stacklevel=3,
        )
    return found


def normalize_labels(labels: pd.Series) -> pd.Series:
    """Merge spellings that differ only by case or whitespace into the most frequent one;
    blank labels become missing.

    Examples
    --------
    >>> normalize_labels(pd.Series(["Positive", "positive ", "positive", "positive", " "])).tolist()
    ['positive', 'positive', 'positive', 'positive', nan]
    """
    is_text = labels.map(lambda v: isinstance(v, str))
    if not is_text.any():
        return labels
    text = labels[is_text]
    counts = text.value_counts()
    keys = pd.Series(counts.index.map(_key), index=counts.index)
    best: dict[object, str] = {}
    for spelling, key in keys.items():  # value_counts is sorted by count: first seen wins
        if key != "":
            best.setdefault(key, str(spelling).strip())
    out = labels.astype(object).copy()
    out[is_text] = text.map(lambda v: best.get(_key(v), float("nan")))
    return out
