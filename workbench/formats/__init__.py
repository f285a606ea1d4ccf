"""Readers and writers for the files annotation tools export, one module per tool.

``read(path, format=...)`` returns an :class:`ImportResult`: every table the file holds in
the data model's long format, and an :class:`ImportReport` of what was read, kept and
dropped (by reason). :func:`workbench.io.load_table` and :func:`workbench.io.import_annotations`
are the entry points users call; the field mappings are documented in ``docs/interop.md``.

Formats: ``label-studio`` (JSON, JSON-MIN, CSV), ``prodigy`` (JSONL), ``argilla`` (v2
records), ``mturk`` (batch results CSV), ``labelbox`` (NDJSON), ``arena`` (Chatbot Arena /
MT-bench judgments), ``alpaca-eval`` (AlpacaEval annotations), ``chosen-rejected``
(HH-RLHF, UltraFeedback-binarized) and ``table`` (the workbench's own CSV/JSONL/Parquet).
Writers: :func:`write_label_studio` and :func:`write_prodigy`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from workbench._internal.files import require_regular_file
from workbench._internal.format_names import FORMAT_NAMES, Format
from workbench._validation import check_choice
from workbench.errors import WorkbenchError
from workbench.formats._common import (
    ImportReport,
    ImportResult,
    Peek,
    describe,
    detect,
    peek,
)
from workbench.formats.label_studio import write_tasks as write_label_studio
from workbench.formats.prodigy import write_jsonl as write_prodigy

__all__ = [
    "FORMAT_NAMES",
    "Format",
    "ImportReport",
    "ImportResult",
    "describe",
    "detect",
    "peek",
    "read",
    "resolve_format",
    "write_label_studio",
    "write_prodigy",
]

_MODULES = {
    "label-studio": "label_studio",
    "prodigy": "prodigy",
    "argilla": "argilla",
    "mturk": "mturk",
    "labelbox": "labelbox",
    "arena": "arena",
    "alpaca-eval": "alpaca_eval",
    "chosen-rejected": "chosen_rejected",
}


def resolve_format(path: str | os.PathLike[str], format: Format, *, kind: str | None = None) -> tuple[Format, Peek]:
    """The format a file will be read as: ``format`` itself, or what ``"auto"`` detects.

    ``"auto"`` picks the tool whose export the file looks like; a file that looks like no
    tool's export is a plain ``table``. A chosen/rejected table is converted only when
    preferences are asked for (``kind="preferences"``); otherwise it is read as it is.
    """
    check_choice(format, name="format", choices=("auto", *FORMAT_NAMES))
    p = Path(path)
    if not p.exists():
        raise WorkbenchError(f"no such file: '{p}'. Check the path (relative paths start at {Path.cwd()}).")
    require_regular_file(p)  # a FIFO or device would hang the first read
    try:
        pk = peek(p)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        if format in ("auto", "table"):  # the table reader gives the precise error
            return "table", Peek(p, "", (), None)
        raise WorkbenchError(f"could not read '{p}' as {format}: {exc}") from exc
    if format != "auto":
        return format, pk
    found = detect(pk)
    if found is None or (found == "chosen-rejected" and kind != "preferences"):
        return "table", pk
    return cast(Format, found), pk


def read(
    path: str | os.PathLike[str],
    *,
    format: Format = "auto",
    options: Mapping[str, object] | None = None,
) -> ImportResult:
    """Read an annotation tool's export into the data model's tables, with an import report.

    The engine of :func:`workbench.io.import_annotations` (parameters and errors are
    documented there); ``format`` is one of :data:`FORMAT_NAMES` or ``"auto"``.
    """
    fmt, pk = resolve_format(path, format, kind="preferences" if format == "chosen-rejected" else None)
    if fmt == "table":
        from workbench.formats import table

        return table.read(Path(path), pk, options)
    module = importlib.import_module(f"workbench.formats.{_MODULES[fmt]}")
    try:
        result: ImportResult = module.read(Path(path), pk, options)
    except WorkbenchError:
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, OverflowError, RecursionError) as exc:
        # the readers check the types of the fields they use; anything they missed is still
        # a malformed export, never a traceback
        from workbench._internal.escape import shorten

        raise WorkbenchError(
            f"could not read '{path}' as {fmt}: a field has a type or value this format never holds "
            f"({type(exc).__name__}: {shorten(str(exc), 160)}). Check that the file is a complete "
            f"{fmt} export; report it if it is one."
        ) from exc
    return result
