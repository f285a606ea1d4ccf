"""Image paths from a table: resolved against the table's folder, refused when they leave it.

Used by CLIP scoring, the threshold explorer and the review queue, so a table cannot make a
report or widget read (and embed) a file outside its folder unless the user opts in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.errors import WorkbenchError

__all__ = ["locate_images"]


def locate_images(
    paths: pd.Series, base: Path | None, *, allow_outside: bool, column: str, table: str = "image_captions"
) -> list[Any]:
    """Resolve relative image paths against ``base``; refuse paths that leave it.

    Parameters
    ----------
    paths
        The image column; values that are not paths (missing values, decoded images) pass
        through unchanged.
    base
        The table's folder (``None``: the working directory, and relative paths stay relative).
    allow_outside
        Accept absolute paths and ``..`` paths that lead outside ``base``.
    column, table
        Names used in the error message.

    Returns
    -------
    list
        One entry per value: a :class:`~pathlib.Path` (or the value as given).

    Raises
    ------
    WorkbenchError
        A path leads outside ``base`` and ``allow_outside`` is false; the message names the rows.

    Examples
    --------
    >>> locate_images(pd.Series(["a.png"]), Path("imgs"), allow_outside=False, column="image")[0].name
    'a.png'
    """
    root = os.path.normpath(os.path.abspath(base if base is not None else os.curdir))
    out: list[Any] = []
    outside: list[tuple[Any, str]] = []
    for row, x in zip(paths.index, paths.tolist(), strict=True):
        if not isinstance(x, (str, os.PathLike)):
            out.append(x)
            continue
        joined = os.path.join(root, os.fspath(x))  # an absolute x replaces root
        target = os.path.normpath(joined)
        if not allow_outside and os.path.commonpath([root, target]) != root:
            outside.append((row, os.fspath(x)))
        out.append(Path(joined) if base is not None or os.path.isabs(os.fspath(x)) else x)
    if outside:
        shown = ", ".join(f"row {r} ({p[:80]!r})" for r, p in outside[:5])
        more = f" and {len(outside) - 5:,} more" if len(outside) > 5 else ""
        raise WorkbenchError(
            f"table '{table}', column '{column}': {len(outside):,} image path(s) lead outside "
            f"the table's folder '{root}': {shown}{more}. Image paths are relative to the table and "
            "stay inside its folder; if you trust this table, pass allow_outside=True "
            "(command line: --allow-outside)."
        )
    return out
