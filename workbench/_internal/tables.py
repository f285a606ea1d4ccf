"""Which table of the data model a frame is, and which column holds its ids — one rule.

Used by the overview (:func:`workbench.overview.detect_kind`), the vendor comparison (tables
of vendor a and b), the item tables of the format writers and the review queue. A table's
kind is told by its *identifying* columns (:data:`SIGNATURES`: the id column, and what a row
holds), checked in :data:`KIND_ORDER`; its schema (``workbench._validation.TABLE_SCHEMAS``) is
checked afterwards by the caller, so a table that is recognisably a preferences table but
lacks ``response_a`` is told exactly that.

Examples
--------
>>> import pandas as pd
>>> detect_kind(pd.DataFrame(columns=["pair_id", "annotator_id", "choice"]))
'preferences'
>>> detect_kind(pd.DataFrame(columns=["task", "worker", "answer"]),
...             names={"item_id": "task", "annotator_id": "worker", "label": "answer"})
'annotations'
>>> id_column(pd.DataFrame(columns=["doc_id", "text"]))
'doc_id'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from workbench.errors import SchemaError

__all__ = ["ID_COLUMNS", "ITEM_COLUMN", "KIND_ORDER", "LABEL_COLUMN", "SIGNATURES", "detect_kind", "id_column"]

#: Kinds in the order they are tried: the first whose identifying columns are all present wins
#: (preferences before image captions, both keyed by ``pair_id``; annotations before gold).
KIND_ORDER: tuple[str, ...] = ("preferences", "image_captions", "annotations", "corpus", "gold")

#: The columns that say what a table is (a subset of each schema's required columns).
SIGNATURES: dict[str, tuple[str, ...]] = {
    "preferences": ("pair_id", "choice"),
    "image_captions": ("pair_id", "image", "caption"),
    "annotations": ("item_id", "annotator_id", "label"),
    "corpus": ("doc_id", "text"),
    "gold": ("item_id", "label"),
}

#: The id column of each kind (what one row is about).
ITEM_COLUMN: dict[str, str] = {"annotations": "item_id", "gold": "item_id", "preferences": "pair_id",
                               "corpus": "doc_id", "image_captions": "pair_id"}

#: The column holding each kind's label (``None``: the kind has none).
LABEL_COLUMN: dict[str, str] = {"annotations": "label", "gold": "label", "preferences": "choice", "corpus": "source"}

#: Id columns of an items table (texts, images, pairs), tried in this order.
ID_COLUMNS: tuple[str, ...] = ("item_id", "doc_id", "pair_id")


def detect_kind(
    table: pd.DataFrame | Sequence[str],
    *,
    kinds: Sequence[str] = KIND_ORDER,
    names: Mapping[str, str] | None = None,
    name: str = "input",
) -> str:
    """The first of ``kinds`` (in :data:`KIND_ORDER`) whose identifying columns the table has.

    Parameters
    ----------
    table
        A frame, or its column names.
    kinds
        The kinds the caller accepts (e.g. ``("annotations", "preferences")`` for vendors).
    names
        Data-model column name -> the table's name, e.g. ``{"item_id": "task"}``.
    name
        The table's name in the error message.

    Raises
    ------
    SchemaError
        No accepted kind matches; the message lists what each needs and what the table has.
    """
    columns = [str(c) for c in (table.columns if isinstance(table, pd.DataFrame) else table)]
    have, rename = set(columns), dict(names or {})
    tried = [k for k in KIND_ORDER if k in kinds]
    for kind in tried:
        if all(rename.get(c, c) in have for c in SIGNATURES[kind]):
            return kind
    from workbench._validation import TABLE_SCHEMAS

    wanted = "; ".join(f"{k}: {', '.join(repr(rename.get(c, c)) for c in TABLE_SCHEMAS[k].required)}" for k in tried)
    shown = ", ".join(map(repr, columns[:20])) or "no columns"
    raise SchemaError(
        f"table '{name}' matches none of the tables it can be. Required columns — {wanted}; it has "
        f"{shown}. Rename the columns, or pass their names (kind=, item=/label=, pair=/choice=)."
    )


def id_column(frame: pd.DataFrame, *, item: str | None = None, table: str = "items") -> str:
    """``item`` when given, else the first of :data:`ID_COLUMNS` the frame has.

    Raises
    ------
    SchemaError
        None of them is a column (the message names the ones it has and ``item=``).
    """
    if item is not None:
        return item
    found = [c for c in ID_COLUMNS if c in frame.columns]
    if not found:
        raise SchemaError(
            f"table '{table}' has no id column (one of {', '.join(ID_COLUMNS)}); it has "
            f"{', '.join(map(repr, map(str, frame.columns[:20])))}. Pass item='your_id_column'."
        )
    return found[0]
