"""Load and save the tables of the data model; convert common formats into them.

Files are CSV, JSONL or Parquet, optionally gzip-compressed (``.csv.gz``, ``.jsonl.gz``).
Writes go to a temporary name in the same folder and are renamed when complete, so an
interrupted write never leaves a half-written table behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from workbench._internal.files import atomic_path, read_plain_table
from workbench._internal.files import table_format as _format_of
from workbench._validation import (
    TABLE_SCHEMAS,
    check_choice,
    require_columns,
    validate_table,
)
from workbench.errors import SchemaError, WorkbenchError
from workbench.formats.chosen_rejected import from_chosen_rejected, last_assistant_turn

if TYPE_CHECKING:  # pragma: no cover
    from workbench._internal.format_names import Format
    from workbench.formats import ImportResult

__all__ = [
    "TableKind",
    "atomic_path",
    "attach_truth",
    "check_writable",
    "export_items",
    "from_chosen_rejected",
    "import_annotations",
    "last_assistant_turn",
    "load_gold",
    "load_table",
    "one_question",
    "save_table",
]

TableKind = Literal["annotations", "gold", "preferences", "corpus", "image_captions"]

def load_table(
    path: str | os.PathLike[str],
    *,
    kind: TableKind | None = None,
    columns: dict[str, str] | None = None,
    format: Format = "auto",
    options: Mapping[str, object] | None = None,
    date_format: str | None = None,
    normalize_labels: bool = False,
) -> pd.DataFrame:
    """Read a table from CSV, JSONL or Parquet (each optionally ``.gz``) and check its schema.

    With ``format`` it also reads what annotation tools export (Label Studio, Prodigy,
    Argilla, MTurk, Labelbox, arena and AlpacaEval judgments, chosen/rejected pairs) into the
    same long tables; ``"auto"`` (the default) tells the tool from the file's structure and
    reads anything else as a plain table. :func:`import_annotations` returns every table of
    such a file and the import report; rows a reader leaves out (cancelled, ``ignore``,
    repeated answers…) are announced in a ``UserWarning`` with that report.

    Parameters
    ----------
    path
        The file.
    kind
        The data-model table it should be (``annotations``, ``gold``, ``preferences``,
        ``corpus``, ``image_captions``); ``None`` reads without schema checks.
    columns
        Maps data-model column names to the file's names, e.g. ``{"item_id": "task"}``;
        the returned frame uses the data-model names (plain tables only). A file name that
        the table lacks is an error (never a silent fall-back to the default column).
    format
        ``"auto"``, ``"table"`` (the workbench's own CSV/JSONL/Parquet), ``"label-studio"``,
        ``"prodigy"``, ``"argilla"``, ``"mturk"``, ``"labelbox"``, ``"arena"``,
        ``"alpaca-eval"`` or ``"chosen-rejected"``; mappings in ``docs/interop.md``.
    options
        Options of the format's reader, e.g. ``{"question": "sentiment"}`` (which question of
        a multi-question export), ``{"rejected": "keep"}`` (MTurk), ``{"rng": 1}``
        (chosen/rejected order).
    date_format
        How the ``timestamp`` column's non-ISO dates are written, e.g. ``"%d/%m/%Y"``; the
        column is then parsed here (ISO 8601 values are always read as ISO). Without it, a
        column with dates in several formats is an error wherever it is parsed.
    normalize_labels
        For annotations and gold: merge labels that differ only by case or surrounding
        whitespace (``"Positive"``, ``"positive "``) into their most frequent spelling; blank
        labels become missing. Without it such variants raise a
        :class:`~workbench.errors.LabelVariantWarning` with their counts.

    Returns
    -------
    pandas.DataFrame
        Identifier columns (``item_id``, ``annotator_id``, ``pair_id``, ``doc_id``) are read
        as strings so that ``007`` and ``7`` stay different items.

    Raises
    ------
    WorkbenchError
        The file is missing, unreadable, not UTF-8, or fails the schema checks of ``kind``;
        a tool export named with the wrong ``format`` (the message says what it looks like).

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "gold.csv")
    >>> pd.DataFrame({"item_id": ["q1", "q2"], "label": ["pos", "neg"]}).to_csv(path, index=False)
    >>> load_table(path, kind="gold")
      item_id label
    0      q1   pos
    1      q2   neg
    """
    p = Path(path)
    if not p.exists():
        where = "" if p.is_absolute() else f" (relative paths start at {Path.cwd()})"
        raise WorkbenchError(f"no such file: '{p}'{where}. Check the path.")
    if p.is_dir():
        raise WorkbenchError(f"'{p}' is a folder; pass the table file inside it.")
    if kind is not None:
        check_choice(kind, name="kind", choices=tuple(TABLE_SCHEMAS))
    if format != "table":
        from workbench import formats

        tool, _ = formats.resolve_format(p, format, kind=kind)
        if tool != "table":
            table = _tool_table(p, tool, kind=kind, columns=columns, options=options)
            return _settle(table, p, kind=kind, date_format=date_format, normalize_labels=normalize_labels)
    opts = dict(options or {})
    question = opts.pop("question", None)  # a plain table may answer several questions too (issue 27)
    if opts:
        from workbench.errors import parameter

        shown = ", ".join(parameter(k, repr(v), option=True) for k, v in opts.items())
        raise WorkbenchError(f"{shown} apply to tool exports; '{p}' is read as a plain table "
                             "(only the option question applies to it).")
    id_cols = ["item_id", "annotator_id", "pair_id", "doc_id"]
    if columns:
        id_cols = [columns.get(c, c) for c in id_cols]
    df = read_plain_table(p, id_columns=id_cols, value_columns=[(columns or {}).get(c, c) for c in ("label", "choice")])
    if columns:
        absent = {k: v for k, v in columns.items() if v != k and v not in df.columns}
        if absent:
            raise SchemaError(
                f"'{p}' has no column " + ", ".join(f"'{v}' (asked for as {k})" for k, v in absent.items())
                + f"; its columns are {', '.join(map(repr, list(df.columns)[:20]))}. Pass a column it has."
            )
        df = df.rename(columns={v: k for k, v in columns.items()})
    df = one_question(df, question, source=f"'{p}'", kind=kind)
    df = _settle(df, p, kind=kind, date_format=date_format, normalize_labels=normalize_labels)
    if kind is not None:
        validate_table(df, kind, source=str(p))
    return df


def one_question(df: pd.DataFrame, question: object, *, source: str, kind: str | None) -> pd.DataFrame:
    """The answers to one question of a table with a ``question`` column (one rule for every reader).

    ``question`` given: its rows, without the column (an unknown name lists the questions).
    Not given: a table answering one question loses the column; one answering several is an
    error for a data-model ``kind`` (each of its tables holds one question), naming the
    questions and how to pick one in the words of the interface in use.
    """
    from workbench.errors import parameter

    if "question" not in df.columns:
        if question is not None:
            raise WorkbenchError(f"{source} has no 'question' column: it answers one question; drop "
                                 f"{parameter('question', repr(question), option=True)}.")
        return df
    questions = [str(q) for q in pd.unique(df["question"].dropna())]
    listed = "; ".join(f"{q!r} ({int((df['question'].astype(str) == q).sum()):,} answers)" for q in questions[:20])
    if question is not None:
        if str(question) not in questions:
            raise WorkbenchError(f"{source}: no answers to question {question!r}; its questions are {listed or 'none'}.")
        return df[df["question"].astype(str) == str(question)].drop(columns="question").reset_index(drop=True)
    if len(questions) <= 1:
        return df.drop(columns="question")
    if kind is None:
        return df
    raise WorkbenchError(
        f"{source} answers {len(questions)} questions: {listed}. Each table of {kind} holds the answers to one; "
        f"choose one with {parameter('question', 'NAME', option=True)} (e.g. "
        f"{parameter('question', repr(questions[0]), option=True)}), or split the file by its 'question' column."
    )


def load_gold(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    format: Format = "auto",
    normalize_labels: bool = False,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a gold table: ``item_id, label`` — or the annotation file's own names for them.

    A gold table has the data model's columns ``item_id`` and ``label``. When the annotations
    were read with other names (``columns={"item_id": "orig_id", "label": "response"}``), a
    gold file written with those same names is accepted too: each of ``item_id`` and
    ``label`` is taken under its data-model name when the file has it, else under the
    annotation file's name.

    Returns
    -------
    (pandas.DataFrame, dict)
        The gold table with the data-model names, and the renames applied (``{}``: the file
        had ``item_id`` and ``label``).

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> plain, own = os.path.join(folder, "g1.csv"), os.path.join(folder, "g2.csv")
    >>> pd.DataFrame({"item_id": ["q1"], "label": ["pos"]}).to_csv(plain, index=False)
    >>> pd.DataFrame({"orig_id": ["q1"], "response": ["pos"]}).to_csv(own, index=False)
    >>> names = {"item_id": "orig_id", "label": "response"}
    >>> load_gold(plain, columns=names)[1], load_gold(own, columns=names)[1]
    ({}, {'item_id': 'orig_id', 'label': 'response'})
    """
    custom = {k: v for k, v in (columns or {}).items() if k in ("item_id", "label") and v != k}
    if custom:
        header = set(load_table(path, format=format).columns)  # names only; checked below
        custom = {k: v for k, v in custom.items() if k not in header and v in header}
    table = load_table(path, kind="gold", columns=custom or None, format=format, normalize_labels=normalize_labels)
    return table, custom


