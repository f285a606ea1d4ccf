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

from workbench._internal.coding import (
    Coded,
    check_value_order,
    code_annotations,
    code_labels,
    gold_codes,
    loo_consensus,
    new_gold_labels,
    sorted_categories,
)
from workbench._internal.reliability import (
    alpha_from_coincidence,
    disagreement_weights,
    kappa_from_confusion,
)
from workbench._internal.stats import check_confidence, multinomial_weights, percentile_interval
from workbench._validation import as_rng, check_choice, format_rows, require_frame, require_nonempty
from workbench.errors import WorkbenchError

__all__ = [
    "ConfidenceInterval",
    "Level",
    "Weights",
    "annotator_agreement",
    "annotator_confusion",
    "bootstrap_ci",
    "ItemContributions",
    "ReliabilityTable",
    "cohens_kappa",
    "cohens_kappa_ci",
    "fleiss_kappa",
    "interpret",
    "item_disagreement",
    "krippendorff_alpha",
    "numeric_bias",
    "numeric_labels",
    "pairwise_kappa",
    "reliability_table",
    "with_item_contributions",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"] | None

_LEVELS = ("nominal", "ordinal", "interval", "ratio")
_WEIGHTS = (None, "linear", "quadratic")


@dataclass(frozen=True)
class ItemContributions:
    """A statistic written as a function of weighted sums over items (the fast bootstrap path).

    With ``parts`` the items × features matrix of per-item contributions and ``w`` the
    resamples × items matrix of how often each item is drawn, the statistic of every resample
    is ``combine(w @ parts)`` (one value per row). The full data is ``w = 1``.
    """

    parts: np.ndarray
    combine: Callable[[np.ndarray], np.ndarray]


def with_item_contributions(
    contributions: Callable[..., ItemContributions],
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator: give a statistic its per-item contributions, so :func:`bootstrap_ci` resamples fast.

    ``contributions(annotations, **kwargs)`` takes the statistic's own arguments and returns
    :class:`ItemContributions` whose items are the values of the statistic's ``item`` column.
    :func:`bootstrap_ci` uses it whenever it resamples by that column; any other statistic
    is recomputed on each resampled table. :func:`krippendorff_alpha` and
    :func:`fleiss_kappa` carry one.
    """

    def attach(statistic: Callable[..., float]) -> Callable[..., float]:
        statistic.item_contributions = contributions  # type: ignore[attr-defined]
        return statistic

    return attach


# --------------------------------------------------------------------------------------
# Validation and integer coding shared by this module and workbench.aggregation
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Cohen's kappa
# --------------------------------------------------------------------------------------


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
    ca, cb, k = _coded_pair(a, b, weights=weights, labels=labels)
    conf = np.bincount(ca * k + cb, minlength=k * k).reshape(k, k)
    return float(kappa_from_confusion(conf, disagreement_weights(k, weights)))


def cohens_kappa_ci(
    a: Sequence[Any] | np.ndarray | pd.Series,
    b: Sequence[Any] | np.ndarray | pd.Series,
    *,
    weights: Weights = None,
    labels: Sequence[Any] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    rng: int | np.random.Generator | None = None,
) -> ConfidenceInterval:
    """Cohen's kappa with a percentile bootstrap interval, resampling the items.

    Parameters
    ----------
    a, b, weights, labels
        As in :func:`cohens_kappa`.
    n_resamples
        Bootstrap resamples (>= 10).
    confidence
        Coverage of the percentile interval, in (0, 1).
    rng
        Seed or Generator.

    Returns
    -------
    ConfidenceInterval
        ``estimate`` equals :func:`cohens_kappa`; the interval is the percentile interval of
        kappa over item resamples (each resample's confusion table is a weighted sum of the
        items' one-hot cells, so all resamples cost one matrix product).

    Raises
    ------
    WorkbenchError
        As :func:`cohens_kappa`, and ``n_resamples < 10`` or ``confidence`` outside (0, 1).

    Examples
    --------
    >>> ci = cohens_kappa_ci(["x", "y"] * 30, ["x", "y"] * 25 + ["y", "x"] * 5, rng=0)
    >>> round(ci.estimate, 3), ci.low < ci.estimate < ci.high
    (0.667, True)
    """
    if n_resamples < 10:
        raise WorkbenchError(f"n_resamples={n_resamples} is too few; use at least 10 (1000 is usual).")
    confidence = check_confidence(confidence)
    ca, cb, k = _coded_pair(a, b, weights=weights, labels=labels)
    w = disagreement_weights(k, weights)
    cells = np.zeros((len(ca), k * k))
    cells[np.arange(len(ca)), ca * k + cb] = 1.0
    estimate = float(kappa_from_confusion(cells.sum(axis=0).reshape(k, k), w))
    stats = np.concatenate(
        [
            kappa_from_confusion((draws @ cells).reshape(-1, k, k), w)
            for draws in multinomial_weights(as_rng(rng), len(ca), n_resamples)
        ]
    )
    low, high = percentile_interval(stats, confidence)
    name = "cohens_kappa" + (f" ({weights})" if weights else "")
    return ConfidenceInterval(
        statistic=name,
        estimate=estimate,
        low=low,
        high=high,
        confidence=confidence,
        n_resamples=n_resamples,
        n_valid=int(np.isfinite(stats).sum()),
        method="percentile item bootstrap",
    )


def _coded_pair(
    a: Sequence[Any] | np.ndarray | pd.Series,
    b: Sequence[Any] | np.ndarray | pd.Series,
    *,
    weights: Weights,
    labels: Sequence[Any] | None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate two annotators' labels of the same items and code them in one category order."""
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
                f"cohens_kappa: {name} holds {len(bad)} missing label(s) (NaN) at "
                f"{format_rows(bad, noun='position')}; keep only the items both annotators labeled."
            )
    order = check_value_order(labels)
    cats = order if order is not None else sorted_categories(pd.concat([sa, sb]))
    opt = "labels"
    ca = code_labels(sa, cats, table="a", column="label", option=opt)
    cb = code_labels(sb, cats, table="b", column="label", option=opt)
    return ca, cb, len(cats)


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


def _fleiss_contributions(
    annotations: pd.DataFrame,
    *,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> ItemContributions:
    """Per item: ``P_i``, 1 (the item count) and the label counts; Fleiss' kappa from their sums."""
    coded = code_annotations(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    p_i, cnt = _fleiss_parts(coded.counts().astype(float))
    return ItemContributions(
        parts=np.column_stack([p_i, np.ones(len(p_i)), cnt]),
        combine=lambda s: _fleiss_from_sums(s[:, 0], s[:, 1], s[:, 2:]),
    )


@with_item_contributions(_fleiss_contributions)
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
    coded = code_annotations(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
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


def _metric_values(coded: Coded, level: str, value_order: Sequence[Any] | None) -> np.ndarray:
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


def _coincidence(coded: Coded) -> tuple[np.ndarray, int]:
    """Coincidence matrix and the number of pairable units (rated at least twice)."""
    k = coded.n_categories
    m = np.bincount(coded.item, minlength=coded.n_items).astype(float)
    weight = np.zeros_like(m)
    np.divide(1.0, m - 1.0, out=weight, where=m >= 2)
    counts = np.bincount(coded.item * k + coded.label, minlength=coded.n_items * k)
    counts = counts.reshape(coded.n_items, k).astype(float)
    scaled = counts * weight[:, None]
    return scaled.T @ counts - np.diag(scaled.sum(axis=0)), int((m >= 2).sum())


def _level_values(coded: Coded, level: str, value_order: Sequence[Any] | None) -> np.ndarray:
    """Category values for the distance metric: numbers for interval/ratio, positions otherwise."""
    if level in ("interval", "ratio"):
        return _metric_values(coded, level, value_order)
    return np.arange(coded.n_categories, dtype=float)


def _alpha_contributions(
    annotations: pd.DataFrame,
    *,
    level: Level = "nominal",
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> ItemContributions:
    """Per item: its share of the coincidence matrix (flattened); alpha from their sum."""
    coded = code_annotations(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    values = _level_values(coded, level, value_order)
    counts = coded.counts().astype(float)
    m = counts.sum(axis=1)
    k = coded.n_categories
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(m >= 2, 1.0 / (m - 1.0), 0.0)
    contrib = (counts[:, :, None] * counts[:, None, :]) - counts[:, :, None] * np.eye(k)
    contrib = (contrib * scale[:, None, None]).reshape(len(m), k * k)
    return ItemContributions(
        parts=contrib, combine=lambda s: alpha_from_coincidence(s.reshape(-1, k, k), level, values)
    )


@with_item_contributions(_alpha_contributions)
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
    coded = code_annotations(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    values = _level_values(coded, level, value_order)
    coincidence, n_pairable = _coincidence(coded)
    if n_pairable == 0:
        raise WorkbenchError(
            "krippendorff_alpha: no item is rated by two or more annotators, so there is no "
            f"pair of ratings to compare ({coded.n_items} items, each rated once). Check the "
            f"'{item}' and '{annotator}' columns."
        )
    return float(alpha_from_coincidence(coincidence, level, values))


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
    coded = code_annotations(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    k, n_ann = coded.n_categories, len(coded.annotators)
    col = coded.annotator * k + coded.label
    x = sparse.csr_matrix(
        (np.ones(len(col)), (coded.item, col)), shape=(coded.n_items, n_ann * k)
    )
    joint = (x.T @ x).toarray().reshape(n_ann, k, n_ann, k).transpose(0, 2, 1, 3)
    overlap = joint.sum(axis=(-2, -1))
    kappa = kappa_from_confusion(joint, disagreement_weights(k, weights))
    kappa = np.where(overlap >= min_overlap, kappa, np.nan)
    np.fill_diagonal(kappa, 1.0)
    names = coded.annotators
    out = pd.DataFrame(kappa, index=names, columns=pd.Index(names, name=None))
    out.attrs["overlap"] = pd.DataFrame(overlap.astype(int), index=names, columns=list(names))
    return out


def _reference_codes(coded: Coded, gold_per_item: np.ndarray | None) -> np.ndarray:
    """Reference label per annotation: gold, or the leave-one-out consensus (-1: none)."""
    if gold_per_item is not None:
        return gold_per_item[coded.item]
    return loo_consensus(coded.item, coded.label, coded.counts())


def _resolve_prepare(
    annotations: pd.DataFrame,
    reference: pd.DataFrame | None,
    *,
    item: str,
    annotator: str,
    label: str,
    value_order: Sequence[Any] | None,
    allow_new_gold_labels: bool = False,
) -> tuple[Coded, np.ndarray]:
    extra = None
    if reference is not None:
        extra = new_gold_labels(reference, label=label, value_order=value_order, allow=allow_new_gold_labels)
    coded = code_annotations(
        annotations,
        item=item,
        annotator=annotator,
        label=label,
        value_order=value_order,
        extra_labels=extra,
    )
    gold = None if reference is None else gold_codes(
        reference, coded, item=item, label=label, value_order=value_order is not None
    )
    return coded, _reference_codes(coded, gold)


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
    kappa = kappa_from_confusion(conf, disagreement_weights(k, weights))
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
        Long table, one row per (annotator, reference label, given label) with ``count``,
        ``n_reference`` (the annotator's judgments of items whose reference is that label)
        and ``rate`` (``count / n_reference``, rows sum to 1; NaN where ``n_reference`` is 0).

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
    n_ref = np.broadcast_to(conf.sum(axis=2, keepdims=True), conf.shape)
    return pd.DataFrame({"count": conf.ravel(), "n_reference": n_ref.ravel(), "rate": rate.ravel()},
                        index=idx).reset_index()


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
    coded = code_annotations(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
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
    n_units: int | None = None

    @property
    def estimable(self) -> bool:
        """Whether an interval was computed (enough items, and defined resamples)."""
        return bool(np.isfinite(self.low) and np.isfinite(self.high))

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
        if not self.estimable:
            units = f"{self.n_units:,} unit(s)" if self.n_units is not None else "these data"
            return (
                f"{self.statistic} = {self.estimate:.3f}; its {self.confidence:.0%} interval is not "
                f"estimable from {units} ({self.method})."
            )
        return (
            f"{self.statistic} = {self.estimate:.3f}, {self.confidence:.0%} CI "
            f"[{self.low:.3f}, {self.high:.3f}] ({self.method}, {self.n_valid:,} of "
            f"{self.n_resamples:,} resamples defined)."
        )


def _statistic_spec(statistic: Callable[..., float]) -> tuple[Callable[..., float], dict[str, Any]]:
    if isinstance(statistic, functools.partial):
        if statistic.args:
            return statistic, {}
        inner, kw = _statistic_spec(statistic.func)
        return inner, {**kw, **statistic.keywords}
    return statistic, {}


def _cluster_resamples(
    statistic: Callable[..., float],
    frame: pd.DataFrame,
    *,
    by: str,
    item_col: str,
    annotator_col: str,
    n_resamples: int,
    gen: np.random.Generator,
    kwargs: dict[str, Any],
) -> np.ndarray:
    """The statistic recomputed on ``n_resamples`` cluster-resampled tables (nan where undefined)."""
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
        if by not in (item_col, annotator_col) and item_col in sample.columns:
            sample[item_col] = sample[item_col].astype(str) + "#" + np.repeat(
                np.arange(len(drawn)), sizes[drawn]
            ).astype(str)
        try:
            stats[b] = float(statistic(sample, **kwargs))
        except WorkbenchError:
            stats[b] = np.nan
    return stats


def bootstrap_ci(
    statistic: Callable[..., float],
    annotations: pd.DataFrame,
    *,
    n_resamples: int = 1000,
    by: str = "item_id",
    confidence: float = 0.95,
    rng: int | np.random.Generator | None = None,
    min_units: int = 10,
    **kwargs: Any,
) -> ConfidenceInterval:
    """Bootstrap confidence interval of an agreement statistic, resampling items as clusters.

    Parameters
    ----------
    statistic
        A function ``f(annotations, **kwargs) -> float``, e.g. :func:`krippendorff_alpha`,
        :func:`fleiss_kappa` or ``functools.partial(krippendorff_alpha, level="ordinal")``.
        A statistic that carries per-item contributions (see
        :func:`with_item_contributions`; alpha and Fleiss' kappa do) is evaluated on all
        resamples at once as weighted sums over items (fast) when resampling by its item
        column; any other function is called on each resampled table.
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
    min_units
        Fewest clusters (items) from which an interval is computed. Below it the interval is
        reported as not estimable (``low``/``high`` NaN, ``estimable`` false): resampling one
        item gives a zero-width interval that looks certain and means nothing.
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
    confidence = check_confidence(confidence)
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
    n_units = int(frame[by].nunique())
    if n_units < min_units:
        return ConfidenceInterval(
            statistic=name, estimate=estimate, low=float("nan"), high=float("nan"), confidence=confidence,
            n_resamples=n_resamples, n_valid=0, n_units=n_units,
            method=f"not estimable: {n_units:,} {by} value(s), fewer than min_units={min_units}",
        )
    item_col = kw.get("item", "item_id")
    contributions = getattr(func, "item_contributions", None)
    if contributions is not None and by == item_col:
        per_item: ItemContributions = contributions(frame, **kw)
        stats = np.concatenate(
            [per_item.combine(w @ per_item.parts) for w in multinomial_weights(gen, len(per_item.parts), n_resamples)]
        )
    else:
        stats = _cluster_resamples(
            statistic, frame, by=by, item_col=item_col, annotator_col=kw.get("annotator", "annotator_id"),
            n_resamples=n_resamples, gen=gen, kwargs=kwargs,
        )
    low, high = percentile_interval(stats, confidence)
    return ConfidenceInterval(
        statistic=name,
        estimate=estimate,
        low=float(low),
        high=float(high),
        confidence=confidence,
        n_resamples=n_resamples,
        n_valid=int(np.isfinite(stats).sum()),
        n_units=n_units,
    )


@dataclass(frozen=True)
class ReliabilityTable:
    """Agreement coefficients of one or two tables, each with its bootstrap interval."""

    rows: tuple[tuple[str, str, ConfidenceInterval], ...]
    """(table, statistic label, interval) per row, in order."""

    def interval(self, table: str = "annotations", statistic: str = "krippendorff_alpha") -> ConfidenceInterval:
        """The interval of ``statistic`` (function name) on ``table``."""
        for t, _, ci in self.rows:
            if t == table and ci.statistic.split(" ")[0] == statistic:
                return ci
        raise WorkbenchError(
            f"no {statistic} for table {table!r}; the table has "
            f"{[(t, ci.statistic) for t, _, ci in self.rows]!r}."
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: table, label ("table: statistic"), estimate, ci_low, ci_high, band."""
        return pd.DataFrame(
            [
                {
                    "table": t,
                    "label": f"{t}: {lab}",
                    "estimate": ci.estimate,
                    "ci_low": ci.low,
                    "ci_high": ci.high,
                    "band": interpret(
                        ci.estimate, scale="krippendorff" if ci.statistic.startswith("krippendorff") else "landis_koch"
                    ),
                }
                for t, lab, ci in self.rows
            ]
        )

    def summary(self) -> str:
        """One sentence per coefficient."""
        return " ".join(f"{t}: {ci.summary()}" for t, _, ci in self.rows)


def reliability_table(
    annotations: pd.DataFrame | None,
    *,
    preferences: pd.DataFrame | None = None,
    level: Level = "nominal",
    value_order: Sequence[Any] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    rng: int | np.random.Generator | None = None,
) -> ReliabilityTable:
    """Krippendorff's alpha (and Fleiss' kappa where it applies) with bootstrap CIs, per table.

    Parameters
    ----------
    annotations
        Long table (``item_id``, ``annotator_id``, ``label``), or ``None`` to leave it out.
    preferences
        Optional preferences table (``pair_id``, ``annotator_id``, ``choice``); its pairs are
        the items and its choices the (nominal) labels.
    level, value_order
        Krippendorff level and category order of the annotations.
    n_resamples, confidence
        Of every interval (:func:`bootstrap_ci`, items resampled).
    rng
        An int seeds every interval alike (each is reproducible on its own); a Generator is
        drawn from in turn.

    Returns
    -------
    ReliabilityTable
        Rows: annotations alpha; annotations Fleiss' kappa when every item has the same
        number (>= 2) of ratings; the same two for the preferences.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": np.repeat(np.arange(30), 2), "annotator_id": ["u", "v"] * 30,
    ...                    "label": np.repeat(np.arange(30) % 3, 2)})
    >>> reliability_table(df, n_resamples=50, rng=0).to_frame()[["label", "estimate"]].round(3).values.tolist()
    [["annotations: Krippendorff's alpha (nominal)", 1.0], ["annotations: Fleiss' kappa", 1.0]]
    """
    gen: int | np.random.Generator | None = rng if isinstance(rng, (int, np.integer)) else as_rng(rng)
    boot: dict[str, Any] = {"n_resamples": n_resamples, "confidence": confidence, "rng": gen}
    rows: list[tuple[str, str, ConfidenceInterval]] = []
    tables: list[tuple[str, pd.DataFrame, dict[str, Any], str]] = []
    if annotations is not None:
        tables.append(("annotations", annotations, {"value_order": value_order}, level))
    if preferences is not None:
        tables.append(("preferences", preferences, {"item": "pair_id", "label": "choice"}, "nominal"))
    for name, frame, cols, lev in tables:
        by = cols.get("item", "item_id")
        alpha = functools.partial(krippendorff_alpha, level=lev, **cols)
        rows.append((name, f"Krippendorff's alpha ({lev})", bootstrap_ci(alpha, frame, by=by, **boot)))
        if lev in ("interval", "ratio"):  # Fleiss' kappa treats each number as a class: not for ratings
            continue
        ratings = item_disagreement(frame, **cols)["n_ratings"]
        if ratings.nunique() == 1 and ratings.iloc[0] >= 2:
            fleiss = functools.partial(fleiss_kappa, **cols)
            rows.append((name, "Fleiss' kappa", bootstrap_ci(fleiss, frame, by=by, **boot)))
    return ReliabilityTable(rows=tuple(rows))


# ---- numeric ratings (interval / ratio levels; issue 27) ---------------------------------------


def numeric_labels(frame: pd.DataFrame, *, label: str = "label", table: str = "annotations",
                   level: str = "interval") -> pd.Series:
    """``frame[label]`` as numbers; a label that is no number is an error naming its rows."""
    values = pd.to_numeric(frame[label], errors="coerce")
    bad = values.isna() & frame[label].notna()
    if bad.any():
        from workbench.errors import parameter

        shown = ", ".join(repr(str(v)) for v in pd.unique(frame[label][bad])[:5])
        raise WorkbenchError(
            f"table '{table}', column '{label}': {int(bad.sum())} label(s) are not numbers ({shown} at "
            f"{format_rows(frame.index[bad])}), but {parameter('level', repr(level))} compares numbers. "
            f"Use {parameter('level', repr('nominal'))} (or 'ordinal') for categories."
        )
    return values.astype(float)


def numeric_bias(
    annotations: pd.DataFrame,
    *,
    reference: pd.DataFrame | None = None,
    confidence: float = 0.95,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
) -> pd.DataFrame:
    """Bland–Altman-style bias of each annotator's numeric ratings against a reference.

    The reference is the gold value of the item (``reference``: ``item_id, label``, numbers;
    an expert mean that no annotator gave is fine) or, without gold, the mean of the other
    annotators' ratings of the item (leave-one-out). Per annotator: ``n`` (ratings compared),
    ``bias`` (mean of rating − reference) with its t interval ``bias_low``/``bias_high``,
    ``sd`` of the differences, the limits of agreement ``loa_low``/``loa_high``
    (bias ∓ z·sd, z the normal quantile of ``confidence``: where that share of an
    annotator's differences fall), ``mad`` (mean absolute difference) and ``reference``.

    Bland, J. M. & Altman, D. G. (1986). Statistical methods for assessing agreement between
    two methods of clinical measurement. The Lancet 327(8476), 307–310.

    >>> ann = pd.DataFrame({"item_id": ["a", "a", "b", "b"], "annotator_id": ["x", "y", "x", "y"],
    ...                     "label": [1.0, 3.0, 2.0, 4.0]})
    >>> numeric_bias(ann)[["n", "bias", "mad"]].to_dict("index")
    {'x': {'n': 2, 'bias': -2.0, 'mad': 2.0}, 'y': {'n': 2, 'bias': 2.0, 'mad': 2.0}}
    """
    from scipy import stats as _stats

    check_confidence(confidence)
    ann = annotations[[item, annotator, label]].copy()
    ann["_v"] = numeric_labels(ann, label=label)
    ann = ann.dropna(subset=["_v"])
    if reference is not None:
        gold = reference.assign(_g=numeric_labels(reference, label="label", table="gold"))
        ref = ann[item].map(gold.drop_duplicates("item_id").set_index("item_id")["_g"])
        name = "gold"
    else:
        grp = ann.groupby(item)["_v"]
        total, count = grp.transform("sum"), grp.transform("size")
        ref = ((total - ann["_v"]) / (count - 1)).where(count > 1)
        name = "mean of the others"
    ann["_d"] = ann["_v"] - ref
    d = ann.dropna(subset=["_d"]).groupby(annotator)["_d"]
    out = pd.DataFrame({"n": d.size(), "bias": d.mean(), "sd": d.std(ddof=1), "mad": d.apply(lambda x: x.abs().mean())})
    se = out["sd"] / np.sqrt(out["n"])
    t = _stats.t.ppf(0.5 + confidence / 2, np.maximum(out["n"] - 1, 1))
    out["bias_low"], out["bias_high"] = out["bias"] - t * se, out["bias"] + t * se
    z = float(_stats.norm.ppf(0.5 + confidence / 2))
    out["loa_low"], out["loa_high"] = out["bias"] - z * out["sd"], out["bias"] + z * out["sd"]
    out["reference"] = name
    out.index.name = annotator
    out["n"] = out["n"].astype(int)
    return out[["n", "bias", "bias_low", "bias_high", "sd", "loa_low", "loa_high", "mad", "reference"]]
