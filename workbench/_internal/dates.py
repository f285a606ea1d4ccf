"""Timestamps read one way only: a column whose dates come in several formats is an error.

``04/03/2025`` is 4 March in Europe and 3 April in the US; a parser that guesses per value
reads one column two ways in silence. :func:`parse_dates` sorts the values into format
families, parses a column that holds one family, and raises with examples of each family
otherwise, asking for ``date_format=`` (``--date-format`` on the command line).
"""

from __future__ import annotations

import re

import pandas as pd

from workbench._validation import format_rows
from workbench.errors import SchemaError

__all__ = ["date_family", "parse_dates", "parse_zone_abbreviation_times"]

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
_SLASH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})([T ].*)?$")
#: Time-zone abbreviations as MTurk writes them ("Mon Mar 25 07:39:42 PDT 2019"); one table for
#: the MTurk reader and plain tables alike.
_ZONES = {"UTC": "+00:00", "GMT": "+00:00", "PST": "-08:00", "PDT": "-07:00", "EST": "-05:00", "EDT": "-04:00",
          "CST": "-06:00", "CDT": "-05:00", "MST": "-07:00", "MDT": "-06:00"}
_NAMED_ZONE = re.compile(r"^\w{3} (\w{3}) (\d{1,2}) (\d{2}:\d{2}:\d{2}) (\w+) (\d{4})$")
_FAMILIES = {
    "iso": "ISO 8601 (year first)",
    "zone": "weekday month day time ZONE year (as MTurk writes them)",
    "dmy": "day/month/year (a first number above 12)",
    "mdy": "month/day/year (a second number above 12)",
    "ambiguous": "day/month or month/day (both numbers 12 or less)",
    "other": "another format",
}


def parse_zone_abbreviation_times(values: pd.Series) -> pd.Series:
    """``"Mon Mar 04 10:21:33 PST 2024"`` times as UTC timestamps (``NaT`` where a value is not
    of that form or names an unknown zone).

    Examples
    --------
    >>> parse_zone_abbreviation_times(pd.Series(["Mon Mar 04 10:21:33 PST 2024"])).iloc[0]
    Timestamp('2024-03-04 18:21:33+0000', tz='UTC')
    """
    out: list[str | None] = []
    for v in values:
        m = _NAMED_ZONE.match(str(v).strip()) if isinstance(v, str) else None
        if m is None or m.group(4) not in _ZONES:
            out.append(None)
            continue
        mon, day, hms, zone, year = m.groups()
        out.append(f"{year}-{mon}-{int(day):02d} {hms}{_ZONES[zone]}")
    return pd.to_datetime(pd.Series(out, index=values.index), format="%Y-%b-%d %H:%M:%S%z", utc=True, errors="coerce")


def date_family(value: str) -> str:
    """Which format family a date string belongs to (``iso``, ``zone``, ``dmy``, ``mdy``, ``ambiguous``, ``other``)."""
    v = value.strip()
    if _ISO.match(v):
        return "iso"
    named = _NAMED_ZONE.match(v)
    if named and named.group(4) in _ZONES:
        return "zone"
    m = _SLASH.match(v)
    if m:
        first, second = int(m.group(1)), int(m.group(2))
        if first > 12 >= second:
            return "dmy"
        if second > 12 >= first:
            return "mdy"
        return "ambiguous"
    return "other"