def _settle(
    df: pd.DataFrame, path: Path, *, kind: str | None, date_format: str | None, normalize_labels: bool
) -> pd.DataFrame:
    """Read nothing two ways: timestamps by ``date_format``; label spellings warned or merged."""
    if date_format is not None and "timestamp" in df.columns:
        from workbench._internal.dates import parse_dates

        df["timestamp"] = parse_dates(df["timestamp"], table=str(path), column="timestamp", date_format=date_format)
    if kind in ("annotations", "gold") and "label" in df.columns:
        from workbench._internal.label_variants import normalize_labels as _normalize
        from workbench._internal.label_variants import warn_label_variants

        if normalize_labels:
            df["label"] = _normalize(df["label"])
        else:
            warn_label_variants(df["label"], table=str(path))
    return df


def _tool_table(
    path: Path, tool: Format, *, kind: str | None, columns: dict[str, str] | None,
    options: Mapping[str, object] | None,
) -> pd.DataFrame:
    """The table ``kind`` of a tool export, validated; dropped rows announced in a warning."""
    import warnings

    from workbench import formats

    if columns and any(k != v for k, v in columns.items()):
        raise WorkbenchError(
            f"columns= renames the columns of a plain table; '{path}' is read as {tool}, whose "
            "columns already have the data model's names. Drop columns= (or pass format='table')."
        )
    result = formats.read(path, format=tool, options=options)
    wanted = kind
    if wanted is None:
        wanted = next((k for k in ("annotations", "preferences", "gold") if getattr(result, k) is not None
                       and len(getattr(result, k))), "annotations")
    if wanted == "corpus":
        items = result.items
        if items is None or "text" not in items.columns:
            raise WorkbenchError(f"'{path}' ({tool}) holds no item texts to read as a corpus.")
        df = items.rename(columns={"item_id": "doc_id"})
    elif wanted not in ("annotations", "preferences", "gold"):
        raise WorkbenchError(
            f"a {tool} export holds annotations, gold, preferences and items; it cannot be read "
            f"as kind={wanted!r}."
        )
    else:
        table = getattr(result, wanted)
        if table is None or table.empty:
            held = ", ".join(f"{k} ({len(v):,} rows)" for k, v in result.tables.items()) or "nothing"
            raise SchemaError(
                f"'{path}' read as {tool} has no {wanted}: it holds {held}. {result.report.summary()}"
            )
        df = table
        df = one_question(df, None, source=f"'{path}' ({tool})", kind=kind)
    if result.report.dropped:
        warnings.warn(result.report.summary(), UserWarning, stacklevel=3)
    if kind is not None:
        proven = kind == "annotations" and wanted == "annotations" and bool(result.unique_key)
        validate_table(df, kind, source=f"{path} ({tool})", key_proven=result.unique_key if proven else ())
    return df


