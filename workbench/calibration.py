"""Thresholds fitted to human decisions: the feedback loop from spot checks to filters.

For one automatic metric (perplexity, CLIP score...), :func:`calibrate` treats "the metric
crosses threshold t" as a classifier of the items reviewers flagged, computes its precision
and recall at every threshold, picks the threshold that best matches the reviewers (F-beta
or a cost ratio), and bootstraps items for a confidence interval. The result writes the
rules file that ``workbench.scoring.decide`` reads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from workbench._internal.stats import check_confidence, multinomial_weights, percentile_interval
from workbench._validation import (
    as_rng,
    check_choice,
    require_columns,
    require_frame,
    require_nonempty,
    require_numeric,
)
from workbench.errors import WorkbenchError
from workbench.scoring.composite import Rule

__all__ = ["CalibrationResult", "calibrate", "human_flags", "save_calibrated_rules"]

Target = Literal["f1", "fbeta", "cost"]
Direction = Literal["max", "min"]

#: Metrics whose direction is known: "max" = high values are bad, "min" = low values are bad.
KNOWN_DIRECTIONS: dict[str, Direction] = {"perplexity": "max", "clip_score": "min"}


@dataclass(frozen=True)
class CalibrationResult:
    """A threshold for one metric fitted to reviewers' decisions.

    ``curve`` holds precision, recall, F-beta and cost at every candidate threshold;
    ``threshold`` is the best one and ``ci_low``/``ci_high`` its bootstrap interval.
    """

    metric: str
    direction: Direction
    target: Target
    beta: float
    threshold: float
    ci_low: float
    ci_high: float
    precision: float
    recall: float
    fbeta: float
    precision_ci: tuple[float, float]
    recall_ci: tuple[float, float]
    n_items: int
    n_flagged_by_humans: int
    confidence: float
    curve: pd.DataFrame = field(repr=False)
    bootstrap_thresholds: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row: metric, direction, threshold, CI, precision, recall, F-beta, counts."""
        return pd.DataFrame(
            [
                {
                    "metric": self.metric,
                    "direction": self.direction,
                    "threshold": self.threshold,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "precision": self.precision,
                    "recall": self.recall,
                    "fbeta": self.fbeta,
                    "n_items": self.n_items,
                    "n_flagged_by_humans": self.n_flagged_by_humans,
                }
            ]
        )

    def summary(self) -> str:
        op = ">" if self.direction == "max" else "<"
        goal = {"f1": "F1", "fbeta": f"F{self.beta:g}", "cost": "the cost ratio"}[self.target]
        return (
            f"{self.metric}: flag items with {self.metric} {op} {self.threshold:,.4g} "
            f"({self.confidence:.0%} CI {self.ci_low:,.4g} to {self.ci_high:,.4g}), chosen by "
            f"{goal} against {self.n_items} reviewed items ({self.n_flagged_by_humans} flagged by "
            f"reviewers): precision {self.precision:.2f} "
            f"(CI {self.precision_ci[0]:.2f}-{self.precision_ci[1]:.2f}), recall "
            f"{self.recall:.2f} (CI {self.recall_ci[0]:.2f}-{self.recall_ci[1]:.2f})."
        )

    def rule(self, *, action: Literal["drop", "review"] = "drop", review_margin: float = 0.0) -> Rule:
        """This threshold as a ``workbench.scoring`` decision rule."""
        return _make_rule(self.metric, self.direction, self.threshold, action, review_margin)

    def save_rules(self, path: str | os.PathLike[str], *, action: Literal["drop", "review"] = "drop") -> Path:
        """Write (or update) the rules file with this metric's rule; see :func:`save_calibrated_rules`."""
        return save_calibrated_rules([self], path, action=action)


def _make_rule(metric: str, direction: str, threshold: float, action: str, margin: float) -> Rule:
    return Rule(metric=metric, direction=direction, threshold=float(threshold), action=action, review_margin=margin)  # type: ignore[arg-type]


