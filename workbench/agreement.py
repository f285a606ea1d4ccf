"""Inter-annotator agreement: Cohen, Fleiss, Krippendorff, per-annotator agreement, bootstrap CIs.

Every function takes the long ``annotations`` table (one row per judgment: ``item_id``,
``annotator_id``, ``label``) first, with the column names as keyword options, validates it
and then computes on integer codes with numpy.

Agreement coefficients lie in ``[-1, 1]`` (Krippendorff's alpha can go below -1 on tiny
samples); higher is better, 1 is perfect agreement and 0 is agreement at chance level.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from workbench._validation import (
    as_rng,
    check_choice,
    format_rows,
    require_columns,
    require_frame,
    require_no_missing,
    require_nonempty,
    require_numeric,
    require_unique,
    validate_table,
)
from workbench.errors import WorkbenchError

__all__ = [
    "ConfidenceInterval",
    "Level",
    "Weights",
    "annotator_agreement",
    "annotator_confusion",
    "bootstrap_ci",
    "cohens_kappa",
    "fleiss_kappa",
    "interpret",
    "item_disagreement",
    "krippendorff_alpha",
    "pairwise_kappa",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"] | None

_LEVELS = ("nominal", "ordinal", "interval", "ratio")
_WEIGHTS = (None, "linear", "quadratic")


# --------------------------------------------------------------------------------------
# Validation and integer coding shared by this module and workbench.aggregation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coded:
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


def _sorted_categories(values: pd.Series) -> list[Any]:
    uniq = list(pd.unique(values))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def _check_value_order(value_order: Sequence[Any] | None) -> list[Any] | None:
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


def _code_labels(
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


def _validate_annotations(frame: pd.DataFrame, *, item: str, annotator: str, label: str, table: str) -> None:
    """The checks of ``validate_table(frame, "annotations")`` except the duplicate check."""
    require_columns(
        frame, [item, annotator, label], table=table, option_names=["item", "annotator", "label"]
    )
    require_nonempty(frame, table=table)
    for col in (item, annotator, label):
        require_no_missing(frame, col, table=table)
    if "duration_s" in frame.columns:
        require_numeric(frame, "duration_s", table=table)


def _prepare(
    annotations: object,
    *,
    item: str,
    annotator: str,
    label: str,
    value_order: Sequence[Any] | None = None,
    extra_labels: pd.Series | None = None,
    min_annotators: int = 2,
    table: str = "annotations",
) -> _Coded:
    """Validate a long annotations table and code it as integers.

    Checks: a DataFrame, the columns, not empty, no missing labels or ids, no duplicate
    (item, annotator) rows, at least ``min_annotators`` annotators, labels inside
    ``value_order``.
    """
    frame = require_frame(annotations, table=table)
    if not frame.index.is_unique:
        # error messages then quote row positions (the shared checks need a unique index)
        frame = frame.reset_index(drop=True)
    _validate_annotations(frame, item=item, annotator=annotator, label=label, table=table)
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
    order = _check_value_order(value_order)
    raw, uniques = pd.factorize(frame[label], sort=False)
    if order is None:
        pool = pd.Series(uniques) if extra_labels is None else pd.concat([pd.Series(uniques), extra_labels])
        categories = _sorted_categories(pool)
    else:
        categories = order
    label_codes = _code_labels(
        frame[label], categories, table=table, column=label, option="value_order", factorized=(raw, uniques)
    )
    return _Coded(
        item=np.asarray(item_codes, dtype=np.int64),
        annotator=np.asarray(ann_codes, dtype=np.int64),
        label=label_codes,
        items=items.rename(item) if isinstance(items, pd.Index) else pd.Index(items, name=item),
        annotators=annotators.rename(annotator) if isinstance(annotators, pd.Index) else pd.Index(annotators, name=annotator),
        categories=pd.Index(categories, name=label),
        frame=frame,
    )


# --------------------------------------------------------------------------------------
# Cohen's kappa
# --------------------------------------------------------------------------------------


def _disagreement_weights(k: int, weights: Weights) -> np.ndarray:
    idx = np.arange(k)
    diff = np.abs(idx[:, None] - idx[None, :]).astype(float)
    if weights is None:
        return (diff > 0).astype(float)
    if weights == "linear":
        return diff
    return diff**2


def _kappa_from_confusion(conf: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Cohen's kappa of one or many K×K confusion tables (leading axes broadcast)."""
    conf = np.asarray(conf, dtype=float)
    n = conf.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = conf.sum(axis=-1)
        cols = conf.sum(axis=-2)
        expected = rows[..., :, None] * cols[..., None, :] / n[..., None, None]
        num = (w * conf).sum(axis=(-2, -1))
        den = (w * expected).sum(axis=(-2, -1))
        kappa = 1.0 - num / den
    return np.where((n > 0) & (den > 0), kappa, np.nan)