def import_annotations(
    path: str | os.PathLike[str],
    *,
    format: Format = "auto",
    options: Mapping[str, object] | None = None,
) -> ImportResult:
    """Read every table an annotation tool's export holds, with the import report.

    Parameters
    ----------
    path
        The exported file.
    format
        As in :func:`load_table` (``"auto"`` tells the tool from the file's structure).
    options
        Options of the format's reader (see :func:`load_table` and ``docs/interop.md``).

    Returns
    -------
    workbench.formats.ImportResult
        ``annotations``, ``items``, ``gold``, ``preferences`` and ``spans`` (``None`` where
        the file has none) and ``report``: rows read, kept, and dropped by reason
        (``report.summary()``, ``report.to_frame()``).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "db-out.jsonl"
    >>> rows = [{"text": "Hi", "_input_hash": 1, "_task_hash": 2, "answer": a, "_annotator_id": u,
    ...          "_timestamp": 1700000000 + i} for i, (a, u) in enumerate([("accept", "x"), ("ignore", "y")])]
    >>> _ = f.write_text("\\n".join(json.dumps(r) for r in rows))
    >>> res = import_annotations(f)
    >>> res.report.rows_read, res.report.rows_kept, dict(res.report.dropped)
    (2, 1, {'ignore answer (no judgment)': 1})
    """
    from workbench import formats

    return formats.read(path, format=format, options=options)