def save_calibrated_rules(
    results: Sequence[CalibrationResult],
    path: str | os.PathLike[str],
    *,
    action: Literal["drop", "review"] = "drop",
    review_margin: float = 0.0,
    merge: bool = True,
) -> Path:
    """Write the calibrated thresholds as the rules file ``scoring.decide`` reads.

    With ``merge`` an existing file keeps its rules for other metrics; a rule for a
    calibrated metric is replaced. Written with ``workbench.scoring.save_rules``.
    """
    from workbench.scoring.composite import load_rules, save_rules

    check_choice(action, name="action", choices=("drop", "review"))
    p = Path(path)
    metrics = {r.metric for r in results}
    new = [r.rule(action=action, review_margin=review_margin) for r in results]
    old = load_rules(p) if merge and p.exists() else []
    rules = [r for r in old if getattr(r, "metric", None) not in metrics] + new
    save_rules(rules, p)
    return p


def human_flags(
    decisions: pd.DataFrame,
    *,
    keep: Sequence[str] = ("Acceptable",),
    item: str = "item_id",
    decision: str = "decision",
) -> pd.Series:
    """Per item: did the reviewers flag it? (majority of its reviewers chose outside ``keep``).

    Ties count as flagged: an item one of two reviewers found bad deserves the filter.

    Examples
    --------
    >>> d = pd.DataFrame({"item_id": ["x", "x", "y"], "decision": ["Acceptable", "Unsafe", "Acceptable"]})
    >>> human_flags(d).to_dict()
    {'x': True, 'y': False}
    """
    require_frame(decisions, table="decisions")
    require_columns(decisions, [item, decision], table="decisions", option_names=["item", "decision"])
    require_nonempty(decisions, table="decisions")
    bad = ~decisions[decision].astype(str).isin([str(k) for k in keep])
    share = bad.groupby(decisions[item].astype(str)).mean()
    return (share >= 0.5).rename("flagged")


