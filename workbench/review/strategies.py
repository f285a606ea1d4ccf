"""Queue strategies: the order in which a review queue serves items, as small objects.

A :class:`~workbench.review.ReviewQueue` takes one strategy object (or its name for the
defaults) instead of a dozen strategy keywords; each object holds its own options and
returns the serving order of the candidate rows and each row's reason. A new strategy (for
example an acceptance-sampling plan, or a learned filter's uncertainty) is one more class
with an ``order`` method.

Examples
--------
>>> import numpy as np, pandas as pd
>>> items = pd.DataFrame({"doc_id": ["a", "b", "c"], "text": ["x", "y", "z"], "clip_score": [0.9, 0.1, 0.5]})
>>> order, reasons = Triage(low={"clip_score": 0.2}, explore_share=0.0).order(
...     items, "doc_id", np.random.default_rng(0), np.arange(3))
>>> int(order[0]), reasons[1]
(1, 'clip_score 0.1 < 0.2')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import numpy as np
import pandas as pd

from workbench._validation import check_choice, require_columns, require_frame, require_numeric
from workbench.errors import SchemaError, WorkbenchError
from workbench.sampling import SequentialPlan, SingleSamplingPlan

__all__ = [
    "STRATEGIES",
    "AcceptanceSample",
    "FilterUncertainty",
    "QueueStrategy",
    "RandomOrder",
    "Stratified",
    "Triage",
    "Uncertainty",
    "interleave",
    "make_strategy",
    "posterior_entropy",
]

STRATEGIES: tuple[str, ...] = ("random", "stratified", "triage", "uncertainty", "acceptance-sample",
                               "filter-uncertainty")


class QueueStrategy(Protocol):
    """What a queue needs of a strategy: a name and the serving order of the candidates."""

    name: ClassVar[str]

    def order(
        self, items: pd.DataFrame, item: str, gen: np.random.Generator, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``candidates`` (row positions, gold excluded) in serving order, and a reason per row
        of ``items`` (indexed by row)."""
        ...


def posterior_entropy(posteriors: pd.DataFrame) -> pd.Series:
    """Shannon entropy (nats) of each row of a posterior table (rows sum to 1).

    0 means certain; ``log(k)`` for ``k`` classes means uniform. Used by the uncertainty
    strategy to send the least certain aggregate labels to a human first.

    Examples
    --------
    >>> p = pd.DataFrame({"pos": [1.0, 0.5], "neg": [0.0, 0.5]}, index=["x", "y"])
    >>> posterior_entropy(p).round(4).tolist()
    [0.0, 0.6931]
    """
    values = posteriors.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(values > 0, -values * np.log(values), 0.0)
    return pd.Series(terms.sum(axis=1), index=posteriors.index, name="entropy")