def cohens_kappa(
    a: Sequence[Any] | np.ndarray | pd.Series,
    b: Sequence[Any] | np.ndarray | pd.Series,
    *,
    weights: Weights = None,
    labels: Sequence[Any] | None = None,
) -> float:
    """Cohen's kappa between two annotators' labels of the same items, optionally weighted.

    Parameters
    ----------
    a, b
        Labels of the same items by two annotators, aligned by position.
    weights
        ``None`` (every disagreement counts 1), ``"linear"`` (``|i - j|``) or
        ``"quadratic"`` (``(i - j)**2``), where ``i``, ``j`` are positions in ``labels``.
    labels
        The categories in their order (needed for weighted kappa on non-numeric labels).
        Default: the sorted union of the observed labels.

    Returns
    -------
    float
        Kappa in ``[-1, 1]``, higher is better; ``nan`` when the expected disagreement is 0
        (both annotators used one and the same single label).

    Raises
    ------
    WorkbenchError
        Different lengths, no items, missing labels, labels outside ``labels``, unknown
        ``weights``.

    Notes
    -----
    ``kappa = 1 - sum(w * o) / sum(w * e)`` with ``o`` the observed and ``e`` the
    chance-expected (product of the marginals) proportions of the confusion table and ``w``
    the disagreement weights; unweighted kappa is ``(p_o - p_e) / (1 - p_e)``.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement 20(1), 37-46. doi:10.1177/001316446002000104.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin 70(4), 213-220.
    doi:10.1037/h0026256.

    Examples
    --------
    >>> round(cohens_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 3)
    0.5
    >>> round(cohens_kappa([1, 2, 3, 3], [1, 3, 3, 2], weights="linear"), 3)
    0.429
    """
    check_choice(weights, name="weights", choices=_WEIGHTS)
    sa = pd.Series(np.asarray(a, dtype=object) if not isinstance(a, pd.Series) else a.to_numpy())
    sb = pd.Series(np.asarray(b, dtype=object) if not isinstance(b, pd.Series) else b.to_numpy())
    if len(sa) != len(sb):
        raise WorkbenchError(
            f"cohens_kappa: a and b must label the same items, but a has {len(sa)} labels and "
            f"b has {len(sb)}. Align them on item_id first (e.g. with a pivot)."
        )
    if len(sa) == 0:
        raise WorkbenchError("cohens_kappa: a and b are empty; there are no items to compare.")
    for name, s in (("a", sa), ("b", sb)):
        bad = s.index[s.isna().to_numpy()]
        if len(bad):
            raise WorkbenchError(
                f"cohens_kappa: {name} holds {len(bad)} missing label(s) (NaN) at positions "
                f"{format_rows(bad)[5:]}; keep only the items both annotators labeled."
            )
    order = _check_value_order(labels)
    cats = order if order is not None else _sorted_categories(pd.concat([sa, sb]))
    opt = "labels"
    ca = _code_labels(sa, cats, table="a", column="label", option=opt)
    cb = _code_labels(sb, cats, table="b", column="label", option=opt)
    k = len(cats)
    conf = np.bincount(ca * k + cb, minlength=k * k).reshape(k, k)
    return float(_kappa_from_confusion(conf, _disagreement_weights(k, weights)))


# --------------------------------------------------------------------------------------
# Fleiss' kappa
# --------------------------------------------------------------------------------------


