"""Load and save the tables of the data model; convert common formats into them.

Files are CSV, JSONL or Parquet, optionally gzip-compressed (``.csv.gz``, ``.jsonl.gz``).
Writes go to a temporary name in the same folder and are renamed when complete, so an
interrupted write never leaves a half-written table behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from workbench._validation import (
    TABLE_SCHEMAS,
    as_rng,
    check_choice,
    require_columns,
    validate_table,
)
from workbench.errors import SchemaError, WorkbenchError

__all__ = [
    "TableKind",
    "atomic_path",
    "from_chosen_rejected",
    "last_assistant_turn",
    "load_table",
    "save_table",
]

TableKind = Literal["annotations", "gold", "preferences", "corpus", "image_captions"]

_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".json": "json", ".parquet": "parquet", ".pq": "parquet"}


def _format_of(path: Path) -> tuple[str, str | None]:
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] == ".gz":
        compression = "gzip"
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in _FORMATS:
        raise WorkbenchError(
            f"cannot tell the format of '{path}': use a name ending in "
            ".csv, .jsonl, .parquet (optionally followed by .gz)."
        )
    return _FORMATS[suffixes[-1]], compression


def load_table(
    path: str | os.PathLike[str],
    *,
    kind: TableKind | None = None,
    columns: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read a table from CSV, JSONL or Parquet (each optionally ``.gz``) and check its schema.

    Parameters
    ----------
    path
        The file.
    kind
        The data-model table it should be (``annotations``, ``gold``, ``preferences``,
        ``corpus``, ``image_captions``); ``None`` reads without schema checks.
    columns
        Maps data-model column names to the file's names, e.g. ``{"item_id": "task"}``;
        the returned frame uses the data-model names.

    Returns
    -------
    pandas.DataFrame
        Identifier columns (``item_id``, ``annotator_id``, ``pair_id``, ``doc_id``) are read
        as strings so that ``007`` and ``7`` stay different items.

    Raises
    ------
    WorkbenchError
        The file is missing, unreadable, not UTF-8, or fails the schema checks of ``kind``.

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
        raise WorkbenchError(f"no such file: '{p}'. Check the path (relative paths start at {Path.cwd()}).")
    if kind is not None:
        check_choice(kind, name="kind", choices=tuple(TABLE_SCHEMAS))
    fmt, compression = _format_of(p)
    id_cols = ["item_id", "annotator_id", "pair_id", "doc_id"]
    if columns:
        id_cols = [columns.get(c, c) for c in id_cols]
    try:
        if fmt == "csv":
            df = pd.read_csv(p, compression=compression, dtype={c: str for c in id_cols}, encoding="utf-8")
        elif fmt in ("jsonl", "json"):
            df = pd.read_json(p, lines=fmt == "jsonl", compression=compression, dtype={c: str for c in id_cols}, encoding="utf-8")
        else:
            df = pd.read_parquet(p)
    except UnicodeDecodeError as exc:
        line = _first_bad_line(p, compression)
        raise SchemaError(
            f"'{p}' is not valid UTF-8 text (first bad byte on line {line}: {exc.reason}). "
            "Re-save the file as UTF-8, e.g. iconv -f latin1 -t utf-8 in.csv > out.csv."
        ) from exc
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise WorkbenchError(f"could not read '{p}' as {fmt.upper()}: {exc}") from exc
    if columns:
        df = df.rename(columns={v: k for k, v in columns.items()})
    for c in ("item_id", "annotator_id", "pair_id", "doc_id"):
        if c in df.columns and fmt == "parquet":
            df[c] = df[c].where(df[c].isna(), df[c].astype(str))
    if kind is not None:
        validate_table(df, kind, source=str(p))
    return df


def _first_bad_line(path: Path, compression: str | None) -> int:
    import gzip

    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return n
    return 0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> open(target).read()
    'done'
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual mode
    try:
        yield tmp
        with open(tmp, "rb+") as fh:  # reach the disk before the rename makes it visible
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


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


_TURN = re.compile(r"\n\n(Human|Assistant):", flags=re.MULTILINE)


def last_assistant_turn(dialogue: str) -> tuple[str, str]:
    """Split an HH-style dialogue into (prompt, final assistant response).

    The prompt is everything before the final ``"\\n\\nAssistant:"`` marker; the response
    is what follows it, stripped. A text without the marker is returned as the response
    with an empty prompt.

    Examples
    --------
    >>> last_assistant_turn("\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: Bye\\n\\nAssistant: See you.")
    ('\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: Bye', 'See you.')
    """
    cut = dialogue.rfind("\n\nAssistant:")
    if cut < 0:
        return "", dialogue.strip()
    return dialogue[:cut], dialogue[cut + len("\n\nAssistant:") :].strip()


def from_chosen_rejected(
    df: pd.DataFrame,
    *,
    chosen: str = "chosen",
    rejected: str = "rejected",
    prompt: str | None = None,
    pair: str | None = None,
    annotator: str | None = None,
    dialogue: bool | None = None,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Convert one-row-per-pair chosen/rejected data into the preferences table.

    Each pair's order is randomised with ``rng`` (the chosen response lands in position
    ``a`` or ``b`` with probability 1/2) and recorded in the column ``chosen_position``, so
    position effects of the conversion itself are known and testable.

    Parameters
    ----------
    df
        One row per pair with the chosen and the rejected text.
    chosen, rejected
        Their columns.
    prompt
        Column with the prompt, if any. For HH-style dialogues (``dialogue=True``) the
        prompt is the conversation before the final assistant turn.
    pair, annotator
        Columns with pair and annotator ids; missing → ``pair_0``, ``pair_1``… and one
        annotator ``"source"``.
    dialogue
        Whether texts are HH-style dialogues (``"\\n\\nHuman: …\\n\\nAssistant: …"``) whose final
        assistant turn is the response. ``None`` detects it from the first rows.
    rng
        Seed or Generator for the a/b order.

    Returns
    -------
    pandas.DataFrame
        ``pair_id, annotator_id, choice, response_a, response_b, prompt, chosen_position``.

    Examples
    --------
    >>> raw = pd.DataFrame({"chosen": ["\\n\\nHuman: 2+2?\\n\\nAssistant: 4."],
    ...                     "rejected": ["\\n\\nHuman: 2+2?\\n\\nAssistant: Five, I think."]})
    >>> out = from_chosen_rejected(raw, rng=0)
    >>> out.loc[0, ["choice", "chosen_position"]].tolist()
    ['b', 'b']
    >>> out.loc[0, "response_b"]
    '4.'
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"from_chosen_rejected expects a DataFrame, got {type(df).__name__}.")
    needed = [chosen, rejected] + [c for c in (prompt, pair, annotator) if c]
    require_columns(df, needed, table="chosen/rejected")
    if len(df) == 0:
        raise SchemaError("table 'chosen/rejected' is empty (0 rows).")
    gen = as_rng(rng)
    ch = df[chosen].astype("string").fillna("")
    rj = df[rejected].astype("string").fillna("")
    if dialogue is None:
        head = ch.head(20)
        dialogue = bool(head.str.contains("\n\nAssistant:", regex=False).mean() > 0.5)
    if dialogue:
        split_c = [last_assistant_turn(t) for t in ch]
        split_r = [last_assistant_turn(t) for t in rj]
        resp_c = [s[1] for s in split_c]
        resp_r = [s[1] for s in split_r]
        prompts = [s[0] for s in split_c]
    else:
        resp_c, resp_r = ch.tolist(), rj.tolist()
        prompts = df[prompt].astype("string").tolist() if prompt else [""] * len(df)
    if prompt and dialogue:
        prompts = df[prompt].astype("string").tolist()
    chosen_is_a = gen.random(len(df)) < 0.5
    out = pd.DataFrame(
        {
            "pair_id": df[pair].astype(str).to_numpy() if pair else [f"pair_{i}" for i in range(len(df))],
            "annotator_id": df[annotator].astype(str).to_numpy() if annotator else "source",
            "choice": np.where(chosen_is_a, "a", "b"),
            "response_a": np.where(chosen_is_a, resp_c, resp_r),
            "response_b": np.where(chosen_is_a, resp_r, resp_c),
            "prompt": prompts,
        }
    )
    out["chosen_position"] = out["choice"]
    return out
