"""Input checks shared by every public function.

Each check raises a :class:`~workbench.errors.WorkbenchError` (or ``TypeError`` for a wrong
type) whose message names the table, the column, the first offending rows and the fix.
Public functions validate first, then call a private worker that assumes clean input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import SchemaError, WorkbenchError

__all__ = [
    "TableSchema",
    "TABLE_SCHEMAS",
    "as_rng",
    "check_choice",
    "format_rows",
    "require_columns",
    "require_frame",
    "require_no_missing",
    "require_nonempty",
    "require_numeric",
    "require_probabilities",
    "show_value",
    "require_unique",
    "require_text",
    "validate_preferences",
    "validate_table",
]

_MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class TableSchema:
    """Columns of one table of the data model (see DESIGN.md)."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    no_missing: tuple[str, ...] = ()


TABLE_SCHEMAS: dict[str, TableSchema] = {
    "annotations": TableSchema(
        "annotations",
        required=("item_id", "annotator_id", "label"),
        optional=("timestamp", "cohort", "category", "guideline_version", "vendor", "duration_s"),
        key=("item_id", "annotator_id"),
        numeric=("duration_s",),
        no_missing=("item_id", "annotator_id", "label"),
    ),
    "gold": TableSchema(
        "gold",
        required=("item_id", "label"),
        key=("item_id",),
        no_missing=("item_id", "label"),
    ),
    "preferences": TableSchema(
        "preferences",
        required=("pair_id", "annotator_id", "choice", "response_a", "response_b"),
        optional=("prompt", "len_a", "len_b", "timestamp", "vendor", "category", "duration_s"),
        key=("pair_id", "annotator_id"),
        text=("response_a", "response_b"),
        numeric=("len_a", "len_b", "duration_s"),
        no_missing=("pair_id", "annotator_id", "choice"),
    ),
    "corpus": TableSchema(
        "corpus",
        required=("doc_id", "text"),
        optional=("source",),
        key=("doc_id",),
        text=("text",),
        no_missing=("doc_id",),
    ),
    "image_captions": TableSchema(
        "image_captions",
        required=("pair_id", "image", "caption"),
        key=("pair_id",),
        text=("caption",),
        no_missing=("pair_id", "image"),
    ),
}

PREFERENCE_CHOICES = ("a", "b", "tie")


def format_rows(index: Iterable[Any], *, limit: int = _MAX_ROWS_SHOWN, noun: str = "row") -> str:
    """Describe offending rows: ``"rows 3, 17, 42 (and 5 more)"``, ``"row 3"``.

    ``noun`` names what the numbers are (``"position"`` for plain sequences); it takes an
    ``s`` for more than one.

    Examples
    --------
    >>> format_rows([7]), format_rows([1, 2], noun="position")
    ('row 7', 'positions 1, 2')
    """
    rows = list(index)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" (and {len(rows) - limit} more)" if len(rows) > limit else ""
    word = noun if len(rows) == 1 else f"{noun}s"
    return f"{word} {shown}{more}"


def show_value(value: object) -> str:
    """repr of a cell value without numpy's type wrapper (``1``, not ``np.int64(1)``): every message's values."""
    item = getattr(value, "item", None)
    return repr(item() if callable(item) and not isinstance(value, (str, bytes)) else value)


_show = show_value


def _where(table: str, source: str | None) -> str:
    return f"table '{table}'" + (f" ({source})" if source else "")


def require_frame(obj: object, *, table: str) -> pd.DataFrame:
    """Return ``obj`` if it is a DataFrame, else raise ``TypeError`` naming the table."""
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(
            f"{_where(table, None)} must be a pandas DataFrame, got {type(obj).__name__}. "
            "Load files with workbench.io.load_table(path)."
        )
    return obj


def require_nonempty(df: pd.DataFrame, *, table: str, source: str | None = None) -> None:
    """Raise if the table has no rows."""
    if len(df) == 0:
        raise SchemaError(
            f"{_where(table, source)} is empty (0 rows). "
            "Check the file or the filter that produced it."
        )


def require_columns(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    table: str,
    source: str | None = None,
    option_names: Sequence[str] | None = None,
) -> None:
    """Raise if any of ``columns`` is missing, listing the columns that are there.

    ``option_names`` gives, in the same order, the keyword option that selects each column
    (e.g. ``item=``) so the message can say how to point at a differently named column.
    """
    missing = [c for c in columns if c not in df.columns]
    if not missing:
        return
    present = ", ".join(repr(str(c)) for c in df.columns[:20])
    hint = ""
    if option_names is not None:
        opts = [f"{o}=" for c, o in zip(columns, option_names, strict=True) if c in missing]
        hint = f" or pass the column's name with {', '.join(opts)}"
    raise SchemaError(
        f"{_where(table, source)} is missing column(s) {', '.join(repr(c) for c in missing)}; "
        f"it has {present}. Rename the column(s) with df.rename(columns={{...}}){hint}."
    )


