"""The segment-error search shared by batch acceptance and drift root causes (issue 26).

Both :func:`workbench.acceptance.check_batch` (systematic errors: one confusion cell of a
segment against the rest) and :func:`workbench.drift.segment_errors` (root causes: a
segment's error rate against the rest) search segments — values of one column or of a
combination of columns — for an excess of errors. They share, from here:

* :func:`segment_combinations` — which column combinations are segments;
* :func:`excess_p_values` — the one-sided Fisher exact test of an excess (the hypergeometric
  tail of the segment's errors given the segment and the rest);
* :func:`adjust` — the multiple-testing correction over every segment tested, with one
  option, ``correction``, and one documented default, :data:`DEFAULT_CORRECTION`.

The default is ``"holm"``: Holm's step-down procedure controls the family-wise error rate,
the chance of even one false segment among all tested. Both callers turn a significant
segment into a claim someone acts on (a batch is rejected, a cohort is retrained), and the
drift report's change-point alerts use Holm too, so one report does not mix two error
rates. ``"fdr_bh"`` (Benjamini–Hochberg, the false discovery rate) is the alternative for
exploratory ranking of many segments: more power, at the price of an expected share of false
segments among the flagged ones.

Examples
--------
>>> segment_combinations(["cohort", "category", "period"], max_depth=2)
[('cohort',), ('category',), ('period',), ('cohort', 'category'), ('cohort', 'period'), ('category', 'period')]
>>> [round(float(p), 4) for p in adjust([0.01, 0.02, 0.04])]
[0.03, 0.04, 0.04]
>>> [round(float(p), 4) for p in adjust([0.01, 0.02, 0.04], correction="fdr_bh")]
[0.03, 0.03, 0.04]
>>> p = float(excess_p_values(8, 10, 10, 90))  # 8 of 10 errors in the segment, 10 of 90 in the rest
>>> round(p, 8), bool(np.isclose(p, stats.fisher_exact([[8, 2], [10, 80]], alternative="greater")[1]))
(8.63e-06, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from workbench.errors import WorkbenchError

__all__ = ["CORRECTIONS", "DEFAULT_CORRECTION", "Correction", "adjust", "echoes_parent", "excess_p_values",
           "segment_combinations"]

Correction = Literal["holm", "fdr_bh"]
CORRECTIONS: tuple[str, ...] = get_args(Correction)
#: The multiple-testing correction of every segment search (see the module docstring for why).
DEFAULT_CORRECTION: Correction = "holm"


def check_correction(correction: object) -> Correction:
    """``correction`` when it is one of :data:`CORRECTIONS`, else a :class:`WorkbenchError`."""
    if correction not in CORRECTIONS:
        raise WorkbenchError(f"correction={correction!r} is not one of {', '.join(CORRECTIONS)} "
                             f"(default {DEFAULT_CORRECTION!r}).")
    return correction  # type: ignore[return-value]


def adjust(p_values: Sequence[float] | np.ndarray, correction: Correction = DEFAULT_CORRECTION) -> np.ndarray:
    """p-values adjusted over all segments tested (``"holm"``: family-wise; ``"fdr_bh"``: false discovery rate)."""
    check_correction(correction)
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p.copy()
    return np.asarray(multipletests(p, method=correction)[1], dtype=float)


def excess_p_values(errors: object, n: object, errors_rest: object, n_rest: object, *, log: bool = False) -> np.ndarray:
    """One-sided Fisher exact test that a segment has more errors than the rest (vectorized).

    ``P(X >= errors)``, ``X ~ Hypergeom(n + n_rest, errors + errors_rest, n)``: equal to
    ``scipy.stats.fisher_exact([[e, n - e], [e_r, n_r - e_r]], alternative="greater")``.
    ``log=True`` gives the natural log of the p-value (exact far below the float range).
    """
    e, nn = np.asarray(errors, dtype=float), np.asarray(n, dtype=float)
    total = nn + np.asarray(n_rest, dtype=float)
    bad = e + np.asarray(errors_rest, dtype=float)
    if log:
        return np.asarray(stats.hypergeom.logsf(e - 1, total, np.round(bad), nn))
    return np.asarray(stats.hypergeom.sf(e - 1, total, bad, nn))


def segment_combinations(columns: Sequence[str], max_depth: int) -> list[tuple[str, ...]]:
    """Every combination of 1 to ``max_depth`` of ``columns``, singles first (each a segment kind)."""
    if max_depth < 1:
        raise WorkbenchError(f"max_depth={max_depth!r} must be at least 1.")
    cols = list(columns)
    return [combo for depth in range(1, min(max_depth, len(cols)) + 1) for combo in combinations(cols, depth)]


def echoes_parent(counts: dict[tuple[str, ...], pd.DataFrame], n_column: str = "n") -> dict[tuple[str, ...], np.ndarray]:
    """Which segments hold exactly the rows of a segment with one column fewer (issue 27).

    ``counts`` maps each column combination to its segments: the combination's columns and
    ``n_column`` (rows in the segment). A segment ``annotator_id=X, period=P`` where X worked
    only in period P has the same rows as ``annotator_id=X``: the same finding, said twice.
    A child's rows are a subset of each parent's, so equal counts mean equal rows; checking
    the parents one column shorter is enough (equality to a grandparent implies it for the
    parent between them). Returns, per combination, a boolean mask of its rows to drop.

    >>> one = pd.DataFrame({"a": ["x", "y"], "n": [5, 7]})
    >>> two = pd.DataFrame({"a": ["x", "y", "y"], "b": ["p", "p", "q"], "n": [5, 3, 4]})
    >>> echoes_parent({("a",): one, ("a", "b"): two})[("a", "b")].tolist()
    [True, False, False]
    """
    out: dict[tuple[str, ...], np.ndarray] = {}
    for combo, frame in counts.items():
        drop = np.zeros(len(frame), dtype=bool)
        if len(combo) > 1:
            for skip in combo:
                parent = tuple(c for c in combo if c != skip)
                if parent not in counts:
                    continue
                p = counts[parent][[*parent, n_column]].rename(columns={n_column: "_parent_n"})
                joined = frame[list(combo) + [n_column]].merge(p, on=list(parent), how="left")
                drop |= (joined["_parent_n"].to_numpy() == joined[n_column].to_numpy())
        out[combo] = drop
    return out
