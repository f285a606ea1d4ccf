"""Batch acceptance: the rule QA leads apply before a labeled batch goes into training data.

A batch is accepted when (1) inter-annotator agreement meets its bar, (2) a random QA
sample of items checked against the golden set meets the accuracy bar, and (3) the
confusion against gold shows no systematic error: no segment (an annotator, a cohort, a
category, a guideline version, or a pair of them) makes one kind of mistake significantly
more often than the rest of the batch. A rejected batch comes with what to fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._internal.coding import Coded, code_annotations, gold_codes, new_gold_labels
from workbench._internal.segments import (
    DEFAULT_CORRECTION,
    Correction,
    adjust,
    check_correction,
    excess_p_values,
    segment_combinations,
)
from workbench._internal.stats import check_confidence, wilson_interval
from workbench._validation import as_rng, check_choice
from workbench.aggregation import dawid_skene, majority_vote
from workbench.agreement import bootstrap_ci, fleiss_kappa, interpret, krippendorff_alpha
from workbench.errors import WorkbenchError

__all__ = ["AcceptanceResult", "Fix", "check_batch"]

_SEGMENT_COLUMNS = ("cohort", "category", "guideline_version", "vendor")
_CORRECTION_NAMES = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg"}


@dataclass(frozen=True)
class AcceptanceResult:
    """Verdict on a batch: accepted or not, each criterion, and the systematic errors."""

    accepted: bool
    criteria: pd.DataFrame
    """One row per criterion: criterion, statistic, value, bar, ci_low, ci_high, n, status, passed.

    ``status`` is ``"met"``, ``"not met"``, ``"inconclusive"`` (the CI straddles the bar) or
    ``"insufficient evidence"`` (too few QA items); ``passed`` is ``status == "met"``."""
    violations: pd.DataFrame
    """Systematic errors: segment, value, gold label, given label, rates, p-values, examples."""
    qa_items: pd.Index
    """The items drawn for the QA sample."""

    def to_frame(self) -> pd.DataFrame:
        """The criteria table."""
        return self.criteria.copy()

    def summary(self) -> str:
        """One paragraph: the verdict, each criterion, and what to fix."""
        parts = []
        for row in self.criteria.itertuples(index=False):
            ci = "" if pd.isna(row.ci_low) else f" (CI {row.ci_low:.3f}–{row.ci_high:.3f})"
            if row.criterion == "no systematic error":
                parts.append(f"{row.criterion}: {int(row.value)} violation(s), {row.status}")
            elif row.status == "insufficient evidence":
                parts.append(
                    f"{row.criterion}: insufficient evidence, only {int(row.n)} gold item(s) in the QA "
                    f"sample (minimum {int(row.min_n)}; accuracy {row.value:.3f}{ci} not judged)"
                )
            elif row.status == "inconclusive":
                parts.append(f"{row.criterion} {row.value:.3f}{ci} vs bar {row.bar:.3f}: inconclusive (the CI straddles the bar)")
            else:
                parts.append(f"{row.criterion} {row.value:.3f}{ci} vs bar {row.bar:.3f}: {row.status}")
        verdict = "ACCEPTED" if self.accepted else "REJECTED"
        text = f"Batch {verdict}. " + "; ".join(parts) + "."
        if not self.accepted:
            text += " To fix: " + "; ".join(_fix_sentence(f) for f in self.fixes) + "."
        return text

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """What to fix, as codes with their numbers (empty when accepted); :meth:`summary` words them.

        Codes: ``clarify_guideline`` (agreement not met), ``more_multiply_rated_items``
        (agreement inconclusive), ``relabel_disagreeing_items`` (QA accuracy not met),
        ``more_gold_items`` (QA accuracy inconclusive), ``gold_label_more`` (QA sample too
        small: ``short``, ``min_n``), ``systematic_error`` (one per violation, at most three:
        ``segment``, ``value``, ``gold_label``, ``given_label``, ``rate``, ``rest_rate``,
        ``examples``).
        """
        if self.accepted:
            return ()
        out: list[Fix] = []
        c = self.criteria.set_index("criterion")
        iaa, qa = c["status"].get("inter-annotator agreement"), c["status"].get("QA sample accuracy")
        if iaa == "not met":
            out.append(Fix("clarify_guideline", {}))
        elif iaa == "inconclusive":
            out.append(Fix("more_multiply_rated_items", {}))
        if qa == "not met":
            out.append(Fix("relabel_disagreeing_items", {}))
        elif qa == "inconclusive":
            out.append(Fix("more_gold_items", {}))
        elif qa == "insufficient evidence":
            row = c.loc["QA sample accuracy"]
            out.append(Fix("gold_label_more", {"short": int(row["min_n"] - row["n"]), "min_n": int(row["min_n"])}))
        for v in self.violations.head(3).itertuples(index=False):
            out.append(Fix("systematic_error", {
                "segment": v.segment, "value": v.value, "gold_label": v.gold_label, "given_label": v.given_label,
                "rate": v.rate, "rest_rate": v.rest_rate, "examples": v.examples,
            }))
        return tuple(out)


@dataclass(frozen=True)
class Fix:
    """One thing to fix before a rejected batch can be accepted: a code and its numbers."""

    code: str
    details: Mapping[str, Any]


def _fix_sentence(f: Fix) -> str:
    d = f.details
    if f.code == "clarify_guideline":
        return "clarify the guideline on the most disputed items and re-train annotators"
    if f.code == "more_multiply_rated_items":
        return (
            "agreement is too uncertain to judge: have more items rated by two or more "
            "annotators to narrow its CI"
        )
    if f.code == "relabel_disagreeing_items":
        return "re-label the items whose aggregate disagrees with gold"
    if f.code == "more_gold_items":
        return "QA accuracy is too uncertain to judge: add gold items or raise qa_fraction to narrow its CI"
    if f.code == "gold_label_more":
        return (
            f"gold-label at least {d['short']} more item(s) of this batch so the QA sample has "
            f"{d['min_n']} (or lower min_qa_items knowingly)"
        )
    return (
        f"{d['segment']}={d['value']} labels gold '{d['gold_label']}' as '{d['given_label']}' "
        f"{d['rate']:.0%} of the time (rest {d['rest_rate']:.0%}; e.g. {d['examples']})"
    )


def _judge(value: float, low: float, high: float, bar: float) -> str:
    """Status of a criterion with a confidence interval: met only when the whole CI clears the bar."""
    if low >= bar:
        return "met"
    if high < bar:
        return "not met"
    return "inconclusive"


def check_batch(
    annotations: pd.DataFrame,
    *,
    gold: pd.DataFrame,
    min_kappa: float = 0.7,
    min_qa_accuracy: float = 0.95,
    qa_fraction: float = 0.10,
    min_qa_items: int = 30,
    rng: int | np.random.Generator | None = None,
    agreement: Literal["krippendorff_alpha", "fleiss_kappa"] = "krippendorff_alpha",
    aggregate: Literal["majority_vote", "dawid_skene"] = "majority_vote",
    segments: Sequence[str | tuple[str, ...]] | None = None,
    significance: float = 0.05,
    correction: Correction = DEFAULT_CORRECTION,
    min_error_rate: float = 0.10,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
    allow_new_gold_labels: bool = False,
) -> AcceptanceResult:
    """Accept or reject a labeled batch by agreement, QA-sample accuracy and systematic error.

    Parameters
    ----------
    annotations
        Long table of the batch, one row per judgment.
    gold
        Golden set: ``item_id``, ``label`` (column names as for the annotations).
    min_kappa
        Bar for the agreement coefficient (Krippendorff's alpha, nominal, by default).
    min_qa_accuracy
        Bar for the accuracy of the aggregated labels on the QA sample.
    qa_fraction
        Size of the QA sample as a share of the batch's items; it is drawn at random from
        the items that have a gold label (all of them if fewer are available).
    min_qa_items
        Smallest QA sample the accuracy criterion is judged on. The sample is enlarged to
        this size when the batch has enough gold items; with fewer gold items in the batch
        the criterion's status is ``"insufficient evidence"`` (not passed, so the batch is
        not accepted) and the summary says how many more gold items to label.
    rng
        Seed or Generator (QA sample, bootstrap, random tie breaking).
    agreement
        ``"krippendorff_alpha"`` (handles missing ratings) or ``"fleiss_kappa"``.
    aggregate
        How item labels are formed for the QA check: ``"majority_vote"`` (random ties)
        or ``"dawid_skene"``.
    segments
        Columns (or tuples of columns) whose values are tested for systematic error.
        Default: the annotator, each of cohort/category/guideline_version/vendor present,
        and each pair of those.
    significance
        Significance level of the systematic-error tests after ``correction``.
    correction
        Multiple-testing correction over every cell and segment tested: ``"holm"``
        (family-wise error rate, the default of every segment search, shared with
        :func:`workbench.drift.segment_errors`; see :mod:`workbench._internal.segments`) or
        ``"fdr_bh"`` (Benjamini–Hochberg false discovery rate).
    min_error_rate
        A confusion cell is only a violation if its error rate is at least this large.
    confidence, n_resamples
        Bootstrap CI of the agreement coefficient.
    item, annotator, label, value_order
        Column names and category order.
    allow_new_gold_labels
        Accept gold labels that no annotator gave as extra categories (default: raise, it
        is usually a typo); see :func:`workbench.agreement.annotator_agreement`.

    Returns
    -------
    AcceptanceResult
        ``accepted``, ``criteria`` (value, bar, CI, n, min_n, status and passed per
        criterion), ``violations`` and ``qa_items``. The batch is accepted only when every
        criterion's status is ``"met"``.

    Raises
    ------
    WorkbenchError
        Bad annotations or gold (see :func:`workbench.agreement.krippendorff_alpha`), gold
        sharing no items with the batch, bars or fractions outside [0, 1], unknown choices,
        segment columns that do not exist.

    Notes
    -----
    Systematic error is tested on every judgment of a gold item (not only the QA sample,
    for power): for a segment value ``s`` and a confusion cell gold ``t`` → given ``l``
    (``l != t``), the share of ``t`` judgments labeled ``l`` in ``s`` is compared with the
    share in the rest of the batch by a one-sided Fisher exact test (hypergeometric). A
    pair segment ``(A=a, B=b)`` is compared with the rest of ``A=a`` and with the rest of
    ``B=b`` and keeps the larger p-value, so an interaction is not flagged just because
    one parent is worse overall. The p-values of all cells and segments are adjusted by ``correction`` (Holm by default). A cell is a violation when the
    adjusted p-value is below ``significance``, its rate is at least ``min_error_rate``
    and above the rest's. The QA accuracy interval is Wilson's score interval.

    Agreement and QA accuracy are judged on their ``confidence`` intervals, not on the point
    estimate: ``"met"`` when the lower bound is at or above the bar, ``"not met"`` when the
    upper bound is below it, ``"inconclusive"`` when the interval straddles the bar (not
    passed: the batch has not shown that it meets the bar; more items decide it). A QA
    sample of fewer than ``min_qa_items`` gold items is ``"insufficient evidence"``
    whatever its accuracy (a Wilson interval on 3 items spans most of [0, 1]).

    Examples
    --------
    >>> from workbench.samples import make_reviews
    >>> s = make_reviews(400, 6, 3, 30, drift_annotator=None, cohort_confusion=False,
    ...                  gold_fraction=0.3, rng=0)
    >>> res = check_batch(s.tables["reviews_10x5000"], gold=s.tables["reviews_10x5000_gold"],
    ...                   min_kappa=0.5, min_qa_accuracy=0.8, n_resamples=200, rng=0)
    >>> res.accepted, len(res.violations)
    (True, 0)
    """
    if isinstance(min_qa_items, bool) or not isinstance(min_qa_items, (int, np.integer)) or min_qa_items < 1:
        raise WorkbenchError(f"min_qa_items={min_qa_items!r} must be a positive integer, e.g. 30.")
    for name, value in (
        ("min_kappa", min_kappa),
        ("min_qa_accuracy", min_qa_accuracy),
        ("qa_fraction", qa_fraction),
        ("min_error_rate", min_error_rate),
    ):
        if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0) or (name == "qa_fraction" and value == 0):
            raise WorkbenchError(f"{name}={value!r} must be a number in [0, 1] (qa_fraction > 0).")
    if not 0.0 < significance < 1.0:
        raise WorkbenchError(f"significance={significance!r} must lie strictly between 0 and 1, e.g. 0.05.")
    confidence = check_confidence(confidence)
    check_choice(agreement, name="agreement", choices=("krippendorff_alpha", "fleiss_kappa"))
    check_choice(aggregate, name="aggregate", choices=("majority_vote", "dawid_skene"))
    check_correction(correction)
    gen = as_rng(rng)
    cols: dict[str, Any] = {"item": item, "annotator": annotator, "label": label, "value_order": value_order}
    gold_labels = new_gold_labels(gold, label=label, value_order=value_order, allow=allow_new_gold_labels)
    coded = code_annotations(
        annotations, item=item, annotator=annotator, label=label, value_order=value_order, extra_labels=gold_labels
    )
    gold_per_item = gold_codes(gold, coded, item=item, label=label, value_order=value_order is not None)
    frame = coded.frame
    segs = _segments(frame, annotator, segments)

    # 1. inter-annotator agreement, with a cluster bootstrap CI over items
    stat = krippendorff_alpha if agreement == "krippendorff_alpha" else fleiss_kappa
    order = list(coded.categories)
    ci = bootstrap_ci(
        stat, frame, by=item, n_resamples=n_resamples, confidence=confidence, rng=gen,
        item=item, annotator=annotator, label=label, value_order=order,
    )
    n_pairable = int((coded.counts().sum(axis=1) >= 2).sum())

    # 2. QA sample: random items with gold, aggregated label vs gold
    with_gold = np.flatnonzero(gold_per_item >= 0)
    n_qa = min(len(with_gold), max(min_qa_items, math.ceil(qa_fraction * coded.n_items)))
    qa_pos = np.sort(gen.choice(with_gold, size=n_qa, replace=False))
    qa_items = coded.items[qa_pos]
    if aggregate == "majority_vote":
        agg = majority_vote(frame, ties="random", rng=gen, **cols)
    else:
        agg = dawid_skene(frame, **cols).labels
    truth = pd.Series(np.asarray(coded.categories, dtype=object)[gold_per_item[qa_pos]], index=qa_items)
    correct = int((agg.reindex(qa_items).astype(object) == truth).sum())
    acc = correct / n_qa
    lo, hi = (float(x) for x in wilson_interval(correct, n_qa, confidence))

    # 3. systematic error in the confusion against gold
    violations = _systematic_errors(coded, gold_per_item, segs, significance, min_error_rate, correction)

    stat_name = "Krippendorff's alpha (nominal)" if agreement == "krippendorff_alpha" else "Fleiss' kappa"
    criteria = pd.DataFrame(
        {
            "criterion": ["inter-annotator agreement", "QA sample accuracy", "no systematic error"],
            "statistic": [
                f"{stat_name}, {interpret(ci.estimate, scale='krippendorff' if agreement == 'krippendorff_alpha' else 'landis_koch')}",
                f"{aggregate} vs gold on {n_qa} random gold items",
                f"Fisher exact tests, {_CORRECTION_NAMES[correction]}-adjusted at {significance}",
            ],
            "value": [ci.estimate, acc, float(len(violations))],
            "bar": [min_kappa, min_qa_accuracy, 0.0],
            "ci_low": [ci.low, lo, np.nan],
            "ci_high": [ci.high, hi, np.nan],
            "n": [n_pairable, n_qa, int((gold_per_item[coded.item] >= 0).sum())],
            "min_n": [np.nan, float(min_qa_items), np.nan],
            "status": [
                _judge(ci.estimate, ci.low, ci.high, min_kappa) if ci.estimable else "insufficient evidence",
                "insufficient evidence" if n_qa < min_qa_items else _judge(acc, lo, hi, min_qa_accuracy),
                "met" if len(violations) == 0 else "not met",
            ],
        }
    )
    criteria["passed"] = criteria["status"].eq("met")
    return AcceptanceResult(
        accepted=bool(criteria["passed"].all()),
        criteria=criteria,
        violations=violations,
        qa_items=qa_items,
    )


def _segments(
    frame: pd.DataFrame, annotator: str, segments: Sequence[str | tuple[str, ...]] | None
) -> list[tuple[str, ...]]:
    if segments is None:
        present = [c for c in _SEGMENT_COLUMNS if c in frame.columns]
        return [(annotator,), *segment_combinations(present, 2)]
    out = [tuple([s]) if isinstance(s, str) else tuple(s) for s in segments]
    for seg in out:
        missing = [c for c in seg if c not in frame.columns]
        if missing:
            raise WorkbenchError(
                f"table 'annotations' has no column(s) {missing!r} named in segments=; it has "
                f"{list(map(str, frame.columns))!r}."
            )
    return out


_VIOLATION_COLUMNS = [
    "segment", "value", "gold_label", "given_label", "n", "errors", "rate",
    "rest_rate", "p_value", "p_adjusted", "examples",
]


def _segment_key(frame: pd.DataFrame, cols: Sequence[str]) -> pd.Series:
    """Values of one or more columns joined as "a / b" (vectorized)."""
    key = frame[cols[0]].astype(str)
    for c in cols[1:]:
        key = key + " / " + frame[c].astype(str)
    return key


def _systematic_errors(
    coded: Coded, gold_item_codes: np.ndarray, segs: list[tuple[str, ...]], significance: float, min_rate: float,
    correction: Correction = DEFAULT_CORRECTION,
) -> pd.DataFrame:
    k = coded.n_categories
    ref = gold_item_codes[coded.item]
    has = ref >= 0
    if not has.any() or k < 2:
        return pd.DataFrame(columns=_VIOLATION_COLUMNS)
    frame = coded.frame.iloc[np.flatnonzero(has)]
    t, g = ref[has], coded.label[has]
    off = ~np.eye(k, dtype=bool)
    tests = []
    for seg in segs:
        # counts[a, b, true, given] over the segment's first and second column (b: 1 level
        # for one-column segments)
        ca, va = pd.factorize(frame[seg[0]].astype(str))
        if len(seg) > 1:
            cb, vb = pd.factorize(_segment_key(frame, seg[1:]))
        else:
            cb, vb = np.zeros(len(frame), dtype=np.int64), pd.Index([""])
        na, nb = len(va), len(vb)
        cnt = np.bincount(
            ((ca * nb + cb) * k + t) * k + g, minlength=na * nb * k * k
        ).reshape(na, nb, k, k).astype(float)
        if len(seg) == 1:
            rests = [cnt.sum(axis=(0, 1), keepdims=True) - cnt]  # rest of the batch
        else:
            # an interaction must stand out against both parents, not just inherit one
            rests = [cnt.sum(axis=1, keepdims=True) - cnt, cnt.sum(axis=0, keepdims=True) - cnt]
        n = cnt.sum(axis=3, keepdims=True)
        pvals, rest_rate = np.zeros_like(cnt), np.zeros_like(cnt)
        ok = np.ones(cnt.shape, dtype=bool)
        for rest in rests:
            nr = rest.sum(axis=3, keepdims=True)
            nrb, nb_ = np.broadcast_to(nr, cnt.shape), np.broadcast_to(n, cnt.shape)
            p = excess_p_values(cnt, nb_, rest, nrb)
            pvals = np.maximum(pvals, p)
            with np.errstate(invalid="ignore", divide="ignore"):
                rest_rate = np.maximum(rest_rate, np.where(nrb > 0, rest / nrb, 0.0))
            ok &= nrb > 0
        ok &= (np.broadcast_to(n, cnt.shape) > 0) & off[None, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = cnt / n
        for a, b, ti, gi in zip(*np.nonzero(ok), strict=True):
            value = va[a] if len(seg) == 1 else f"{va[a]} / {vb[b]}"
            tests.append((" × ".join(seg), value, ti, gi, int(n[a, b, ti, 0]), int(cnt[a, b, ti, gi]),
                          rate[a, b, ti, gi], rest_rate[a, b, ti, gi], float(pvals[a, b, ti, gi]), seg))
    if not tests:
        return pd.DataFrame(columns=_VIOLATION_COLUMNS)
    res = pd.DataFrame(tests, columns=["segment", "value", "t", "g", "n", "errors", "rate", "rest_rate", "p_value", "cols"])
    res["p_adjusted"] = adjust(res["p_value"].to_numpy(), correction)
    bad = res[(res["p_adjusted"] < significance) & (res["rate"] >= min_rate) & (res["rate"] > res["rest_rate"])]
    cats = np.asarray(coded.categories, dtype=object)
    item_col = coded.items.name
    examples = []
    for r in bad.itertuples(index=False):
        cols = list(r.cols)
        key = _segment_key(frame, cols)
        mask = (key.to_numpy() == r.value) & (t == r.t) & (g == r.g)
        examples.append(", ".join(map(str, pd.unique(frame.loc[mask, item_col])[:3])))
    out = bad.assign(
        gold_label=cats[bad["t"].to_numpy()] if len(bad) else [],
        given_label=cats[bad["g"].to_numpy()] if len(bad) else [],
        examples=examples,
    )
    return out.sort_values(["p_adjusted", "rate"], ascending=[True, False])[_VIOLATION_COLUMNS].reset_index(drop=True)