def parse_dates(
    values: pd.Series,
    *,
    table: str,
    column: str,
    date_format: str | None = None,
    allow_missing: bool = False,
) -> pd.Series:
    """Parse a column of timestamps into UTC ``datetime64``, refusing to read it two ways.

    Parameters
    ----------
    values
        The column (strings, or already datetimes, which are returned in UTC).
    table, column
        Named in the error messages.
    date_format
        A ``strftime`` format (``"%d/%m/%Y"``) for the values that are not ISO 8601; ISO
        values are always read as ISO (they are unambiguous).
    allow_missing
        Leave empty cells as ``NaT`` instead of raising.

    Returns
    -------
    pandas.Series
        ``datetime64[ns, UTC]`` with the index of ``values``.

    Raises
    ------
    SchemaError
        Values in more than one format family (ISO and day/month, day/month and month/day),
        slash dates whose order cannot be told (every number 12 or less), or values that do
        not parse; the message shows examples of each and asks for ``date_format``.

    Examples
    --------
    >>> parse_dates(pd.Series(["2025-03-04", "2025-03-05T10:00"]), table="t", column="timestamp").dt.day.tolist()
    [4, 5]
    >>> parse_dates(pd.Series(["2025-03-04", "13/03/2025"]), table="t", column="timestamp")
    Traceback (most recent call last):
    ...
    workbench.errors.SchemaError: table 't', column 'timestamp' holds dates in 2 formats: ...
    >>> parse_dates(pd.Series(["2025-03-04", "13/03/2025"]), table="t", column="timestamp",
    ...             date_format="%d/%m/%Y").dt.strftime("%Y-%m-%d").tolist()
    ['2025-03-04', '2025-03-13']
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values)
        return parsed.dt.tz_localize("UTC") if parsed.dt.tz is None else parsed.dt.tz_convert("UTC")
    missing = values.isna() | (values.astype(str).str.strip() == "")
    if missing.any() and not allow_missing:
        raise SchemaError(
            f"table '{table}', column '{column}': {int(missing.sum()):,} empty timestamp(s) at "
            f"{format_rows(values.index[missing.to_numpy()])}. Drop or fill those rows."
        )
    keep = ~missing.to_numpy()
    text = values[keep].astype(str).str.strip().reset_index(drop=True)
    rows = values.index[keep]
    distinct = pd.Series(text.unique())
    family_of = dict(zip(distinct, distinct.map(date_family), strict=True))
    row_family = text.map(family_of).to_numpy()
    found = [f for f in _FAMILIES if (row_family == f).any()]
    if "other" in found and date_format is None:  # text that is no date at all is its own error
        other = row_family == "other"
        unreadable = pd.to_datetime(text[other], errors="coerce", format="mixed", utc=True).isna().to_numpy()
        if unreadable.any():
            bad_rows = rows[other][unreadable]
            raise SchemaError(
                f"table '{table}', column '{column}': {int(unreadable.sum()):,} value(s) are not dates, "
                f"e.g. {text[other][unreadable].iloc[0][:80]!r} at {format_rows(bad_rows)}. Write dates as ISO 8601 "
                "(2024-03-01T14:05:00) or pass their format, e.g. date_format='%d/%m/%Y'."
            )
    one_order = set(found) <= {"dmy", "ambiguous"} or set(found) <= {"mdy", "ambiguous"}
    if date_format is None and (found == ["ambiguous"] or (len(found) > 1 and not one_order)):
        examples = "; ".join(
            f"{_FAMILIES[f]}: e.g. {text[row_family == f].iloc[0][:40]!r} "
            f"({int((row_family == f).sum()):,} values, {format_rows(rows[row_family == f], limit=3)})"
            for f in found
        )
        what = (f"holds dates in {len(found)} formats" if len(found) > 1
                else "holds dates whose day/month order cannot be told")
        raise SchemaError(
            f"table '{table}', column '{column}' {what}: {examples}. Reading them would guess "
            "per value (04/03/2025 is 4 March or 3 April). Say how the non-ISO dates are "
            "written: date_format='%d/%m/%Y' (or '%m/%d/%Y'; command line: --date-format), "
            "or rewrite the column in ISO 8601 (2025-03-04T14:05:00)."
        )
    iso = row_family == "iso"
    zone = row_family == "zone"
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    if iso.any():
        parsed[iso] = pd.to_datetime(text[iso], errors="coerce", format="ISO8601", utc=True)
    if zone.any():  # "%Z" cannot read PDT: the zone table does, with or without date_format
        parsed[zone] = parse_zone_abbreviation_times(text[zone])
    if (~iso & ~zone).any():
        rest = text[~iso & ~zone]
        if date_format is not None:
            parsed[~iso & ~zone] = pd.to_datetime(rest, errors="coerce", format=date_format, utc=True)
        else:
            parsed[~iso & ~zone] = pd.to_datetime(rest, errors="coerce", format="mixed", dayfirst="dmy" in found,
                                                  utc=True)
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise SchemaError(
            f"table '{table}', column '{column}': {int(bad.sum()):,} value(s) are not dates"
            + (f" in the format {date_format!r}" if date_format else "")
            + f", e.g. {text[bad].iloc[0][:80]!r} at {format_rows(rows[bad])}. Write dates as "
            "ISO 8601 (2024-03-01T14:05:00) or pass their format, e.g. date_format='%d/%m/%Y'."
        )
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    out.iloc[keep.nonzero()[0]] = parsed.to_numpy()
    return out
