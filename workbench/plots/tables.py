"""The one table formatter of the reports, the dashboard pages and the explorers.

Readable numbers (3 significant figures, thousands separators, ``< 0.001`` for tiny p-values,
integers as integers, times to the second, "—" for missing), headers in words, no index
unless it means something, long cells wrapped; every value from data escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["table"]


def table(frame: pd.DataFrame, *, precision: int = 3, index: bool | None = None) -> Any:
    """A frame as a readable, escaped table — the one table formatter of the reports.

    Numbers to ``precision`` significant figures (thousands separators from 1,000 on),
    p-values as ``< 0.001`` below that, counts and whole-number floats as integers, times to
    the second, missing values as "—", headers in words (``p_value`` → ``p value``), the index
    hidden when it is a plain row number, and long cells wrapped.

    Examples
    --------
    >>> import pandas as pd
    >>> html_text = table(pd.DataFrame({"p_value": [1.2e-15, 0.0123], "n": [12345, 7],
    ...                                 "x": [0.123456, 24.875], "k": [23.0, None]})).to_html()
    >>> all(s in html_text for s in ("&lt; 0.001", "0.012", "12,345", "0.123", "24.9", ">23<", "—", "p value"))
    True
    """
    import numpy as np
    import pandas as pd

    from workbench._internal.escape import styled

    def missing(v: Any) -> bool:
        return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT

    def p_format(v: Any) -> str:
        if missing(v):
            return "—"
        return "&lt; 0.001" if v < 0.001 else f"{v:.2g}"  # formatter output goes into the HTML as it is

    def count_format(v: Any) -> str:
        return "—" if missing(v) else f"{int(v):,}"

    def number_format(v: Any) -> str:
        if missing(v):
            return "—"
        if not np.isfinite(v):
            return str(v)
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return np.format_float_positional(float(v), precision=precision, unique=False, fractional=False, trim="-")

    def time_format(v: Any) -> str:
        return "—" if missing(v) else pd.Timestamp(v).strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00")

    formats: dict[Any, Any] = {}
    for col in frame.columns:
        values = frame[col]
        name = str(col).lower()
        if pd.api.types.is_bool_dtype(values.dtype):
            continue
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            formats[col] = time_format
        elif pd.api.types.is_integer_dtype(values.dtype):
            formats[col] = count_format
        elif pd.api.types.is_float_dtype(values.dtype):
            finite = values.dropna()
            if "p_value" in name or name.startswith("p_adj") or name in ("p", "pvalue"):
                formats[col] = p_format
            elif len(finite) and bool((finite == finite.round()).all()) and name.startswith(("n_", "n")) \
                    and name.split("_")[0] in ("n", "count", "rows", "items"):
                formats[col] = count_format
            else:
                formats[col] = number_format
    plain = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    shown = frame.rename(columns=lambda c: str(c).replace("_", " ") if isinstance(c, str) else c)
    formats = {str(k).replace("_", " ") if isinstance(k, str) else k: v for k, v in formats.items()}
    out = styled(shown, formats, na_rep="—").set_table_styles(
        [{"selector": "td", "props": "max-width: 28em; white-space: normal; overflow-wrap: anywhere;"}])
    if (index is None and plain) or index is False:
        out = out.hide(axis="index")
    return out