def _fleiss_parts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-item agreement P_i and per-item label counts (Fleiss 1971)."""
    m = counts.sum(axis=1).astype(float)
    p_i = ((counts.astype(float) ** 2).sum(axis=1) - m) / (m * (m - 1))
    return p_i, counts.astype(float)


def _fleiss_from_sums(p_sum: np.ndarray, n_items: np.ndarray, label_sums: np.ndarray) -> np.ndarray:
    p_bar = p_sum / n_items
    p_j = label_sums / label_sums.sum(axis=-1, keepdims=True)
    p_e = (p_j**2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = (p_bar - p_e) / (1.0 - p_e)
    return np.where(p_e < 1.0, kappa, np.nan)


def fleiss_kappa(
    annotations: pd.DataFrame,
    *,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> float:
    """Fleiss' kappa for many annotators, each item rated by the same number of annotators.

    Parameters
    ----------
    annotations
        Long table, one row per judgment.
    item, annotator, label
        Column names.
    value_order
        All categories (optional); labels outside it are an error.

    Returns
    -------
    float
        Kappa in ``[-1, 1]``, higher is better; ``nan`` if only one category was ever used.

    Raises
    ------
    WorkbenchError
        Bad table (see :func:`krippendorff_alpha`), or items rated by different numbers of
        annotators (use :func:`krippendorff_alpha`, which handles missing ratings).

    Notes
    -----
    ``P_i = (sum_j n_ij^2 - m) / (m (m - 1))``, ``p_j = sum_i n_ij / (N m)``,
    ``kappa = (mean(P_i) - sum_j p_j^2) / (1 - sum_j p_j^2)``. Which annotator gave which
    rating does not matter; only the counts per item do.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    Psychological Bulletin 76(5), 378-382. doi:10.1037/h0031619.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 1, 2, 2, 2, 3, 3, 3],
    ...                    "annotator_id": ["u", "v", "w"] * 3,
    ...                    "label": ["x", "x", "x", "y", "y", "x", "y", "y", "y"]})
    >>> round(fleiss_kappa(df), 3)
    0.55
    """
    coded = _prepare(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    counts = coded.counts()
    m = counts.sum(axis=1)
    if (m < 2).any() or (m != m[0]).any():
        sizes = pd.Series(m, index=coded.items).value_counts().sort_index()
        odd = coded.items[m != np.bincount(m).argmax()]
        raise WorkbenchError(
            f"fleiss_kappa: every item must be rated by the same number (>= 2) of annotators, "
            f"but the ratings per item are {dict(sizes.items())} (e.g. items "
            f"{list(odd[:5])!r}). Use krippendorff_alpha(), which allows missing ratings, "
            "or keep only fully rated items."
        )
    p_i, _ = _fleiss_parts(counts)
    return float(_fleiss_from_sums(p_i.sum(), np.array(float(len(p_i))), counts.sum(axis=0)))


# --------------------------------------------------------------------------------------
# Krippendorff's alpha
# --------------------------------------------------------------------------------------


def _metric_values(coded: _Coded, level: str, value_order: Sequence[Any] | None) -> np.ndarray:
    """Numeric values of the categories, for interval and ratio distances."""
    cats = coded.categories
    numeric = pd.to_numeric(pd.Series(list(cats), dtype=object), errors="coerce")
    if not numeric.isna().any():
        return numeric.to_numpy(dtype=float)
    if value_order is not None:
        return np.arange(1, len(cats) + 1, dtype=float)
    raise WorkbenchError(
        f"krippendorff_alpha(level={level!r}) needs numeric labels, but the labels include "
        f"{[c for c, v in zip(cats, numeric, strict=True) if pd.isna(v)][:5]!r}. Pass value_order=[...] to "
        "use the positions 1..K as values, or use level='ordinal' or 'nominal'."
    )


def _delta2(level: str, values: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """Squared distance metric between categories; ``n_c`` (…, K) for the ordinal metric."""
    k = len(values)
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(k), (*n_c.shape[:-1], k, k))
    if level == "ordinal":
        cum = np.cumsum(n_c, axis=-1)
        lo = np.minimum.outer(np.arange(k), np.arange(k))
        hi = np.maximum.outer(np.arange(k), np.arange(k))
        # sum_{g=lo..hi} n_g - (n_lo + n_hi) / 2
        prev = np.concatenate([np.zeros((*n_c.shape[:-1], 1)), cum[..., :-1]], axis=-1)
        span = cum[..., hi] - prev[..., lo]
        d = span - (n_c[..., lo] + n_c[..., hi]) / 2.0
        return d**2
    diff = values[:, None] - values[None, :]
    if level == "interval":
        d2 = diff**2
    else:
        tot = values[:, None] + values[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            d2 = np.where(tot != 0, (diff / np.where(tot != 0, tot, 1.0)) ** 2, 0.0)
    return np.broadcast_to(d2, (*n_c.shape[:-1], k, k))


def _alpha_from_coincidence(o: np.ndarray, level: str, values: np.ndarray) -> np.ndarray:
    """Alpha from one or many coincidence matrices ``o`` (…, K, K)."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    d2 = _delta2(level, values, n_c)
    observed = (o * d2).sum(axis=(-2, -1))
    expected = np.einsum("...i,...ij,...j->...", n_c, d2, n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    return np.where(expected > 0, alpha, np.nan)


def _coincidence(coded: _Coded) -> tuple[np.ndarray, int]:
    """Coincidence matrix and the number of pairable units (rated at least twice)."""
    k = coded.n_categories
    m = np.bincount(coded.item, minlength=coded.n_items).astype(float)
    weight = np.zeros_like(m)
    np.divide(1.0, m - 1.0, out=weight, where=m >= 2)
    counts = np.bincount(coded.item * k + coded.label, minlength=coded.n_items * k)
    counts = counts.reshape(coded.n_items, k).astype(float)
    scaled = counts * weight[:, None]
    return scaled.T @ counts - np.diag(scaled.sum(axis=0)), int((m >= 2).sum())


def krippendorff_alpha(
    annotations: pd.DataFrame,
    *,
    level: Level = "nominal",
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> float:
    """Krippendorff's alpha for any number of annotators, missing ratings and four levels.

    Parameters
    ----------
    annotations
        Long table, one row per judgment; items need not be rated by every annotator.
    level
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"`` (the distance metric).
    item, annotator, label
        Column names.
    value_order
        The categories in their order. Required for a meaningful ``"ordinal"`` alpha on
        non-numeric labels; labels outside it are an error. For ``"interval"``/``"ratio"``
        the labels must be numbers, or ``value_order`` is given and positions 1..K are used.

    Returns
    -------
    float
        Alpha, at most 1, higher is better (0: chance level); ``nan`` if all pairable
        ratings fall in one category (the expected disagreement is 0).

    Raises
    ------
    WorkbenchError
        Not a table, missing columns, empty, missing labels or ids, duplicate
        (item, annotator) rows, fewer than two annotators, labels outside ``value_order``,
        non-numeric labels for interval/ratio, or no item rated twice.

    Notes
    -----
    Only pairable values count: an item rated by a single annotator has no pair of ratings
    to compare and is left out (Krippendorff 2011, step 2). With ``n_uc`` the number of
    ratings ``c`` of unit ``u`` and ``m_u`` its number of ratings, the coincidences are
    ``o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1)``, ``n_c = sum_k o_ck`` and
    ``alpha = 1 - (n - 1) sum_ck o_ck d2_ck / sum_ck n_c n_k d2_ck`` with the squared
    distance ``d2`` of the level. Krippendorff (2004) calls ``alpha >= .800`` reliable and
    ``.667 <= alpha < .800`` acceptable for tentative conclusions only.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Departmental
    Papers (ASC), University of Pennsylvania. https://repository.upenn.edu/asc_papers/43.
    Krippendorff, K. (2004). Content Analysis: An Introduction to Its Methodology, 2nd ed.
    Sage. Hayes, A. F. & Krippendorff, K. (2007). doi:10.1080/19312450709336664.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3, 4],
    ...                    "annotator_id": ["u", "v"] * 3 + ["u"],
    ...                    "label": [1, 1, 2, 2, 3, 2, 1]})
    >>> round(krippendorff_alpha(df), 3)
    0.545
    >>> round(krippendorff_alpha(df, level="interval"), 3)
    0.706
    """
    check_choice(level, name="level", choices=_LEVELS)
    coded = _prepare(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    values = _metric_values(coded, level, value_order) if level in ("interval", "ratio") else np.arange(
        coded.n_categories, dtype=float
    )
    coincidence, n_pairable = _coincidence(coded)
    if n_pairable == 0:
        raise WorkbenchError(
            "krippendorff_alpha: no item is rated by two or more annotators, so there is no "
            f"pair of ratings to compare ({coded.n_items} items, each rated once). Check the "
            f"'{item}' and '{annotator}' columns."
        )
    return float(_alpha_from_coincidence(coincidence, level, values))


# --------------------------------------------------------------------------------------
# Pairwise and per-annotator agreement
# --------------------------------------------------------------------------------------


def pairwise_kappa(
    annotations: pd.DataFrame,
    *,
    weights: Weights = None,
    min_overlap: int = 2,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Cohen's kappa of every pair of annotators on the items both labeled.

    Parameters
    ----------
    annotations
        Long table, one row per judgment.
    weights
        ``None``, ``"linear"`` or ``"quadratic"`` (see :func:`cohens_kappa`).
    min_overlap
        Pairs sharing fewer items get ``nan``.
    item, annotator, label, value_order
        Column names and category order.

    Returns
    -------
    DataFrame
        Annotator × annotator matrix (symmetric, diagonal 1.0); ``nan`` where the overlap is
        under ``min_overlap`` or kappa is undefined. ``.attrs["overlap"]`` holds the matrix
        of shared item counts.

    Raises
    ------
    WorkbenchError
        Bad table (see :func:`krippendorff_alpha`), ``min_overlap < 1``, unknown weights.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 2, 2, 3, 3],
    ...                    "annotator_id": ["u", "v"] * 3,
    ...                    "label": ["x", "x", "y", "y", "y", "x"]})
    >>> pairwise_kappa(df).loc["u", "v"].round(3)
    np.float64(0.4)
    """
    check_choice(weights, name="weights", choices=_WEIGHTS)
    if min_overlap < 1:
        raise WorkbenchError(f"min_overlap={min_overlap} must be at least 1.")
    coded = _prepare(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    k, n_ann = coded.n_categories, len(coded.annotators)
    col = coded.annotator * k + coded.label
    x = sparse.csr_matrix(
        (np.ones(len(col)), (coded.item, col)), shape=(coded.n_items, n_ann * k)
    )
    joint = (x.T @ x).toarray().reshape(n_ann, k, n_ann, k).transpose(0, 2, 1, 3)
    overlap = joint.sum(axis=(-2, -1))
    kappa = _kappa_from_confusion(joint, _disagreement_weights(k, weights))
    kappa = np.where(overlap >= min_overlap, kappa, np.nan)
    np.fill_diagonal(kappa, 1.0)
    names = coded.annotators
    out = pd.DataFrame(kappa, index=names, columns=pd.Index(names, name=None))
    out.attrs["overlap"] = pd.DataFrame(overlap.astype(int), index=names, columns=list(names))
    return out


def _item_dtype_hint(
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


def _gold_codes(
    gold: object, coded: _Coded, *, item: str, label: str, option: str = "the annotation labels"
) -> np.ndarray:
    """Gold label code per item of ``coded`` (-1 where the item has no gold label)."""
    g = require_frame(gold, table="gold")
    if not g.index.is_unique:
        g = g.reset_index(drop=True)
    validate_table(g, "gold", columns={"item_id": item, "label": label})
    if option == "the annotation labels":
        unknown = ~pd.Index(g[label], dtype=object).isin(pd.Index(coded.categories, dtype=object))
        if unknown.any():
            shown = ", ".join(repr(v) for v in pd.unique(g[label][unknown])[:5])
            raise WorkbenchError(
                f"table 'gold', column '{label}': label(s) {shown} at {format_rows(g.index[unknown])} "
                f"are not among the annotation labels {list(coded.categories)!r}. Fix the typo "
                "(e.g. stray spaces or case), or pass allow_new_gold_labels=True if gold really "
                "uses a class no annotator gave."
            )
    codes = _code_labels(g[label], list(coded.categories), table="gold", column=label, option=option)
    per_item = np.full(coded.n_items, -1, dtype=np.int64)
    pos = coded.items.get_indexer(g[item])
    keep = pos >= 0
    if not keep.any():
        hint = _item_dtype_hint(g[item], coded.frame[item], item=item)
        raise WorkbenchError(
            f"table 'gold': none of its {len(g)} items (e.g. {list(g[item][:3])!r}) appears in "
            f"the annotations' '{item}' column."
            + (hint or " Check that both tables use the same item ids.")
        )
    per_item[pos[keep]] = codes[keep]
    return per_item


def _loo_consensus(item_codes: np.ndarray, label_codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
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


def _reference_codes(coded: _Coded, gold_per_item: np.ndarray | None) -> np.ndarray:
    """Reference label per annotation: gold, or the leave-one-out consensus (-1: none)."""
    if gold_per_item is not None:
        return gold_per_item[coded.item]
    return _loo_consensus(coded.item, coded.label, coded.counts())


def _new_gold_labels(
    gold: object, *, label: str, value_order: Sequence[Any] | None, allow: bool
) -> pd.Series | None:
    """Gold labels to add as extra categories: only with ``allow`` and no ``value_order``.

    Otherwise gold labels that no annotator gave raise in :func:`_gold_codes`, so a typo
    such as ``"Unsafe "`` for ``"Unsafe"`` is caught instead of becoming a class of its own.
    """
    if not allow or value_order is not None or not isinstance(gold, pd.DataFrame) or label not in gold.columns:
        return None
    return gold[label].dropna()


def _resolve_prepare(
    annotations: pd.DataFrame,
    reference: pd.DataFrame | None,
    *,
    item: str,
    annotator: str,
    label: str,
    value_order: Sequence[Any] | None,
    allow_new_gold_labels: bool = False,
) -> tuple[_Coded, np.ndarray]:
    extra = None
    if reference is not None:
        extra = _new_gold_labels(reference, label=label, value_order=value_order, allow=allow_new_gold_labels)
    coded = _prepare(
        annotations,
        item=item,
        annotator=annotator,
        label=label,
        value_order=value_order,
        extra_labels=extra,
    )
    gold_codes = None if reference is None else _gold_codes(
        reference, coded, item=item, label=label,
        option="the annotation labels" if value_order is None else "value_order",
    )
    return coded, _reference_codes(coded, gold_codes)


def annotator_agreement(
    annotations: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    weights: Weights = None,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    duration: str = "duration_s",
    value_order: Sequence[Any] | None = None,
    allow_new_gold_labels: bool = False,
) -> pd.DataFrame:
    """One row per annotator: how often they agree with gold or with the other annotators.

    Parameters
    ----------
    annotations
        Long table, one row per judgment.
    reference
        A gold table (``item_id``, ``label``): compare with it (``agreement`` is then the
        accuracy on gold items). ``None``: compare each judgment with the leave-one-out
        consensus, the plurality label of the *other* annotators of that item (items where
        the others tie or where nobody else rated are skipped).
    weights
        Weights of the per-annotator Cohen's kappa (see :func:`cohens_kappa`).
    item, annotator, label, value_order
        Column names and category order.
    duration
        Column of seconds spent per judgment; when present, ``median_duration_s`` is added.
    allow_new_gold_labels
        Without ``value_order``, a gold label that no annotator gave raises (it is usually
        a typo such as ``"Unsafe "``). ``True`` accepts such labels as extra categories
        (gold really uses a class nobody chose; every judgment of it counts as an error).

    Returns
    -------
    DataFrame
        Indexed by annotator: ``n`` (judgments), ``n_compared`` (judgments with a
        reference), ``agreement`` (share equal to the reference, 0..1, higher is better),
        ``kappa`` (Cohen's kappa against the reference), ``reference`` (``"gold"`` or
        ``"consensus"``), ``top_label`` and ``top_label_share`` (straight-lining),
        ``share_<label>`` per category, and ``median_duration_s`` when available.
        Per-annotator confusion matrices: :func:`annotator_confusion`.

    Raises
    ------
    WorkbenchError
        Bad annotations (see :func:`krippendorff_alpha`) or gold table (missing columns,
        duplicate items, no shared items — with a hint when the ids only match as text —
        labels outside ``value_order``, or, without it, labels no annotator gave unless
        ``allow_new_gold_labels=True``); the message names the labels and gold rows.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 1, 2, 2, 2],
    ...                    "annotator_id": ["u", "v", "w"] * 2,
    ...                    "label": ["x", "x", "y", "y", "y", "y"]})
    >>> annotator_agreement(df)["agreement"].tolist()
    [1.0, 1.0, 0.5]
    """
    check_choice(weights, name="weights", choices=_WEIGHTS)
    coded, ref = _resolve_prepare(
        annotations, reference, item=item, annotator=annotator, label=label, value_order=value_order,
        allow_new_gold_labels=allow_new_gold_labels,
    )
    k, n_ann = coded.n_categories, len(coded.annotators)
    has = ref >= 0
    conf = np.bincount(
        (coded.annotator[has] * k + ref[has]) * k + coded.label[has], minlength=n_ann * k * k
    ).reshape(n_ann, k, k)
    n_compared = conf.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        agree = np.trace(conf, axis1=1, axis2=2) / n_compared
    kappa = _kappa_from_confusion(conf, _disagreement_weights(k, weights))
    label_counts = np.bincount(coded.annotator * k + coded.label, minlength=n_ann * k).reshape(n_ann, k)
    n = label_counts.sum(axis=1)
    shares = label_counts / n[:, None]
    out = pd.DataFrame(
        {
            "n": n,
            "n_compared": n_compared,
            "agreement": np.where(n_compared > 0, agree, np.nan),
            "kappa": kappa,
            "reference": "gold" if reference is not None else "consensus",
            "top_label": np.asarray(coded.categories, dtype=object)[shares.argmax(axis=1)],
            "top_label_share": shares.max(axis=1),
        },
        index=coded.annotators,
    )
    for j, c in enumerate(coded.categories):
        out[f"share_{c}"] = shares[:, j]
    if duration in coded.frame.columns:
        dur = pd.to_numeric(coded.frame[duration], errors="coerce")
        med = dur.groupby(coded.annotator).median()
        out["median_duration_s"] = med.reindex(np.arange(n_ann)).to_numpy()
    return out


def annotator_confusion(
    annotations: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
    allow_new_gold_labels: bool = False,
) -> pd.DataFrame:
    """Per-annotator confusion matrices against gold or the leave-one-out consensus.

    Parameters
    ----------
    annotations, reference, item, annotator, label, value_order, allow_new_gold_labels
        As in :func:`annotator_agreement`.

    Returns
    -------
    DataFrame
        Long table, one row per (annotator, reference label, given label) with ``count``
        and ``rate`` (share of the reference label's judgments, rows sum to 1).

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 1, 2, 2, 2],
    ...                    "annotator_id": ["u", "v", "w"] * 2,
    ...                    "label": ["x", "x", "y", "y", "y", "y"]})
    >>> c = annotator_confusion(df)
    >>> int(c.query("annotator_id == 'w' and reference == 'x' and label == 'y'")["count"].iloc[0])
    1
    """
    coded, ref = _resolve_prepare(
        annotations, reference, item=item, annotator=annotator, label=label, value_order=value_order,
        allow_new_gold_labels=allow_new_gold_labels,
    )
    k, n_ann = coded.n_categories, len(coded.annotators)
    has = ref >= 0
    conf = np.bincount(
        (coded.annotator[has] * k + ref[has]) * k + coded.label[has], minlength=n_ann * k * k
    ).reshape(n_ann, k, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = conf / conf.sum(axis=2, keepdims=True)
    idx = pd.MultiIndex.from_product(
        [coded.annotators, coded.categories, coded.categories],
        names=[annotator, "reference", label],
    )
    return pd.DataFrame({"count": conf.ravel(), "rate": rate.ravel()}, index=idx).reset_index()


def item_disagreement(
    annotations: pd.DataFrame,
    *,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Per item: number of ratings, the modal label, its share, and whether raters disagree.

    Returns
    -------
    DataFrame
        Indexed by item: ``n_ratings``, ``modal_label`` (ties: first in category order),
        ``modal_share`` (0..1), ``disagreement`` (1 - share of agreeing rating pairs, 0 is
        unanimous; ``nan`` for items rated once) and ``unanimous`` (bool).

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 2, 2], "annotator_id": ["u", "v"] * 2,
    ...                    "label": ["x", "x", "x", "y"]})
    >>> item_disagreement(df)["disagreement"].tolist()
    [0.0, 1.0]
    """
    coded = _prepare(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    counts = coded.counts().astype(float)
    m = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_agree = ((counts**2).sum(axis=1) - m) / (m * (m - 1))
    return pd.DataFrame(
        {
            "n_ratings": m.astype(int),
            "modal_label": np.asarray(coded.categories, dtype=object)[counts.argmax(axis=1)],
            "modal_share": counts.max(axis=1) / m,
            "disagreement": np.where(m >= 2, 1.0 - pair_agree, np.nan),
            "unanimous": counts.max(axis=1) == m,
        },
        index=coded.items,
    )


# --------------------------------------------------------------------------------------
# Interpretation bands
# --------------------------------------------------------------------------------------


def interpret(value: float, *, scale: Literal["landis_koch", "krippendorff"] = "landis_koch") -> str:
    """Verbal band of an agreement coefficient.

    ``"landis_koch"`` (for kappa; Landis & Koch 1977, Biometrics 33(1), 159-174,
    doi:10.2307/2529310): < 0 poor, 0-.20 slight, .21-.40 fair, .41-.60 moderate,
    .61-.80 substantial, .81-1 almost perfect. ``"krippendorff"`` (for alpha; Krippendorff
    2004, Content Analysis, 2nd ed., p. 241): >= .800 reliable, >= .667 tentative
    conclusions only, below: unreliable.

    Examples
    --------
    >>> interpret(0.65), interpret(0.7, scale="krippendorff")
    ('substantial', 'tentative')
    """
    check_choice(scale, name="scale", choices=("landis_koch", "krippendorff"))
    if value is None or not math.isfinite(value):
        return "undefined"
    if scale == "krippendorff":
        return "reliable" if value >= 0.800 else "tentative" if value >= 0.667 else "unreliable"
    for bar, name in ((0.0, "poor"), (0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if value < bar or (bar > 0 and value <= bar):
            return name
    return "almost perfect"


# --------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfidenceInterval:
    """A point estimate with a bootstrap confidence interval."""

    statistic: str
    estimate: float
    low: float
    high: float
    confidence: float
    n_resamples: int
    n_valid: int
    method: str = "percentile cluster bootstrap"

    def to_frame(self) -> pd.DataFrame:
        """One-row table: statistic, estimate, ci_low, ci_high, confidence, n_resamples."""
        return pd.DataFrame(
            {
                "statistic": [self.statistic],
                "estimate": [self.estimate],
                "ci_low": [self.low],
                "ci_high": [self.high],
                "confidence": [self.confidence],
                "n_resamples": [self.n_resamples],
            }
        )

    def summary(self) -> str:
        """One sentence with the estimate and its interval."""
        return (
            f"{self.statistic} = {self.estimate:.3f}, {self.confidence:.0%} CI "
            f"[{self.low:.3f}, {self.high:.3f}] ({self.method}, {self.n_valid:,} of "
            f"{self.n_resamples:,} resamples defined)."
        )


def _resample_weights(
    rng: np.random.Generator, n_units: int, n_resamples: int, chunk_cells: int = 20_000_000
) -> Any:
    """Yield blocks of multinomial resampling counts (resamples × units)."""
    block = max(1, chunk_cells // max(n_units, 1))
    done = 0
    p = np.full(n_units, 1.0 / n_units)
    while done < n_resamples:
        b = min(block, n_resamples - done)
        yield rng.multinomial(n_units, p, size=b).astype(float)
        done += b


def _statistic_spec(statistic: Callable[..., float]) -> tuple[Callable[..., float], dict[str, Any]]:
    if isinstance(statistic, functools.partial):
        if statistic.args:
            return statistic, {}
        inner, kw = _statistic_spec(statistic.func)
        return inner, {**kw, **statistic.keywords}
    return statistic, {}


def bootstrap_ci(
    statistic: Callable[..., float],
    annotations: pd.DataFrame,
    *,
    n_resamples: int = 1000,
    by: str = "item_id",
    confidence: float = 0.95,
    rng: int | np.random.Generator | None = None,
    **kwargs: Any,
) -> ConfidenceInterval:
    """Bootstrap confidence interval of an agreement statistic, resampling items as clusters.

    Parameters
    ----------
    statistic
        A function ``f(annotations, **kwargs) -> float``, e.g. :func:`krippendorff_alpha`,
        :func:`fleiss_kappa` or ``functools.partial(krippendorff_alpha, level="ordinal")``.
        For these two the resamples are computed in closed form from per-item
        contributions (a weighted sum per resample, fast); other functions are called on
        each resampled table.
    annotations
        Long table, one row per judgment.
    n_resamples
        Number of bootstrap resamples (>= 10).
    by
        Column whose values are resampled with replacement as clusters (all rows of a
        drawn item come along). When the default ``"item_id"`` is absent and ``item=`` is
        passed for the statistic, that column is used.
    confidence
        Coverage of the percentile interval, in (0, 1).
    rng
        Seed or Generator.
    **kwargs
        Passed to ``statistic`` (e.g. ``level="interval"``, ``item="pair_id"``).

    Returns
    -------
    ConfidenceInterval
        Estimate on the full data, percentile interval over the defined resamples.

    Raises
    ------
    WorkbenchError
        Bad table, ``by`` missing, ``n_resamples < 10``, ``confidence`` outside (0, 1), or
        whatever ``statistic`` raises on the full data.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": np.repeat(np.arange(50), 2),
    ...                    "annotator_id": ["u", "v"] * 50,
    ...                    "label": np.r_[np.repeat([0, 1], 50)]})
    >>> ci = bootstrap_ci(krippendorff_alpha, df, n_resamples=200, rng=0)
    >>> ci.low <= ci.estimate <= ci.high
    True
    """
    if not callable(statistic):
        raise TypeError(f"statistic must be a function, got {type(statistic).__name__}.")
    if n_resamples < 10:
        raise WorkbenchError(f"n_resamples={n_resamples} is too few; use at least 10 (1000 is usual).")
    if not 0.0 < confidence < 1.0:
        raise WorkbenchError(f"confidence={confidence} must lie strictly between 0 and 1, e.g. 0.95.")
    frame = require_frame(annotations, table="annotations")
    if by == "item_id" and by not in frame.columns and isinstance(kwargs.get("item"), str):
        by = kwargs["item"]  # the statistic's own item column, e.g. item="pair_id"
    if by not in frame.columns:
        raise WorkbenchError(
            f"table 'annotations' has no column '{by}' to resample by; it has "
            f"{list(map(str, frame.columns[:20]))!r}. Pass by=<column>."
        )
    require_nonempty(frame, table="annotations")
    gen = as_rng(rng)
    func, kw = _statistic_spec(statistic)
    kw = {**kw, **kwargs}
    estimate = float(statistic(frame, **kwargs))
    name = getattr(func, "__name__", "statistic")
    if kw.get("level"):
        name = f"{name} ({kw['level']})"
    item_col = kw.get("item", "item_id")
    fast = func in (krippendorff_alpha, fleiss_kappa) and by == item_col
    if fast:
        coded = _prepare(
            frame,
            item=kw.get("item", "item_id"),
            annotator=kw.get("annotator", "annotator_id"),
            label=kw.get("label", "label"),
            value_order=kw.get("value_order"),
        )
        counts = coded.counts().astype(float)
        level = kw.get("level", "nominal")
        if func is krippendorff_alpha:
            values = (
                _metric_values(coded, level, kw.get("value_order"))
                if level in ("interval", "ratio")
                else np.arange(coded.n_categories, dtype=float)
            )
            m = counts.sum(axis=1)
            k = coded.n_categories
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = np.where(m >= 2, 1.0 / (m - 1.0), 0.0)
            contrib = (counts[:, :, None] * counts[:, None, :]) - counts[:, :, None] * np.eye(k)
            contrib = (contrib * scale[:, None, None]).reshape(len(m), k * k)
            parts = [
                _alpha_from_coincidence((w @ contrib).reshape(-1, k, k), level, values)
                for w in _resample_weights(gen, coded.n_items, n_resamples)
            ]
        else:
            p_i, cnt = _fleiss_parts(counts)
            parts = [
                _fleiss_from_sums(w @ p_i, w.sum(axis=1), w @ cnt)
                for w in _resample_weights(gen, coded.n_items, n_resamples)
            ]
        stats = np.concatenate(parts)
    else:
        codes, uniques = pd.factorize(frame[by])
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(len(uniques)))
        sizes = np.bincount(codes, minlength=len(uniques))
        stats = np.empty(n_resamples)
        for b in range(n_resamples):
            drawn = gen.integers(0, len(uniques), len(uniques))
            rows = np.concatenate([order[starts[d] : starts[d] + sizes[d]] for d in drawn])
            sample = frame.iloc[rows].copy()
            # each drawn copy of a cluster becomes its own cluster
            sample[by] = np.repeat(np.arange(len(drawn)), sizes[drawn])
            if by not in (item_col, kw.get("annotator", "annotator_id")) and item_col in sample.columns:
                sample[item_col] = sample[item_col].astype(str) + "#" + np.repeat(
                    np.arange(len(drawn)), sizes[drawn]
                ).astype(str)
            try:
                stats[b] = float(statistic(sample, **kwargs))
            except WorkbenchError:
                stats[b] = np.nan
    valid = stats[np.isfinite(stats)]
    tail = (1.0 - confidence) / 2.0
    low, high = (np.quantile(valid, [tail, 1.0 - tail]) if len(valid) else (np.nan, np.nan))
    return ConfidenceInterval(
        statistic=name,
        estimate=estimate,
        low=float(low),
        high=float(high),
        confidence=confidence,
        n_resamples=n_resamples,
        n_valid=int(len(valid)),
    )