def export_items(
    items: object,
    path: str | os.PathLike[str],
    *,
    format: Literal["label-studio", "prodigy"],
    **options: object,
) -> Path:
    """Write a review queue, a disagreement set or any items table for an annotation tool.

    ``format="label-studio"``: tasks JSON with our scores as ``predictions``
    (:func:`workbench.formats.write_label_studio`); ``format="prodigy"``: a JSONL task stream
    with scores in ``meta`` (:func:`workbench.formats.write_prodigy`). ``options`` go to that
    writer. What the tool exports afterwards reads back with :func:`import_annotations`
    under the same ``item_id``.
    """
    from workbench import formats

    check_choice(format, name="format", choices=("label-studio", "prodigy"))
    writer = formats.write_label_studio if format == "label-studio" else formats.write_prodigy
    return writer(items, path, **options)  # type: ignore[arg-type]





def check_writable(path: str | os.PathLike[str], *, table: bool = True) -> Path:
    """Check before any long work that ``path`` can be written; return it.

    The folder is created if missing and a probe file is written and removed there, so a
    read-only folder, a path that is a folder, or a system folder such as ``/proc`` fails
    now with a clear message instead of after the scoring is done.

    Parameters
    ----------
    path
        The output file.
    table
        Also check that the name ends in a table format (``.csv``, ``.jsonl``, ``.parquet``,
        optionally ``.gz``).

    Raises
    ------
    WorkbenchError
        The name has no table suffix, the path is a folder, or the folder cannot be written.

    Examples
    --------
    >>> import tempfile, os
    >>> check_writable(os.path.join(tempfile.mkdtemp(), "out.csv")).name
    'out.csv'
    """
    p = Path(path)
    if p.is_dir():
        raise WorkbenchError(f"output '{p}' is a folder; give a file name inside it, e.g. '{p / 'out.csv'}'.")
    if table:
        _format_of(p)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{p.name[:40]}.", suffix=".probe", dir=p.parent)
        os.close(fd)
        os.unlink(probe)
        if p.exists() and not os.access(p, os.W_OK):
            raise PermissionError(13, "Permission denied", str(p))
    except OSError as exc:
        raise WorkbenchError(
            f"cannot write the output '{p}': {exc.strerror or exc}. Choose a folder you can write to "
            f"(relative paths start at {Path.cwd()})."
        ) from exc
    return p


def save_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` to CSV, JSONL or Parquet (by the file name) atomically; return the path."""
    p = Path(path)
    fmt, compression = _format_of(p)
    with atomic_path(p) as tmp:
        if fmt == "csv":
            df.to_csv(tmp, index=False, compression=compression)
        elif fmt in ("jsonl", "json"):
            df.to_json(tmp, orient="records", lines=fmt == "jsonl", force_ascii=False, compression=compression)
        else:
            df.to_parquet(tmp, index=False)
    return p


def attach_truth(
    table: pd.DataFrame,
    truth: str | os.PathLike[str] | pd.DataFrame,
    *,
    key: str,
    columns: tuple[str, ...] = ("kind",),
) -> pd.DataFrame:
    """``table`` with the planted-truth ``columns`` of ``truth`` joined on ``key`` (left join).

    Planted truth (``data_samples/truth/*_rows.csv``, written by ``workbench samples``) says
    what each sample row really is, so a report can check its scores against it. Keys are
    compared as text (the loaders read ids as text); rows without truth get missing values.

    Raises
    ------
    SchemaError
        ``key`` or a truth column missing, a truth key listed twice, or a truth column
        already in ``table``.

    Examples
    --------
    >>> corpus = pd.DataFrame({"doc_id": ["1", "2"], "text": ["a", "b"]})
    >>> truth = pd.DataFrame({"doc_id": [2, 1], "kind": ["spam", "clean"]})
    >>> attach_truth(corpus, truth, key="doc_id")["kind"].tolist()
    ['clean', 'spam']
    """
    t = truth if isinstance(truth, pd.DataFrame) else pd.read_csv(truth, dtype={key: str})
    require_columns(table, [key], table="table")
    require_columns(t, [key, *columns], table="truth")
    clash = [c for c in columns if c in table.columns]
    if clash:
        raise SchemaError(f"table already has the truth column(s) {clash!r}; drop them before attaching truth.")
    t = t[[key, *columns]].assign(**{key: t[key].astype(str)})
    dup = t[key].duplicated()
    if dup.any():
        raise SchemaError(
            f"table 'truth', column '{key}': {t.loc[dup, key].iloc[0]!r} is listed {int((t[key] == t.loc[dup, key].iloc[0]).sum())} "
            "times; planted truth has one row per item."
        )
    keys = table[key].astype(str)
    return table.assign(**{c: keys.map(t.set_index(key)[c]).to_numpy() for c in columns})