def require_no_missing(
    df: pd.DataFrame, column: str, *, table: str, source: str | None = None
) -> None:
    """Raise if ``column`` holds missing values (NaN, None, NaT)."""
    bad = df.index[df[column].isna().to_numpy()]
    if len(bad):
        raise SchemaError(
            f"{_where(table, source)}, column '{column}': {len(bad)} missing value(s) at "
            f"{format_rows(bad)}. Drop those rows (df.dropna(subset=['{column}'])) or fill them."
        )


def require_unique(
    df: pd.DataFrame, keys: Sequence[str], *, table: str, source: str | None = None
) -> None:
    """Raise if two rows share the same values of ``keys``."""
    dup = df.duplicated(subset=list(keys), keep=False).to_numpy()
    if dup.any():
        bad = df.index[dup]
        first = df[list(keys)].iloc[int(np.flatnonzero(dup)[0])]
        example = ", ".join(f"{k}={_show(first[k])}" for k in keys)
        raise SchemaError(
            f"{_where(table, source)}: {int(dup.sum())} rows share the same "
            f"({', '.join(keys)}), e.g. {example}, at {format_rows(bad)}. Each "
            f"({', '.join(keys)}) must appear once; keep the latest with "
            f"df.drop_duplicates(subset={list(keys)!r}, keep='last')."
        )


def require_numeric(
    df: pd.DataFrame, column: str, *, table: str, source: str | None = None
) -> None:
    """Raise if a column that must be numeric holds values that are not numbers."""
    col = df[column]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return
    converted = pd.to_numeric(col, errors="coerce")
    mask = (converted.isna() & col.notna()).to_numpy()
    bad = df.index[mask]
    if len(bad):
        raise SchemaError(
            f"{_where(table, source)}, column '{column}' must be numeric but holds "
            f"{_show(col.iloc[int(np.flatnonzero(mask)[0])])} at {format_rows(bad)}. Convert with "
            f"pd.to_numeric(df['{column}'], errors='coerce') or fix those rows."
        )


def require_probabilities(
    df: pd.DataFrame, column: str, *, table: str, source: str | None = None, fix: str = ""
) -> None:
    """Raise if a numeric column holds values outside [0, 1] (missing values allowed).

    Checks :func:`require_numeric` first; ``fix`` is an extra sentence of advice.
    """
    require_numeric(df, column, table=table, source=source)
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    mask = (values < 0) | (values > 1)
    if mask.any():
        bad = df.index[mask]
        raise SchemaError(
            f"{_where(table, source)}, column '{column}' must hold probabilities in [0, 1] but holds "
            f"{_show(df[column].iloc[int(np.flatnonzero(mask)[0])])} at {format_rows(bad)}. "
            + (fix or f"Rescale '{column}' to [0, 1] or fix those rows.")
        )


def require_text(
    df: pd.DataFrame, column: str, *, table: str, source: str | None = None
) -> None:
    """Raise if a text column holds values that are not strings (missing values allowed)."""
    col = df[column]
    mask = col.notna().to_numpy() & ~col.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if mask.any():
        bad = df.index[mask]
        value = col.iloc[int(np.flatnonzero(mask)[0])]
        raise SchemaError(
            f"{_where(table, source)}, column '{column}' must hold text but holds "
            f"{type(value).__name__} {_show(value)} at {format_rows(bad)}. "
            f"Convert with df['{column}'].astype(str) if that is what you mean."
        )


def check_choice(value: object, *, name: str, choices: Sequence[object]) -> None:
    """Raise if ``value`` is not one of ``choices``, listing the valid ones."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise WorkbenchError(f"{name}={value!r} is not valid; choose one of {valid}.")


def as_rng(rng: int | np.random.Generator | None) -> np.random.Generator:
    """Turn ``rng`` (seed, Generator or None) into a Generator; never touches global state."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be an int seed, a numpy Generator or None, got {type(rng).__name__}.")


