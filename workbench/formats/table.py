"""The workbench's own tables (CSV, JSONL, Parquet) seen through the import interface."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from workbench.formats._common import ImportResult, Peek, Tally, check_options

__all__ = ["read"]


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read a data-model table as it is; it lands in the table its columns name.

    A table with ``pair_id`` and ``choice`` is ``preferences``; with ``item_id``,
    ``annotator_id`` and ``label`` it is ``annotations``; with ``item_id`` and ``label`` only,
    ``gold``; anything else is returned as ``items`` (no judgments).
    """
    from workbench._internal.files import read_plain_table

    check_options(options, (), format="table")
    df = read_plain_table(path)
    tally = Tally(str(path), "table", "rows")
    cols = set(map(str, df.columns))
    if {"pair_id", "choice"} <= cols:
        tally.read = len(df)
        return tally.result(preferences=df)
    if {"item_id", "annotator_id", "label"} <= cols:
        tally.read = len(df)
        return tally.result(annotations=df)
    if {"item_id", "label"} <= cols:
        tally.read = len(df)
        return tally.result(gold=df)
    tally.note("The table holds no judgments (no label or choice column); it is returned as items.")
    return tally.result(items=df)
