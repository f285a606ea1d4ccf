"""Text-list coercion shared by the scorers (perplexity, text heuristics, composite rules, cache)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from workbench._validation import format_rows
from workbench.errors import WorkbenchError

__all__ = ["as_text_list"]


def as_text_list(texts: object, *, name: str = "texts") -> tuple[list[str | None], pd.Index | None]:
    """Validate a sequence of texts; missing values (None/NaN/NA) become None.

    Returns the texts as a list and the Series index (``None`` for other sequences), so a
    scorer can return its scores on the caller's index. A single string, a DataFrame or
    non-text values are errors naming the positions.

    Examples
    --------
    >>> as_text_list(pd.Series(["a", None], index=[5, 6]))
    (['a', None], Index([5, 6], dtype='int64'))
    >>> as_text_list(["a", 3])
    Traceback (most recent call last):
    ...
    workbench.errors.WorkbenchError: texts must hold text, but position 1 holds int values such as 3. Convert them with pd.Series(texts).astype('string') or drop them.
    """
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            f"{name} must be a sequence of strings, got a single {type(texts).__name__}; "
            f"wrap it in a list: [{name[:-1] if name.endswith('s') else name}]."
        )
    index = texts.index if isinstance(texts, pd.Series) else None
    if isinstance(texts, pd.DataFrame):
        raise TypeError(f"{name} must be a sequence of strings, not a DataFrame; pass df['text'].")
    if not isinstance(texts, Iterable):
        raise TypeError(f"{name} must be a sequence of strings, got {type(texts).__name__}.")
    values = list(texts.tolist() if isinstance(texts, (pd.Series, np.ndarray)) else texts)
    out: list[str | None] = []
    bad = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            out.append(None)
        elif isinstance(v, str):
            out.append(v)
        else:
            bad.append(i)
            out.append(None)
    if bad:
        first = values[bad[0]]
        raise WorkbenchError(
            f"{name} must hold text, but {format_rows(bad, noun='position')} "
            f"{'holds' if len(bad) == 1 else 'hold'} "
            f"{type(first).__name__} values such as {first!r}. Convert them with "
            "pd.Series(texts).astype('string') or drop them."
        )
    return out, index