def validate_table(
    df: object,
    kind: str,
    *,
    source: str | None = None,
    columns: dict[str, str] | None = None,
    key_proven: Sequence[str] = (),
) -> pd.DataFrame:
    """Check ``df`` against the data-model table ``kind`` and return it unchanged.

    Parameters
    ----------
    df
        The table.
    kind
        One of ``annotations``, ``gold``, ``preferences``, ``corpus``, ``image_captions``.
    source
        Where the table came from (a file path), quoted in error messages.
    columns
        Maps a data-model column name to the name it has in ``df`` (``{"item_id": "task"}``).
    key_proven
        Columns the caller has proven unique (an importer that resolved repeated answers):
        when they are the table's key, the duplicate check is not made a second time.

    Raises
    ------
    SchemaError
        Missing columns, empty table, missing keys, duplicate keys, non-numeric numbers,
        non-text text, or preference choices other than ``a``/``b``/``tie``.
    """
    check_choice(kind, name="kind", choices=tuple(TABLE_SCHEMAS))
    schema = TABLE_SCHEMAS[kind]
    frame = require_frame(df, table=kind)
    names = {c: (columns or {}).get(c, c) for c in (*schema.required, *schema.optional)}
    require_columns(frame, [names[c] for c in schema.required], table=kind, source=source)
    require_nonempty(frame, table=kind, source=source)
    for c in schema.no_missing:
        require_no_missing(frame, names[c], table=kind, source=source)
    for c in schema.numeric:
        if names[c] in frame.columns:
            require_numeric(frame, names[c], table=kind, source=source)
    for c in schema.text:
        if names[c] in frame.columns:
            require_text(frame, names[c], table=kind, source=source)
    if schema.key and set(key_proven) != {names[c] for c in schema.key}:
        require_unique(frame, [names[c] for c in schema.key], table=kind, source=source)
    if kind == "preferences":
        choice = frame[names["choice"]]
        ok = choice.map(lambda v: isinstance(v, str) and v in PREFERENCE_CHOICES).to_numpy(dtype=bool)
        bad = frame.index[~ok]
        first_bad = choice.iloc[int(np.flatnonzero(~ok)[0])] if len(bad) else None
        if len(bad):
            raise SchemaError(
                f"{_where(kind, source)}, column '{names['choice']}' must be 'a', 'b' or 'tie' "
                f"but holds {_show(first_bad)} at {format_rows(bad)}. Map your values, e.g. "
                "df['choice'].map({1: 'a', 2: 'b', 0: 'tie'}) or df['choice'].str.lower()."
            )
    return frame


def validate_preferences(
    df: object,
    *,
    pair: str = "pair_id",
    annotator: str = "annotator_id",
    choice: str = "choice",
    response_a: str = "response_a",
    response_b: str = "response_b",
    extra: dict[str, str | Sequence[str] | None] | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Check a preferences table whose columns may be renamed, plus extra columns, and return it.

    Parameters
    ----------
    df
        The preferences table (one row per judgment).
    pair, annotator, choice, response_a, response_b
        The names these data-model columns have in ``df``.
    extra
        Further columns the caller needs, keyed by the keyword option that names them,
        e.g. ``{"by": ["vendor"], "covariates": ["category"], "win_probability": None}``;
        a value may be one name, a sequence of names or ``None`` (nothing needed). A missing
        one is reported together with its option (``... or pass the column's name with by=``).
    source
        Where the table came from (a file path or a vendor name), quoted in error messages.

    Returns
    -------
    pandas.DataFrame
        ``df`` unchanged.

    Raises
    ------
    SchemaError
        Everything :func:`validate_table` checks for ``kind="preferences"``, and missing
        ``extra`` columns; a missing column is reported with the option that names it.

    Examples
    --------
    >>> prefs = pd.DataFrame({"task": ["p1"], "annotator_id": ["r1"], "choice": ["a"],
    ...                       "response_a": ["Yes."], "response_b": ["No."]})
    >>> validate_preferences(prefs, pair="task").shape
    (1, 5)
    >>> validate_preferences(prefs, pair="task", extra={"by": "vendor"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.SchemaError: table 'preferences' is missing column(s) 'vendor'; ... by=.
    """
    mapping = {
        "pair_id": pair,
        "annotator_id": annotator,
        "choice": choice,
        "response_a": response_a,
        "response_b": response_b,
    }
    required = TABLE_SCHEMAS["preferences"].required
    require_columns(
        require_frame(df, table="preferences"), [mapping[c] for c in required],
        table="preferences", source=source,
        option_names=[{"pair_id": "pair", "annotator_id": "annotator"}.get(c, c) for c in required],
    )
    frame = validate_table(df, "preferences", source=source, columns=mapping)
    columns: list[str] = []
    options: list[str] = []
    for option, names in (extra or {}).items():
        if names is None:
            continue
        listed = [names] if isinstance(names, str) else list(names)
        columns += listed
        options += [option] * len(listed)
    if columns:
        require_columns(frame, columns, table="preferences", source=source, option_names=options)
    return frame