def interleave(
    main: np.ndarray, extra: np.ndarray, share: float, rng: np.random.Generator, *, cap: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Merge ``extra`` into ``main`` so that about ``share`` of the result comes from extra.

    Returns the merged positions and a boolean mask of which come from ``extra``. Extra
    items are spaced at random (jittered) positions, so a reviewer cannot predict them.
    With ``cap``, extras that would fall after the end of ``main`` are dropped.
    """
    if share <= 0 or len(extra) == 0:
        return main, np.zeros(len(main), dtype=bool)
    step = (1.0 - share) / share
    key_main = np.arange(len(main)) + 0.5
    key_extra = (np.arange(len(extra)) + rng.uniform(0.0, 1.0, len(extra))) * step
    if cap:
        keep = key_extra <= len(main)
        extra, key_extra = extra[keep], key_extra[keep]
    keys = np.concatenate([key_main, key_extra])
    merged = np.concatenate([main, extra])
    is_extra = np.concatenate([np.zeros(len(main), bool), np.ones(len(extra), bool)])
    order = np.argsort(keys, kind="stable")
    return merged[order], is_extra[order]


def _fmt(v: float) -> str:
    return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"



@dataclass(frozen=True)
class RandomOrder:
    """A random order (every item equally likely at every place)."""

    name: ClassVar[str] = "random"

    def order(
        self, items: pd.DataFrame, item: str, gen: np.random.Generator, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return gen.permutation(candidates), np.full(len(items), "random sample", dtype=object)


def _stratum_labels(items: pd.DataFrame, by: Sequence[str]) -> np.ndarray:
    cols = [c for c in by if c in items.columns]
    if not cols:
        return np.full(len(items), "all", dtype=object)
    parts = [c + "=" + items[c].astype(str).fillna("NA") for c in cols]
    label = parts[0]
    for p in parts[1:]:
        label = label + ", " + p
    return label.to_numpy(dtype=object)


@dataclass(frozen=True)
class Stratified:
    """Round-robin over the strata ``by``: ``allocation="equal"`` serves every stratum equally
    often, ``"proportional"`` in proportion to its size."""

    by: Sequence[str] = ("source", "category")
    allocation: Literal["equal", "proportional"] = "equal"
    name: ClassVar[str] = "stratified"

    def __post_init__(self) -> None:
        check_choice(self.allocation, name="allocation", choices=("equal", "proportional"))

    def order(
        self, items: pd.DataFrame, item: str, gen: np.random.Generator, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        by = [c for c in self.by if c in items.columns]
        if not by:
            raise SchemaError(
                f"strategy 'stratified' needs stratum columns {list(self.by)} in table "
                f"'items'; it has {', '.join(map(str, items.columns[:20]))}. "
                "Pass Stratified(by=('your_column',))."
            )
        labels = _stratum_labels(items, by)
        reasons = ("stratum " + pd.Series(labels)).to_numpy(dtype=object)
        shuffled = gen.permutation(candidates)
        lab = pd.Series(labels[shuffled])
        rank = lab.groupby(lab, sort=False).cumcount().to_numpy(dtype=float)
        if self.allocation == "proportional":
            size = lab.map(lab.value_counts()).to_numpy(dtype=float)
            key = (rank + gen.uniform(0, 1, len(shuffled))) / size
        else:
            key = rank + gen.uniform(0, 1, len(shuffled)) * 0.5
        return shuffled[np.argsort(key, kind="stable")], reasons


@dataclass(frozen=True)
class Triage:
    """Flagged items first — scores below ``low`` (e.g. ``{"clip_score": 0.2}``), above
    ``high`` (``{"perplexity": 1500}``), text matching ``patterns`` (regular expressions,
    case-insensitive), rows whose ``decision_column`` is ``"review"`` (composite decisions
    of ``scoring.decide``) — most flags and most extreme first, with ``explore_share``
    random unflagged items mixed in so calibration sees the whole score range."""

    low: Mapping[str, float] = field(default_factory=dict)
    high: Mapping[str, float] = field(default_factory=dict)
    patterns: Sequence[str] = ()
    text_columns: Sequence[str] | None = None
    decision_column: str = "decision"
    explore_share: float = 0.1
    name: ClassVar[str] = "triage"

    def __post_init__(self) -> None:
        if not 0.0 <= self.explore_share < 1.0:
            raise WorkbenchError(
                f"review queue: explore_share={self.explore_share!r} must be in [0, 1); e.g. 0.1 for 10%."
            )

    def order(
        self, items: pd.DataFrame, item: str, gen: np.random.Generator, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(items)
        n_flags = np.zeros(n)
        severity = np.zeros(n)
        reason = np.full(n, "", dtype=object)

        def add(mask: np.ndarray, text: np.ndarray | str, sev: np.ndarray | float) -> None:
            nonlocal reason
            sep = np.where(reason == "", "", "; ")
            reason = np.where(mask, reason + sep + text, reason)
            n_flags[mask] += 1
            severity[mask] = np.maximum(severity[mask], (np.broadcast_to(sev, (n,)))[mask])

        low, high = dict(self.low), dict(self.high)
        if not (low or high or self.patterns or self.decision_column in items.columns):
            raise WorkbenchError(
                "strategy 'triage' needs something to triage on: low={'clip_score': 0.2}, "
                "high={'perplexity': 1500}, patterns=[...] or a 'decision' column from "
                "scoring.decide."
            )
        for metric, thr, sign in [*((m, t, -1) for m, t in low.items()), *((m, t, 1) for m, t in high.items())]:
            require_columns(items, [metric], table="items")
            require_numeric(items, metric, table="items")
            v = pd.to_numeric(items[metric], errors="coerce").to_numpy(dtype=float)
            scale = np.nanstd(v) or 1.0
            with np.errstate(invalid="ignore"):
                mask = (v > thr) if sign > 0 else (v < thr)
            mask &= ~np.isnan(v)
            op = ">" if sign > 0 else "<"
            text = np.array([f"{metric} {_fmt(x)} {op} {_fmt(thr)}" if m else "" for x, m in zip(v, mask, strict=True)], dtype=object)
            add(mask, text, sign * (v - thr) / scale)
        if self.patterns:
            cols = self.text_columns or [
                c for c in ("text", "caption", "prompt", "response_a", "response_b") if c in items.columns
            ]
            if not cols:
                raise SchemaError("patterns need a text column; pass text_columns=['your_text_column'].")
            joined = items[cols[0]].astype(str).fillna("")
            for c in cols[1:]:
                joined = joined + "\n" + items[c].astype(str).fillna("")
            for pat in self.patterns:
                try:
                    rx = re.compile(pat, flags=re.IGNORECASE)
                except re.error as exc:
                    raise WorkbenchError(f"review queue: pattern {pat!r} is not a valid regular expression ({exc}).") from exc
                mask = joined.str.contains(rx, regex=True).to_numpy(dtype=bool)
                add(mask, f"matches {pat!r}", 10.0)
        dcol = self.decision_column
        if dcol in items.columns:
            mask = (items[dcol].astype(str) == "review").to_numpy(dtype=bool)
            rule_reason: str | np.ndarray = "composite rule: review"
            if "reasons" in items.columns:
                rule_reason = ("composite rule: " + items["reasons"].astype(str)).to_numpy(dtype=object)
            add(mask, rule_reason, 1.0)
        flagged = candidates[n_flags[candidates] > 0]
        rest = candidates[n_flags[candidates] == 0]
        tie = gen.uniform(0, 1, len(flagged))
        flagged = flagged[np.lexsort((tie, -severity[flagged], -n_flags[flagged]))]
        rest = gen.permutation(rest)
        reason = np.where(reason == "", "random sample (explore)", reason)
        merged, _ = interleave(flagged, rest, self.explore_share, gen, cap=False)
        if self.explore_share <= 0:
            merged = np.concatenate([flagged, rest])
        return merged, reason



@dataclass(frozen=True)
class Uncertainty:
    """Highest posterior entropy first (``posteriors``, or Dawid–Skene fitted on
    ``annotations``), or closest to ``threshold`` on the column ``score``."""

    posteriors: pd.DataFrame | None = None
    annotations: pd.DataFrame | None = None
    score: str | None = None
    threshold: float | None = None
    name: ClassVar[str] = "uncertainty"

    def order(
        self, items: pd.DataFrame, item: str, gen: np.random.Generator, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(items)
        ids = items[item]
        posteriors, annotations = self.posteriors, self.annotations
        if posteriors is None and annotations is not None:
            try:
                from workbench.aggregation import dawid_skene
            except ImportError as exc:  # pragma: no cover - depends on the aggregation module
                raise WorkbenchError(
                    "strategy 'uncertainty' with annotations= needs workbench.aggregation.dawid_skene; "
                    "pass posteriors= (one row per item, one column per label) instead."
                ) from exc
            posteriors = dawid_skene(annotations).posteriors
        if posteriors is not None:
            require_frame(posteriors, table="posteriors")
            post = posteriors.copy()
            post.index = post.index.astype(str)
            ent = posterior_entropy(post).reindex(ids).to_numpy(dtype=float)
            reason = np.array(
                [f"uncertain label: entropy {e:.2f}" if not np.isnan(e) else "no aggregate label" for e in ent],
                dtype=object,
            )
            key = np.where(np.isnan(ent), np.inf, -ent)
        elif self.score is not None and self.threshold is not None:
            col, thr = self.score, float(self.threshold)
            require_columns(items, [col], table="items", option_names=["score"])
            require_numeric(items, col, table="items")
            v = pd.to_numeric(items[col], errors="coerce").to_numpy(dtype=float)
            scale = float(np.nanstd(v)) or 1.0
            dist = np.abs(v - thr) / scale
            reason = np.array(
                [f"{col} {_fmt(x)} near threshold {_fmt(thr)}" if not np.isnan(x) else f"no {col}" for x in v],
                dtype=object,
            )
            key = np.where(np.isnan(dist), np.inf, dist)
        else:
            raise WorkbenchError(
                "strategy 'uncertainty' needs posteriors= (e.g. dawid_skene(...).posteriors), "
                "annotations= (Dawid–Skene is fitted on them), or score='column' with threshold=."
            )
        tie = gen.uniform(0, 1, n)
        ordered = candidates[np.lexsort((tie[candidates], key[candidates]))]
        return ordered, reason



@dataclass(frozen=True)
class AcceptanceSample:
    """The random sample of an acceptance-sampling plan (:mod:`workbench.sampling`), drawn from
    the lot with its own ``seed``: the plan's ``n`` items of a single-sampling plan, or the whole
    lot in random order for a sequential plan (the reviewer stops when the test decides).

    The draw depends only on the seed and the lot's items (in table order), so it can be drawn
    again; :meth:`record` (the seed and the plan) goes into every decision's meta. A plan made
    for another lot size is refused: its risks hold for the lot it was made for.

    Examples
    --------
    >>> from workbench.sampling import SingleSamplingPlan
    >>> items = pd.DataFrame({"item_id": [f"i{k}" for k in range(10)], "text": ["x"] * 10})
    >>> s = AcceptanceSample(SingleSamplingPlan(3, 0, lot_size=10), seed=7)
    >>> order, reasons = s.order(items, "item_id", np.random.default_rng(0), np.arange(10))
    >>> len(order), reasons[0], s.record()["sample_seed"]
    (3, 'acceptance sample', 7)
    """

    plan: SingleSamplingPlan | SequentialPlan | int
    seed: int = 0
    name: ClassVar[str] = "acceptance-sample"

    def __post_init__(self) -> None:
        if isinstance(self.plan, bool) or not isinstance(self.plan, (SingleSamplingPlan, SequentialPlan, int)):
            raise WorkbenchError(
                f"strategy 'acceptance-sample': plan={self.plan!r} must be a plan of workbench.sampling "
                "(e.g. sampling.iso2859_plan(len(items), 1.0)) or a sample size."
            )
        if isinstance(self.plan, int) and self.plan < 1:
            raise WorkbenchError(f"strategy 'acceptance-sample': a sample size of {self.plan} items; pass n ≥ 1.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise WorkbenchError(f"strategy 'acceptance-sample': seed={self.seed!r} must be an integer (it is recorded "
                                 "with every decision so the sample can be drawn again).")

    @property
    def size(self) -> int | None:
        """Items drawn (``None``: the whole lot, for a sequential plan)."""
        if isinstance(self.plan, int):
            return self.plan
        return self.plan.n if isinstance(self.plan, SingleSamplingPlan) else None

    def record(self) -> dict[str, Any]:
        """What each decision records: the sample's seed and the plan."""
        plan = {"type": "single", "n": self.plan} if isinstance(self.plan, int) else self.plan.to_dict()
        return {"sample_seed": int(self.seed), "acceptance_plan": plan}

    def order(
        self, items: pd.DataFrame, item: str, gen: np.random.Generator, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        lot = getattr(self.plan, "lot_size", None)
        if lot is not None and lot != len(candidates):
            raise WorkbenchError(
                f"strategy 'acceptance-sample': the plan was made for a lot of {lot:,} items, but the queue's lot "
                f"holds {len(candidates):,} (gold items excluded); make the plan with lot_size={len(candidates)}."
            )
        size = self.size
        if size is not None and size > len(candidates):
            raise WorkbenchError(
                f"strategy 'acceptance-sample': the plan's sample of {size:,} items exceeds the lot's "
                f"{len(candidates):,}; review the whole lot instead (strategy='random')."
            )
        drawn = np.random.default_rng(int(self.seed)).permutation(candidates)
        if size is not None:
            drawn = drawn[:size]
        return drawn, np.full(len(items), "acceptance sample", dtype=object)


@dataclass(frozen=True)
class FilterUncertainty:
    """What the learned filter (:mod:`workbench.flywheel`) knows least first: the items whose
    flag probability is nearest its threshold, mixed with a seeded random share
    (``random_share``, default 20%) spaced at random places, so that the filter's accuracy
    measured on that share is an unbiased estimate (the uncertain items alone would
    understate it).

    With ``retrain_every=N`` the queue retrains the filter (:meth:`LearnedFilter.retrain
    <workbench.flywheel.LearnedFilter.retrain>`: same features, target and folds) on the
    decisions in effect after every N new decisions of its reviewer, on a background thread,
    and re-orders the items not yet served by the new filter's uncertainty; the random share
    keeps the items and places it was drawn with. ``train_items`` and ``train_decisions``
    (the items and decisions the filter was first trained on, when they are not in the queue's
    store) are learned from again at each retraining, beside the store's decisions.

    Examples
    --------
    >>> from workbench.flywheel import LearnedFilter
    >>> f = LearnedFilter(features=("x",), coef=(2.0,), intercept=0.0, mean=(0.0,), scale=(1.0,),
    ...                   target="flagged", threshold=0.5, n_items=0, n_flagged=0, training_hash="", versions={})
    >>> items = pd.DataFrame({"item_id": list("abcd"), "x": [3.0, 0.1, -2.0, -0.05]})
    >>> order, reasons = FilterUncertainty(f, random_share=0.0).order(items, "item_id", np.random.default_rng(0),
    ...                                                              np.arange(4))
    >>> items["item_id"].to_numpy()[order].tolist(), reasons[3]
    (['d', 'b', 'c', 'a'], 'filter unsure: p(flag) 0.48')
    """

    filter: Any
    random_share: float = 0.2
    seed: int = 0
    retrain_every: int | None = None
    train_items: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    train_decisions: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    name: ClassVar[str] = "filter-uncertainty"
    #: the reason shown for an item of the random share
    RANDOM_REASON: ClassVar[str] = "random share (unbiased accuracy estimate)"

    def __post_init__(self) -> None:
        if not hasattr(self.filter, "predict_proba") or not hasattr(self.filter, "threshold"):
            raise WorkbenchError("strategy 'filter-uncertainty': filter= must be a learned filter "
                                 "(workbench.flywheel.train_filter(...) or flywheel.load_filter(DIR)).")
        if not 0.0 <= float(self.random_share) < 1.0:
            raise WorkbenchError(f"strategy 'filter-uncertainty': random_share={self.random_share} must be in [0, 1).")
        every = self.retrain_every
        if every is not None and (isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1):
            raise WorkbenchError(f"strategy 'filter-uncertainty': retrain_every={every!r} must be a positive number "
                                 "of decisions (e.g. 50), or None to keep the filter fixed.")
        if every is not None and not hasattr(self.filter, "retrain"):
            raise WorkbenchError("strategy 'filter-uncertainty': retrain_every needs a filter that can retrain "
                                 "(workbench.flywheel.train_filter(...) or flywheel.load_filter(DIR)).")
        if (self.train_items is None) != (self.train_decisions is None):
            raise WorkbenchError("strategy 'filter-uncertainty': pass train_items and train_decisions together (the "
                                 "items the filter was trained on and their decisions), or neither.")
        if self.train_items is not None:
            require_frame(self.train_items, table="train_items")
            require_frame(self.train_decisions, table="train_decisions")
            require_columns(self.train_decisions, ["item_id", "decision"], table="train_decisions")  # type: ignore[arg-type]

    def record(self) -> dict[str, Any]:
        """What each decision records: the filter it was served by and the random share."""
        return {"filter_training_hash": str(getattr(self.filter, "training_hash", "")),
                "random_share": float(self.random_share), "sample_seed": int(self.seed)}

    def uncertainty(self, items: pd.DataFrame, learned: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per row of ``items``: the sort key (distance of ``learned``'s probability from its
        threshold; ``inf`` without a probability) and the reason to show."""
        p = learned.predict_proba(items).to_numpy(dtype=float)
        dist = np.abs(p - float(learned.threshold))
        key = np.where(np.isnan(dist), np.inf, dist)
        reason = np.array([f"filter unsure: p(flag) {v:.2f}" if not np.isnan(v) else "no filter score" for v in p],
                          dtype=object)
        return key, reason

    def retrained(self, items: pd.DataFrame, decisions: pd.DataFrame, learned: Any, *, item: str) -> Any:
        """``learned`` trained again on ``decisions`` (the store's, in effect) over ``items``,
        plus ``train_items``/``train_decisions`` for the items the store has not decided."""
        if self.train_items is not None and self.train_decisions is not None:
            extra = self.train_items
            if item not in extra.columns:
                raise WorkbenchError(f"train_items has no id column '{item}' (the queue's items use it); rename "
                                     "its id column to match.")
            extra = extra[~extra[item].astype(str).isin(set(items[item].astype(str)))]
            earlier = self.train_decisions[~self.train_decisions["item_id"].astype(str).isin(
                set(decisions["item_id"].astype(str)))]
            items = pd.concat([extra, items], ignore_index=True)
            decisions = pd.concat([earlier[["item_id", "decision"]], decisions[["item_id", "decision"]]],
                                  ignore_index=True)
        return learned.retrain(items, decisions, item=item)

    def order(
        self, items: pd.DataFrame, item: str, gen: np.random.Generator, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        key, reason = self.uncertainty(items, self.filter)
        own = np.random.default_rng(int(self.seed))
        n_random = int(round(self.random_share * len(candidates)))
        shuffled = own.permutation(candidates)
        extra, rest = shuffled[:n_random], shuffled[n_random:]
        tie = own.uniform(0, 1, len(items))
        main = rest[np.lexsort((tie[rest], key[rest]))]
        ordered, from_random = interleave(main, extra, self.random_share, own, cap=False)
        reason[ordered[from_random]] = self.RANDOM_REASON
        return ordered, reason


_CLASSES: dict[str, Any] = {"random": RandomOrder, "stratified": Stratified, "triage": Triage,
                            "uncertainty": Uncertainty, "acceptance-sample": AcceptanceSample,
                            "filter-uncertainty": FilterUncertainty}


def make_strategy(name: str | QueueStrategy, **options: Any) -> QueueStrategy:
    """A strategy object from its name and options (what a notebook parameter or a CLI flag holds).

    Examples
    --------
    >>> make_strategy("triage", high={"perplexity": 1500}).high
    {'perplexity': 1500}
    >>> make_strategy("random").name
    'random'
    """
    if not isinstance(name, str):
        if options:
            raise WorkbenchError("make_strategy: pass options to the strategy object itself, not beside it.")
        return name
    check_choice(name, name="strategy", choices=STRATEGIES)
    cls = _CLASSES[name]
    known = set(cls.__dataclass_fields__) - {"name"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise WorkbenchError(f"strategy {name!r} takes {', '.join(sorted(known)) or 'no options'}; "
                             f"not {', '.join(unknown)}.")
    return cls(**options)  # type: ignore[no-any-return]