def _curve(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by score (descending) and find the cut points between distinct values.

    Returns the sorted scores, sorted labels and ``ends``: flagging the top ``k`` items for
    ``k`` in ``ends`` (0 and every group end) are the achievable filters.
    """
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    change = np.flatnonzero(np.diff(s) != 0) + 1
    ends = np.concatenate([[0], change, [len(s)]])
    return s, y, ends


def _scores_at(tp: np.ndarray, n_flag: np.ndarray, n_pos: np.ndarray, n_all: np.ndarray, beta: float,
               cost_fp: float, cost_fn: float) -> dict[str, np.ndarray]:
    fp = n_flag - tp
    fn = n_pos - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(n_flag > 0, tp / np.maximum(n_flag, 1), np.nan)
        recall = np.where(n_pos > 0, tp / np.maximum(n_pos, 1), np.nan)
        b2 = beta * beta
        denom = b2 * np.nan_to_num(precision) + np.nan_to_num(recall)
        fb = np.where(denom > 0, (1 + b2) * np.nan_to_num(precision) * np.nan_to_num(recall) / np.where(denom > 0, denom, 1), 0.0)
    cost = (cost_fp * fp + cost_fn * fn) / np.maximum(n_all, 1)
    return {"precision": precision, "recall": recall, "fbeta": fb, "cost": cost, "fp": fp, "fn": fn}


def calibrate(
    scores: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    metric: str,
    direction: Direction | None = None,
    target: Target = "f1",
    beta: float = 1.0,
    cost_fp: float = 1.0,
    cost_fn: float = 1.0,
    keep: Sequence[str] = ("Acceptable",),
    item: str = "item_id",
    decisions_item: str = "item_id",
    decision: str = "decision",
    n_resamples: int = 1000,
    confidence: float = 0.95,
    min_per_side: int = 20,
    rng: int | np.random.Generator | None = None,
) -> CalibrationResult:
    """Fit the threshold of one metric's automatic filter to reviewers' decisions.

    Parameters
    ----------
    scores
        One row per item: ``item`` and the ``metric`` column.
    decisions
        Reviewers' decisions (``ReviewStore.decisions()``, items in ``decisions_item``); an
        item counts as flagged when most of its reviewers chose a decision outside ``keep``
        (see :func:`human_flags`).
    metric
        The score column to calibrate.
    direction
        ``"max"``: values above the threshold are flagged (perplexity); ``"min"``: below
        (CLIP score). ``None``: known metrics use their direction, others the one in which
        the metric ranks flagged items higher (ROC AUC above 0.5).
    target
        ``"f1"``/``"fbeta"``: maximise F-beta of the filter against the reviewers (``beta``
        > 1 favours recall); ``"cost"``: minimise ``cost_fp * FP + cost_fn * FN``.
    n_resamples, confidence, rng
        Bootstrap over items: the threshold is refitted on each resample; the interval is
        the percentile interval of those thresholds.
    min_per_side
        Refuse to fit (so no rule can be written) until reviewers have flagged at least this
        many scored items and kept at least this many: a threshold from a handful of
        decisions is noise (three decisions once gave "drop everything"). The error says
        how many more decisions of each side are needed.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    WorkbenchError
        Missing columns, no reviewed item with a score, reviewers flagged none or all items,
        fewer than ``min_per_side`` flagged or kept items.

    Notes
    -----
    Candidate thresholds lie halfway between consecutive distinct scores, so every
    achievable filter is considered once. A filter "flag the top k" has precision
    ``TP_k / k``, recall ``TP_k / P`` and ``F_beta = (1 + b^2) P R / (b^2 P + R)``. The
    bootstrap reweights items with multinomial counts and recomputes all curves at once
    (vectorised cumulative sums). Because the threshold is only identified up to the gap
    between the two observed scores around it, the interval always covers that gap.

    Examples
    --------
    >>> scores = pd.DataFrame({"item_id": list("abcdef"), "perplexity": [10, 20, 30, 400, 500, 600]})
    >>> decisions = pd.DataFrame({"item_id": list("abcdef"),
    ...     "decision": ["Acceptable"] * 3 + ["Poor quality"] * 3})
    >>> res = calibrate(scores, decisions, metric="perplexity", n_resamples=200, min_per_side=3, rng=0)
    >>> res.threshold, res.precision, res.recall
    (215.0, 1.0, 1.0)
    """
    require_frame(scores, table="scores")
    require_columns(scores, [item, metric], table="scores", option_names=["item", "metric"])
    require_numeric(scores, metric, table="scores")
    check_choice(target, name="target", choices=("f1", "fbeta", "cost"))
    if direction is not None:
        check_choice(direction, name="direction", choices=("max", "min"))
    confidence = check_confidence(confidence)
    if n_resamples < 1:
        raise WorkbenchError(f"n_resamples={n_resamples} must be at least 1.")
    if beta <= 0 or cost_fp < 0 or cost_fn < 0:
        raise WorkbenchError(f"beta={beta} must be positive and costs not negative.")
    if min_per_side < 1:
        raise WorkbenchError(f"min_per_side={min_per_side} must be at least 1 decision per side.")
    if target == "f1":
        beta = 1.0
    flags = human_flags(decisions, keep=keep, item=decisions_item, decision=decision)
    sc = scores[[item, metric]].assign(**{item: scores[item].astype(str)}).drop_duplicates(item)
    sc = sc.assign(**{metric: pd.to_numeric(sc[metric], errors="coerce")}).dropna(subset=[metric])
    joined = sc.merge(flags.rename_axis(item).reset_index(), on=item, how="inner")
    if len(joined) == 0:
        raise WorkbenchError(
            f"calibrate: no reviewed item has a '{metric}' score; the decisions' item ids "
            f"(e.g. {', '.join(flags.index[:3])}) must match the scores' '{item}' column."
        )
    y = joined["flagged"].to_numpy(dtype=bool)
    if y.all() or not y.any():
        which = "every" if y.all() else "no"
        raise WorkbenchError(
            f"calibrate: reviewers flagged {which} one of the {len(y)} reviewed items, so no "
            "threshold can be fitted; review items on both sides (e.g. a triage queue with "
            "explore_share > 0)."
        )
    n_flagged, n_kept = int(y.sum()), int((~y).sum())
    if min(n_flagged, n_kept) < min_per_side:
        more = [f"{min_per_side - n} more {side}" for n, side in ((n_flagged, "flagged"), (n_kept, "kept"))
                if n < min_per_side]
        raise WorkbenchError(
            f"calibrate: {metric}: reviewers flagged {n_flagged} and kept {n_kept} of the {len(y)} "
            f"reviewed items with a score; fitting a threshold needs at least {min_per_side} of "
            f"each (min_per_side). Review {' and '.join(more)} item(s) first; no rule is written "
            "from fewer."
        )
    values = joined[metric].to_numpy(dtype=float)
    if direction is None:
        direction = KNOWN_DIRECTIONS.get(metric)
        if direction is None:
            from sklearn.metrics import roc_auc_score

            direction = "max" if roc_auc_score(y, values) >= 0.5 else "min"
    sign = 1.0 if direction == "max" else -1.0
    s, ys, ends = _curve(sign * values, y.astype(float))
    n = len(s)
    # threshold for "flag the top k": halfway between the k-th and (k+1)-th sorted scores
    upper = np.concatenate([[s[0]], s[ends[1:] - 1]])  # lowest flagged value (k>0)
    lower = np.concatenate([s[ends[:-1]], [s[-1]]])  # highest unflagged value (k<n)
    cut = np.where(ends == 0, s[0], np.where(ends == n, s[-1] - max(1e-12, abs(s[-1]) * 1e-9),
                                            (upper + lower) / 2))
    n_pos = ys.sum()
    ctp = np.concatenate([[0.0], np.cumsum(ys)])[ends]
    m = _scores_at(ctp, ends.astype(float), np.array(n_pos), np.array(float(n)), beta, cost_fp, cost_fn)
    objective = -m["cost"] if target == "cost" else m["fbeta"]
    best = int(np.argmax(objective))

    gen = as_rng(rng)
    boot_k = np.empty(n_resamples, dtype=int)
    boot_p = np.empty(n_resamples)
    boot_r = np.empty(n_resamples)
    start = 0
    for w in multinomial_weights(gen, n, n_resamples, chunk_cells=2_000_000):
        b = len(w)
        cw = np.concatenate([np.zeros((b, 1)), np.cumsum(w, axis=1)], axis=1)[:, ends]
        ctp_b = np.concatenate([np.zeros((b, 1)), np.cumsum(w * ys, axis=1)], axis=1)[:, ends]
        npos_b = ctp_b[:, -1:]
        mb = _scores_at(ctp_b, cw, npos_b, cw[:, -1:], beta, cost_fp, cost_fn)
        obj = -mb["cost"] if target == "cost" else mb["fbeta"]
        boot_k[start : start + b] = np.argmax(obj, axis=1)
        boot_p[start : start + b] = mb["precision"][:, best]
        boot_r[start : start + b] = mb["recall"][:, best]
        start += b
    boot_t = cut[boot_k]
    lo, hi = percentile_interval(boot_t, confidence)
    # the threshold is identified only up to the gap around it
    lo, hi = min(lo, lower[best] if best < len(ends) - 1 else cut[best]), max(hi, upper[best])
    if sign < 0:
        lo, hi = -hi, -lo
    curve = pd.DataFrame(
        {
            "threshold": sign * cut,
            "n_flagged": ends,
            "precision": m["precision"],
            "recall": m["recall"],
            "fbeta": m["fbeta"],
            "cost": m["cost"],
        }
    )

    return CalibrationResult(
        metric=metric,
        direction=direction,
        target=target,
        beta=beta,
        threshold=float(sign * cut[best]),
        ci_low=float(lo),
        ci_high=float(hi),
        precision=float(m["precision"][best]),
        recall=float(m["recall"][best]),
        fbeta=float(m["fbeta"][best]),
        precision_ci=percentile_interval(boot_p, confidence),
        recall_ci=percentile_interval(boot_r, confidence),
        n_items=n,
        n_flagged_by_humans=int(n_pos),
        confidence=confidence,
        curve=curve,
        bootstrap_thresholds=sign * boot_t,
    )
