"""Customer reviews labeled positive/negative, with a drifting annotator and a confused cohort."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench._validation import as_rng
from workbench.errors import WorkbenchError
from workbench.samples.base import (
    ISO,
    SAMPLE_START,
    Picker,
    Sample,
    cap,
    check_count,
    check_prob,
    iso,
    n_words,
)
from workbench.samples.templates import reviews as T
from workbench.samples.truth import CohortConfusionTruth, DriftTruth, GuidelineChange, ReviewsTruth

__all__ = ["make_reviews"]


def _texts(picker: Picker, category: Sequence[str] | np.ndarray, positive: np.ndarray) -> list[str]:
    out = []
    for cat, pos in zip(category, positive, strict=True):
        vocab = {**T.VOCAB[cat], **T.COMMON}
        parts = [picker.fill(picker.pick(T.OPEN), vocab)]
        n_aspects = 1 + int(picker.u() * 3)
        for _ in range(n_aspects):
            # mostly consistent with the label, sometimes a mixed remark
            same = picker.u() < 0.85
            bank = T.POS if (pos == same) else T.NEG
            parts.append(cap(picker.fill(picker.pick(bank), vocab)))
        if picker.u() < 0.3:
            parts.append(picker.pick(T.NEUTRAL))
        parts.append(picker.pick(T.CLOSE_POS if pos else T.CLOSE_NEG))
        out.append(" ".join(parts))
    return out



def make_reviews(
    n_items: int = 5000,
    n_annotators: int = 10,
    per_item: int = 3,
    days: int = 90,
    *,
    drift_annotator: str | None = "ann_03",
    drift_day: float = 45,
    drift_accuracy: float = 0.65,
    cohort_confusion: bool = True,
    confused_cohort: str = "night",
    confused_category: str = "kitchen",
    confusion_flip_prob: float = 0.8,
    guideline_day: float = 30,
    gold_fraction: float = 0.1,
    rng: int | np.random.Generator | None = 0,
) -> Sample[ReviewsTruth]:
    """Customer reviews labeled positive/negative by annotators in day and night shifts.

    Annotators ``ann_01…`` have distinct baseline accuracies spread over 0.85–0.95; the
    first half works the day shift (08–16 h), the rest the night shift (20–24 h and 0–4 h
    of the same calendar day). The
    guideline changes from ``v2.0`` to ``v2.1`` at ``guideline_day``. Planted effects:
    ``drift_annotator``'s accuracy drops to ``drift_accuracy`` from ``drift_day`` on; with
    ``cohort_confusion`` the ``confused_cohort`` flips labels of ``confused_category`` with
    probability ``confusion_flip_prob`` under guideline v2.1. ``drift_annotator=None`` and
    ``cohort_confusion=False`` give null data.

    Returns
    -------
    Sample
        ``tables``: ``reviews_10x5000`` (annotations: item_id, annotator_id, label, timestamp,
        cohort, category, guideline_version, duration_s), ``reviews_10x5000_items`` (item_id,
        text, category), ``reviews_10x5000_gold`` (item_id, label).
        ``truth["rows"]``: item_id, true_label, category, in_gold.

    Examples
    --------
    >>> s = make_reviews(200, 6, 3, 30, drift_day=15, guideline_day=10, rng=0)
    >>> s.tables["reviews_10x5000"].shape
    (600, 8)
    >>> s.truth["drift"]["annotator"], s.truth["drift"]["change_timestamp"]
    ('ann_03', '2025-03-18T00:00:00')
    """
    check_count("n_items", n_items)
    check_count("n_annotators", n_annotators)
    check_count("per_item", per_item)
    check_count("days", days)
    for name, v in (("drift_accuracy", drift_accuracy), ("confusion_flip_prob", confusion_flip_prob),
                    ("gold_fraction", gold_fraction)):
        check_prob(name, v)
    if per_item > n_annotators:
        raise WorkbenchError(f"per_item={per_item} exceeds n_annotators={n_annotators}; "
                             "each item needs distinct annotators.")
    if confused_category not in T.VOCAB:
        raise WorkbenchError(f"confused_category={confused_category!r} is not valid; choose one "
                             f"of {', '.join(repr(c) for c in T.VOCAB)}.")
    if confused_cohort not in ("day", "night"):
        raise WorkbenchError(f"confused_cohort={confused_cohort!r} is not valid; choose 'day' or 'night'.")
    width = max(2, len(str(n_annotators)))
    ann_ids = np.array([f"ann_{i + 1:0{width}d}" for i in range(n_annotators)])
    if drift_annotator is not None and drift_annotator not in set(ann_ids):
        raise WorkbenchError(
            f"drift_annotator={drift_annotator!r} is not one of the annotators "
            f"{ann_ids[0]}…{ann_ids[-1]}; pick one of them or None for no drift."
        )
    gen = as_rng(rng)
    picker = Picker(gen)
    cats = np.array(list(T.VOCAB))
    category = cats[gen.integers(0, len(cats), n_items)]
    positive = gen.random(n_items) < 0.55
    texts = _texts(picker, category, positive)
    true_label = np.where(positive, "positive", "negative")
    iw = len(str(n_items - 1))
    item_ids = np.array([f"r{i:0{iw}d}" for i in range(n_items)])

    base_acc = np.round(np.linspace(0.85, 0.95, n_annotators)[gen.permutation(n_annotators)], 4)
    cohort = np.where(np.arange(n_annotators) < (n_annotators + 1) // 2, "day", "night")

    # assignment: per_item distinct annotators per item
    ai = np.argsort(gen.random((n_items, n_annotators)), axis=1)[:, :per_item].ravel()
    ii = np.repeat(np.arange(n_items), per_item)
    n = len(ii)
    item_day = gen.integers(0, days, n_items)
    day = np.minimum(item_day[ii] + gen.integers(0, 3, n), days - 1)
    start_h = np.where(cohort[ai] == "day", 8.0, 20.0)
    # night shift hours 20-24 and 0-4 stay on the calendar day, so all fall within ``days``
    secs = (day * 86400 + np.mod(start_h * 3600 + gen.uniform(0, 8 * 3600, n), 86400)).astype(np.int64)
    ts = SAMPLE_START + pd.to_timedelta(secs, unit="s")
    t_days = secs / 86400.0
    version = np.where(t_days >= guideline_day, "v2.1", "v2.0")

    acc = base_acc[ai].copy()
    if drift_annotator is not None:
        acc = np.where((ann_ids[ai] == drift_annotator) & (t_days >= drift_day), drift_accuracy, acc)
    correct = gen.random(n) < acc
    if cohort_confusion:
        confused = ((cohort[ai] == confused_cohort) & (category[ii] == confused_category)
                    & (version == "v2.1"))
        flip = gen.random(n) < confusion_flip_prob
        correct = np.where(confused, ~flip, correct)
    label = np.where(correct, true_label[ii], np.where(positive[ii], "negative", "positive"))
    words = n_words(texts)[ii]
    duration = np.round((6 + 0.35 * words) * gen.lognormal(0, 0.35, n), 1)
    order = np.lexsort((ann_ids[ai], secs))
    ann = pd.DataFrame(
        {
            "item_id": item_ids[ii],
            "annotator_id": ann_ids[ai],
            "label": label,
            "timestamp": iso(ts),
            "cohort": cohort[ai],
            "category": category[ii],
            "guideline_version": version,
            "duration_s": duration,
        }
    ).iloc[order].reset_index(drop=True)
    items = pd.DataFrame({"item_id": item_ids, "text": texts, "category": category})
    n_gold = int(round(gold_fraction * n_items))
    gold_idx = np.sort(gen.choice(n_items, size=n_gold, replace=False))
    gold = pd.DataFrame({"item_id": item_ids[gold_idx], "label": true_label[gold_idx]})
    rows = pd.DataFrame({"item_id": item_ids, "true_label": true_label, "category": category,
                         "in_gold": np.isin(np.arange(n_items), gold_idx)})

    def stamp(d: float) -> str:
        return (SAMPLE_START + pd.Timedelta(days=d)).strftime(ISO)

    truth = ReviewsTruth(
        start=SAMPLE_START.strftime(ISO),
        days=days,
        annotator_accuracy={str(a): float(x) for a, x in zip(ann_ids, base_acc, strict=True)},
        cohorts={str(a): str(c) for a, c in zip(ann_ids, cohort, strict=True)},
        guideline_change=GuidelineChange(
            from_version="v2.0", to_version="v2.1", day=guideline_day, timestamp=stamp(guideline_day)
        ),
        drift=None if drift_annotator is None else DriftTruth(
            annotator=drift_annotator,
            day=drift_day,
            change_timestamp=stamp(drift_day),
            accuracy_before=float(base_acc[list(ann_ids).index(drift_annotator)]),
            accuracy_after=drift_accuracy,
        ),
        cohort_confusion=None if not cohort_confusion else CohortConfusionTruth(
            cohort=confused_cohort,
            category=confused_category,
            guideline_version="v2.1",
            since_timestamp=stamp(guideline_day),
            flip_prob=confusion_flip_prob,
        ),
        gold_fraction=gold_fraction,
        positive_rate=0.55,
        rows=rows,
    )
    tables = {"reviews_10x5000": ann, "reviews_10x5000_items": items, "reviews_10x5000_gold": gold}
    return Sample("reviews_10x5000", tables, truth)

