"""Label coding and gold alignment, shared by the reliability, aggregation, acceptance,
drift and vendor modules.

* :class:`Coded` and :func:`code_annotations` — a validated long annotations table as integer
  codes (items, annotators, labels), the input of every agreement statistic.
* :func:`code_labels`, :func:`sorted_categories`, :func:`check_value_order` — labels to codes
  in one category order.
* :func:`align_gold` — **the** gold-alignment policy: gold labels outside the vocabulary
  raise (or count as wrong, by option), gold items outside the judged items are ignored (or
  raise, by option), no shared item always raises; :func:`gold_codes` applies it to a
  :class:`Coded` table, :func:`new_gold_labels` lets gold add a class on request.
* :func:`loo_consensus` — the leave-one-out consensus reference.
* :func:`item_dtype_hint` — the hint when two id columns only match as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._validation import (
    check_choice,
    format_rows,
    require_columns,
    require_frame,
    require_no_missing,
    require_nonempty,
    require_numeric,
    require_unique,
    show_value,
    validate_table,
)
from workbench.errors import SchemaError, WorkbenchError

__all__ = [
    "Coded",
    "UnknownGold",
    "align_gold",
    "check_value_order",
    "code_annotations",
    "code_labels",
    "gold_codes",
    "item_dtype_hint",
    "loo_consensus",
    "new_gold_labels",
    "sorted_categories",
    "validate_annotations",
]

UnknownGold = Literal["raise", "ignore"]


@dataclass(frozen=True)
class Coded:
    """Annotations as integer codes: rows of (item, annotator, label)."""

    item: np.ndarray  # int64 codes into ``items``
    annotator: np.ndarray  # int64 codes into ``annotators``
    label: np.ndarray  # int64 codes into ``categories``
    items: pd.Index
    annotators: pd.Index
    categories: pd.Index
    frame: pd.DataFrame

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def counts(self) -> np.ndarray:
        """Items × categories matrix of how many annotators gave each label."""
        k = self.n_categories
        flat = np.bincount(self.item * k + self.label, minlength=self.n_items * k)
        return flat.reshape(self.n_items, k)


def sorted_categories(values: pd.Series) -> list[Any]:
    uniq = list(pd.unique(values))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def check_value_order(value_order: Sequence[Any] | None) -> list[Any] | None:
    if value_order is None:
        return None
    if isinstance(value_order, (str, bytes)):
        raise WorkbenchError(
            f"value_order must be a list of labels, e.g. [1, 2, 3], not the string {value_order!r}."
        )
    order = list(value_order)
    if len(order) == 0:
        raise WorkbenchError("value_order is empty; pass the labels in their order, e.g. [1, 2, 3].")
    if len(set(order)) != len(order):
        dup = pd.Series(order)[pd.Series(order).duplicated()].tolist()
        raise WorkbenchError(f"value_order lists {dup!r} more than once; each label must appear once.")
    return order


def code_labels(
    values: pd.Series,
    categories: list[Any],
    *,
    table: str,
    column: str,
    option: str,
    factorized: tuple[np.ndarray, Any] | None = None,
) -> np.ndarray:
    """Codes of ``values`` in ``categories`` (raise naming rows outside them).

    Factorizes first and maps only the distinct values, so it stays fast on big tables.
    """
    raw, uniques = factorized if factorized is not None else pd.factorize(values)
    lookup = pd.Index(categories, dtype=object).get_indexer(pd.Index(uniques, dtype=object))
    codes = lookup[raw].astype(np.int64)
    bad = codes < 0
    if bad.any():
        rows = values.index[bad]
        shown = ", ".join(repr(v) for v in pd.unique(values[bad])[:5])
        raise WorkbenchError(
            f"table '{table}', column '{column}': label(s) {shown} at {format_rows(rows)} are not "
            f"in {option}={categories!r}. Add them to {option}, or fix or drop those rows."
        )
    return codes


def validate_annotations(frame: pd.DataFrame, *, item: str, annotator: str, label: str, table: str) -> None:
    """The checks of ``validate_table(frame, "annotations")`` except the duplicate check."""
    require_columns(
        frame, [item, annotator, label], table=table, option_names=["item", "annotator", "label"]
    )
    require_nonempty(frame, table=table)
    for col in (item, annotator, label):
        require_no_missing(frame, col, table=table)
    if "duration_s" in frame.columns:
        require_numeric(frame, "duration_s", table=table)


def code_annotations(
    annotations: object,
    *,
    item: str,
    annotator: str,
    label: str,
    value_order: Sequence[Any] | None = None,
    extra_labels: pd.Series | None = None,
    min_annotators: int = 2,
    table: str = "annotations",
) -> Coded:
    """Validate a long annotations table and code it as integers.

    Checks: a DataFrame, the columns, not empty, no missing labels or ids, no duplicate
    (item, annotator) rows, at least ``min_annotators`` annotators, labels inside
    ``value_order``.
    """
    frame = require_frame(annotations, table=table)
    if not frame.index.is_unique:
        # error messages then quote row positions (the shared checks need a unique index)
        frame = frame.reset_index(drop=True)
    validate_annotations(frame, item=item, annotator=annotator, label=label, table=table)
    ann_codes, annotators = pd.factorize(frame[annotator], sort=False)
    if len(annotators) < min_annotators:
        raise WorkbenchError(
            f"table '{table}', column '{annotator}': agreement needs at least {min_annotators} "
            f"annotators but the table has only {len(annotators)} ({list(annotators)[:3]!r}). "
            "Check the filter that produced the table, or pass the right column with annotator=."
        )
    item_codes, items = pd.factorize(frame[item], sort=False)
    key = np.asarray(item_codes, dtype=np.int64) * len(annotators) + ann_codes
    n_keys = len(items) * len(annotators)
    duplicated = (
        np.bincount(key, minlength=n_keys).max() > 1
        if n_keys <= 20 * len(key) + 1_000_000
        else not pd.Index(key).is_unique
    )
    if duplicated:
        require_unique(frame, [item, annotator], table=table)  # raises with the rows
    order = check_value_order(value_order)
    raw, uniques = pd.factorize(frame[label], sort=False)
    if order is None:
        pool = pd.Series(uniques) if extra_labels is None else pd.concat([pd.Series(uniques), extra_labels])
        categories = sorted_categories(pool)
    else:
        categories = order
    label_codes = code_labels(
        frame[label], categories, table=table, column=label, option="value_order", factorized=(raw, uniques)
    )
    return Coded(
        item=np.asarray(item_codes, dtype=np.int64),
        annotator=np.asarray(ann_codes, dtype=np.int64),
        label=label_codes,
        items=items.rename(item) if isinstance(items, pd.Index) else pd.Index(items, name=item),
        annotators=annotators.rename(annotator) if isinstance(annotators, pd.Index) else pd.Index(annotators, name=annotator),
        categories=pd.Index(categories, name=label),
        frame=frame,
    )


def new_gold_labels(
    gold: object, *, label: str, value_order: Sequence[Any] | None, allow: bool
) -> pd.Series | None:
    """Gold labels to add as extra categories: only with ``allow`` and no ``value_order``.

    Otherwise gold labels that no annotator gave raise in :func:`gold_codes`, so a typo
    such as ``"Unsafe "`` for ``"Unsafe"`` is caught instead of becoming a class of its own.
    """
    if not allow or value_order is not None or not isinstance(gold, pd.DataFrame) or label not in gold.columns:
        return None
    return gold[label].dropna()


def align_gold(
    gold: object,
    items: pd.Index,
    categories: Sequence[Any],
    *,
    item: str = "item_id",
    label: str = "label",
    ids: pd.Series | None = None,
    where: str = "the annotations",
    vocabulary: str = "among the annotation labels",
    fix: str = "Map the gold labels onto the annotators' labels (same spelling and type).",
    unknown_items: UnknownGold = "ignore",
    unknown_labels: Literal["raise", "wrong"] = "raise",
) -> np.ndarray:
    """Gold label code per item of ``items`` (-1: no gold label): the one gold-alignment policy.

    Parameters
    ----------
    gold
        Gold table; validated as the ``gold`` table (columns, no missing values, one row
        per item).
    items, categories
        The items and the label vocabulary of the judgments gold is compared with.
    item, label
        Column names of the gold table.
    ids
        The judgments' item id column, for the hint when the ids only match as text.
    where, vocabulary, fix
        Words for the messages: where the items come from, what the vocabulary is (e.g.
        ``"in value_order="``), and how to fix an unknown gold label.
    unknown_items
        Gold items that are not among ``items``: ``"ignore"`` (a gold set larger than the
        batch is normal) or ``"raise"`` (the usual cause is mismatched ids, ``7`` vs ``"007"``).
    unknown_labels
        Gold labels outside ``categories``: ``"raise"`` (usually a typo such as ``"Unsafe "``;
        to accept a class no annotator gave, put it into ``categories``) or ``"wrong"``
        (code -2, which no judgment equals, so every judgment of such an item counts as an
        error; still raises when no gold label matches at all).

    Raises
    ------
    SchemaError
        A bad gold table; no gold item among ``items`` (always, whatever the options);
        unknown items or labels as the options say. Messages name the gold rows.

    Examples
    --------
    >>> gold = pd.DataFrame({"item_id": ["q1", "q3"], "label": ["y", "x"]})
    >>> align_gold(gold, pd.Index(["q1", "q2"]), ["x", "y"]).tolist()
    [1, -1]
    """
    check_choice(unknown_items, name="unknown_items", choices=("raise", "ignore"))
    check_choice(unknown_labels, name="unknown_labels", choices=("raise", "wrong"))
    g = require_frame(gold, table="gold")
    if not g.index.is_unique:
        g = g.reset_index(drop=True)
    validate_table(g, "gold", columns={"item_id": item, "label": label})
    cats = list(categories)
    codes = pd.Index(cats, dtype=object).get_indexer(pd.Index(g[label], dtype=object)).astype(np.int64)
    new = codes < 0
    if new.any() and unknown_labels == "raise":
        shown = ", ".join(show_value(v) for v in pd.unique(g[label][new])[:5])
        sep = "" if vocabulary.endswith("=") else " "
        vocab = "[" + ", ".join(show_value(v) for v in cats[:20]) + (", …" if len(cats) > 20 else "") + "]"
        raise SchemaError(
            f"table 'gold', column '{label}': label(s) {shown} at {format_rows(g.index[new])} are not "
            f"{vocabulary}{sep}{vocab}. {fix}"
        )
    pos = items.get_indexer(g[item])
    known = pos >= 0
    if not known.any():
        hint = item_dtype_hint(g[item], ids, item=item) if ids is not None else ""
        raise SchemaError(
            f"table 'gold', column '{item}': none of its {len(g)} items (e.g. {list(g[item][:3])!r}) "
            f"is among the {len(items):,} items of {where} (e.g. {list(items[:3])!r}); no gold item "
            "is among them because the item ids occur in one table only."
            + (hint or " Check that both tables use the same item ids (same values and type).")
        )
    if not known.all() and unknown_items == "raise":
        first = np.flatnonzero(~known)[0]
        raise SchemaError(
            f"table 'gold', column '{item}': {int((~known).sum())} gold item(s) are unknown to "
            f"{where}, e.g. {g[item].iloc[first]!r} at {format_rows(g.index[~known])}. Filter the "
            "gold table to the annotated items, or pass unknown_gold='ignore' if the gold set is "
            "deliberately larger."
        )
    if new[known].all():
        raise SchemaError(
            f"table 'gold', column '{label}': no gold label matches any label of {where} (gold has "
            f"e.g. {show_value(g[label].iloc[0])}, {where} have {', '.join(show_value(v) for v in cats[:5])}). Map "
            "the labels to one vocabulary."
        )
    per_item = np.full(len(items), -1, dtype=np.int64)
    per_item[pos[known]] = np.where(new, -2, codes)[known]
    return per_item


def gold_codes(gold: object, coded: Coded, *, item: str, label: str, value_order: bool = False) -> np.ndarray:
    """Gold label code per item of ``coded`` (-1: none), by :func:`align_gold`.

    Gold labels outside the annotation labels (or outside ``value_order`` when the caller
    was given one) raise; gold items that no annotation mentions are ignored.
    """
    if value_order:
        vocabulary, fix = "in value_order=", "Add them to value_order, or fix or drop those rows."
    else:
        from workbench.errors import interface, parameter

        vocabulary = "among the annotation labels"
        numeric = (f"For numeric ratings (gold an expert mean that nobody gave as a label) use "
                   f"{parameter('level', repr('interval'))} or {parameter('level', repr('ratio'))}.")
        fix = "Fix the typo (e.g. stray spaces or case)" + (
            ", or pass allow_new_gold_labels=True if gold really uses a class no annotator gave. "
            if interface() == "python" else ". ") + numeric
    return align_gold(
        gold, coded.items, coded.categories, item=item, label=label, ids=coded.frame[item],
        vocabulary=vocabulary, fix=fix,
    )


def item_dtype_hint(
    gold_ids: pd.Series,
    other_ids: pd.Series,
    *,
    item: str,
    other: str = "annotations",
    other_cast: str | None = None,
) -> str:
    """When the two id columns only match as text: say which dtypes they have and how to cast.

    ``other`` names the table the gold ids are looked up in; ``other_cast`` is the statement
    that casts its ids to text (default ``other['item'] = other['item'].astype(str)``).
    """
    as_str = pd.Index(other_ids.astype(str).unique())
    if not pd.Index(gold_ids.astype(str)).isin(as_str).any():
        return ""
    g_dt, o_dt = gold_ids.dtype, other_ids.dtype
    if pd.api.types.is_string_dtype(g_dt):
        fix = other_cast or f"{other}['{item}'] = {other}['{item}'].astype(str)"
    else:
        fix = f"gold['{item}'] = gold['{item}'].astype(str)"
    return (
        f" The ids match once written as text: gold '{item}' is {g_dt}, {other} '{item}' is "
        f"{o_dt}; cast one (e.g. {fix})."
    )


def loo_consensus(item_codes: np.ndarray, label_codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Leave-one-out plurality label per judgment: the modal label of the *other* ratings.

    ``counts`` is the items × labels count matrix of all judgments. -1 where nobody else
    rated the item or where the others tie for the top label. The single implementation of
    the consensus reference (``annotator_agreement`` and ``drift.consensus_agreement``).
    """
    others = counts[item_codes].astype(np.int32)
    others[np.arange(len(label_codes)), label_codes] -= 1
    top = others.max(axis=1) if len(label_codes) else np.zeros(0, dtype=np.int32)
    n_top = (others == top[:, None]).sum(axis=1)
    ref = others.argmax(axis=1).astype(np.int64) if len(label_codes) else np.zeros(0, dtype=np.int64)
    ref[(top == 0) | (n_top > 1)] = -1  # no other rating, or the others tie
    return ref
