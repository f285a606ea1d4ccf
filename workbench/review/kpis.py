"""Review KPIs: agreement on overlap items, accuracy on hidden gold, throughput, cost, trends.

Inputs are the tidy frames a :class:`~workbench.review.ReviewStore` returns
(``decisions()``: one row per item and reviewer; ``events()``: every event with its time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench._internal.reliability import kappa_from_confusion
from workbench._internal.stats import check_confidence, wilson_interval
from workbench._validation import require_columns, require_frame
from workbench.errors import WorkbenchError
from workbench.review.store import ReviewStore, decisions_in_effect

__all__ = [
    "ReviewKPIs",
    "display_times",
    "gold_accuracy",
    "review_kpis",
    "reviewer_agreement",
    "throughput",
    "trends",
]


def _check(frame: pd.DataFrame, columns: Sequence[str], table: str) -> pd.DataFrame:
    require_frame(frame, table=table)
    require_columns(frame, list(columns), table=table)
    return frame


def reviewer_agreement(
    decisions: pd.DataFrame,
    *,
    item: str = "item_id",
    reviewer: str = "reviewer",
    decision: str = "decision",
) -> pd.DataFrame:
    """Agreement of every pair of reviewers on the items both decided (the overlap items).

    Returns
    -------
    pandas.DataFrame
        ``reviewer_a, reviewer_b, n_items, agreement`` (share of identical decisions) and
        ``kappa`` (Cohen's kappa, ``nan`` when undefined: a single shared label); empty when
        no two reviewers share an item.

    Examples
    --------
    >>> d = pd.DataFrame({"item_id": list("xxyyzz"), "reviewer": list("ababab"),
    ...                   "decision": ["ok", "ok", "bad", "bad", "ok", "bad"]})
    >>> row = reviewer_agreement(d).iloc[0]
    >>> int(row["n_items"]), round(float(row["agreement"]), 3)
    (3, 0.667)
    """
    d = _check(decisions, [item, reviewer, decision], "decisions")
    d = d.drop_duplicates([item, reviewer], keep="last")[[item, reviewer, decision]]
    pairs = d.merge(d, on=item, suffixes=("_a", "_b"))
    pairs = pairs[pairs[f"{reviewer}_a"].astype(str) < pairs[f"{reviewer}_b"].astype(str)]
    columns = ["reviewer_a", "reviewer_b", "n_items", "agreement", "kappa"]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    # one pass over all pairs: each reviewer pair's confusion matrix by bincount
    codes, uniques = pd.factorize(
        pd.concat([pairs[f"{decision}_a"], pairs[f"{decision}_b"]]).astype(str), sort=True
    )
    k = len(uniques)
    ca, cb = codes[: len(pairs)], codes[len(pairs):]
    pair_codes, pair_keys = pd.factorize(
        pd.MultiIndex.from_arrays([pairs[f"{reviewer}_a"], pairs[f"{reviewer}_b"]]), sort=True
    )
    n_pairs = len(pair_keys)
    conf = np.bincount(pair_codes * k * k + ca * k + cb, minlength=n_pairs * k * k)
    conf = conf.reshape(n_pairs, k, k).astype(float)
    n = conf.sum(axis=(1, 2))
    observed = np.trace(conf, axis1=1, axis2=2) / n
    kappa = kappa_from_confusion(conf, 1.0 - np.eye(k))  # nominal weights; nan when undefined
    keys = pd.MultiIndex.from_tuples(list(pair_keys)) if n_pairs else pair_keys
    return pd.DataFrame(
        {
            "reviewer_a": keys.get_level_values(0),
            "reviewer_b": keys.get_level_values(1),
            "n_items": n.astype(int),
            "agreement": observed,
            "kappa": kappa,
        },
        columns=columns,
    )


def gold_accuracy(
    decisions: pd.DataFrame,
    gold: pd.DataFrame,
    *,
    item: str = "item_id",
    reviewer: str = "reviewer",
    decision: str = "decision",
    label: str = "label",
    label_map: Mapping[str, str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each reviewer's accuracy on gold items, with a Wilson confidence interval.

    ``label_map`` maps decisions onto the gold vocabulary (e.g. every non-"Acceptable"
    decision to ``"Poor quality"``); decisions outside it are compared as they are.

    Returns
    -------
    pandas.DataFrame
        ``reviewer, n_gold, n_correct, accuracy, ci_low, ci_high``.

    Examples
    --------
    >>> d = pd.DataFrame({"item_id": ["g1", "g2", "x"], "reviewer": ["a", "a", "a"],
    ...                   "decision": ["ok", "bad", "ok"]})
    >>> gold = pd.DataFrame({"item_id": ["g1", "g2"], "label": ["ok", "ok"]})
    >>> row = gold_accuracy(d, gold).iloc[0]
    >>> int(row["n_gold"]), float(row["accuracy"])
    (2, 0.5)
    """
    d = _check(decisions, [item, reviewer, decision], "decisions")
    g = _check(gold, [item, label], "gold")
    g = g.assign(**{item: g[item].astype(str)}).drop_duplicates(item)
    d = d.assign(**{item: d[item].astype(str)}).merge(g[[item, label]], on=item, how="inner")
    dec = d[decision].astype(str)
    if label_map:
        dec = dec.map(lambda v: label_map.get(v, v))
    d = d.assign(correct=(dec.to_numpy() == d[label].astype(str).to_numpy()))
    out = d.groupby(reviewer, sort=True)["correct"].agg(n_gold="size", n_correct="sum").reset_index()
    out["n_correct"] = out["n_correct"].astype(int)
    out["accuracy"] = out["n_correct"] / out["n_gold"]
    low, high = wilson_interval(out["n_correct"].to_numpy(), out["n_gold"].to_numpy(), check_confidence(confidence))
    out["ci_low"], out["ci_high"] = np.asarray(low, float), np.asarray(high, float)
    return out.rename(columns={reviewer: "reviewer"})


def throughput(
    events: pd.DataFrame,
    *,
    reviewer: str = "reviewer",
    time: str = "created_at",
    idle: str | pd.Timedelta = "10min",
) -> pd.DataFrame:
    """Items per hour of each reviewer, counting only active time.

    Active time is the sum of the gaps between a reviewer's consecutive events, leaving out
    gaps longer than ``idle`` (breaks, ends of sessions). Undo events are not items.

    Returns
    -------
    pandas.DataFrame
        ``reviewer, n_items, active_hours, items_per_hour, first, last``.

    Examples
    --------
    >>> t = pd.to_datetime(["2026-01-01 09:00", "2026-01-01 09:01", "2026-01-01 09:02",
    ...                     "2026-01-01 15:00"], utc=True)
    >>> e = pd.DataFrame({"reviewer": "a", "kind": "decision", "created_at": t})
    >>> row = throughput(e).iloc[0]
    >>> int(row["n_items"]), float(row["items_per_hour"])
    (4, 60.0)
    """
    e = _check(events, [reviewer, time], "events")
    if "kind" in e.columns:
        e = e[e["kind"] != "undo"]
    e = e.sort_values([reviewer, time])
    gap = e.groupby(reviewer, sort=False)[time].diff().dt.total_seconds()
    limit = pd.Timedelta(idle).total_seconds()
    is_active = (gap <= limit).fillna(False)
    active = gap.where(is_active, 0.0).fillna(0.0)
    out = (
        e.assign(_active=active, _n_active=is_active.astype(int))
        .groupby(reviewer, sort=True)
        .agg(
            n_items=(time, "size"),
            n_active=("_n_active", "sum"),
            active_s=("_active", "sum"),
            first=(time, "min"),
            last=(time, "max"),
        )
        .reset_index()
        .rename(columns={reviewer: "reviewer"})
    )
    out["active_hours"] = out.pop("active_s") / 3600.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["items_per_hour"] = np.where(
            out["active_hours"] > 0, out["n_active"] / out["active_hours"], np.nan
        )
    return out[["reviewer", "n_items", "active_hours", "items_per_hour", "first", "last"]]


def trends(
    decisions: pd.DataFrame,
    *,
    gold: pd.DataFrame | None = None,
    freq: str = "1D",
    keep: Sequence[str] = ("Acceptable",),
    item: str = "item_id",
    decision: str = "decision",
    time: str = "created_at",
    label: str = "label",
) -> pd.DataFrame:
    """Decisions per period: count, share flagged (not in ``keep``), and gold accuracy.

    Returns
    -------
    pandas.DataFrame
        ``period, n_decisions, n_reviewers, flagged_share`` (+ ``gold_accuracy`` and
        ``n_gold`` with ``gold``).
    """
    d = _check(decisions, [item, decision, time], "decisions")
    d = d.assign(
        period=d[time].dt.tz_convert(None).dt.floor(freq) if d[time].dt.tz is not None else d[time].dt.floor(freq),
        flagged=~d[decision].astype(str).isin(list(keep)),
    )
    cols = {"n_decisions": (decision, "size"), "flagged_share": ("flagged", "mean")}
    if "reviewer" in d.columns:
        cols["n_reviewers"] = ("reviewer", "nunique")
    out = d.groupby("period", sort=True).agg(**cols).reset_index()
    if gold is not None:
        g = _check(gold, [item, label], "gold")
        g = g.assign(**{item: g[item].astype(str)}).drop_duplicates(item)[[item, label]]
        m = d.assign(**{item: d[item].astype(str)}).merge(g, on=item)
        m = m.assign(correct=m[decision].astype(str).to_numpy() == m[label].astype(str).to_numpy())
        acc = m.groupby("period").agg(n_gold=("correct", "size"), gold_accuracy=("correct", "mean"))
        out = out.merge(acc.reset_index(), on="period", how="left")
        out["n_gold"] = out["n_gold"].fillna(0).astype(int)
    return out


def display_times(
    events: pd.DataFrame,
    *,
    fast_ms: float = 1000.0,
    min_events: int = 10,
    reviewer: str = "reviewer",
    column: str = "display_ms",
) -> pd.DataFrame:
    """How long items were on screen before each reviewer decided, and who is too fast.

    Uses the decisions in effect that carry a display time (the widget measures it in the
    browser; older events have none). A reviewer whose median display time is below
    ``fast_ms`` over at least ``min_events`` timed decisions is flagged ``too_fast``: at
    that pace the items were not read (typing ahead, holding a key).

    Returns
    -------
    pandas.DataFrame
        ``reviewer, n_timed, median_display_ms, p10_display_ms, share_under_fast, too_fast``.

    Examples
    --------
    >>> e = pd.DataFrame({"reviewer": ["a"] * 10 + ["b"] * 10, "kind": "decision",
    ...                   "display_ms": [4000.0] * 10 + [150.0] * 10})
    >>> display_times(e)[["reviewer", "median_display_ms", "too_fast"]].values.tolist()
    [['a', 4000.0, False], ['b', 150.0, True]]
    """
    cols = ["reviewer", "n_timed", "median_display_ms", "p10_display_ms", "share_under_fast", "too_fast"]
    e = _check(events, [reviewer], "events")
    if column not in e.columns:
        return pd.DataFrame(columns=cols)
    if "kind" in e.columns:
        e = e[e["kind"] == "decision"]
    ms = pd.to_numeric(e[column], errors="coerce")
    e = e.assign(_ms=ms)[ms.notna()]
    if e.empty:
        return pd.DataFrame(columns=cols)
    g = e.groupby(reviewer, sort=True)["_ms"]
    out = pd.DataFrame(
        {
            "n_timed": g.size(),
            "median_display_ms": g.median(),
            "p10_display_ms": g.quantile(0.1),
            "share_under_fast": e.assign(_fast=e["_ms"] < fast_ms).groupby(reviewer, sort=True)["_fast"].mean(),
        }
    ).rename_axis("reviewer").reset_index()
    out["too_fast"] = (out["n_timed"] >= min_events) & (out["median_display_ms"] < fast_ms)
    return out[cols]


@dataclass(frozen=True)
class ReviewKPIs:
    """The KPIs of a review effort; ``to_frame()`` gives one row per reviewer."""

    per_reviewer: pd.DataFrame
    agreement: pd.DataFrame
    trends: pd.DataFrame
    n_decisions: int
    n_items: int
    n_validated: int
    active_hours: float
    cost: float
    cost_per_validated: float
    mean_kappa: float
    gold_accuracy: float
    #: Display times per reviewer (:func:`display_times`) and the reviewers flagged too fast.
    display: pd.DataFrame = field(default_factory=pd.DataFrame)
    too_fast: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.per_reviewer.copy()

    def summary(self) -> str:
        why_kappa = ("a single shared label on every overlap item" if len(self.agreement) else "no overlap items")
        kappa = f"— ({why_kappa})" if np.isnan(self.mean_kappa) else f"{self.mean_kappa:.2f}"
        gold = "— (no gold items)" if np.isnan(self.gold_accuracy) else f"{self.gold_accuracy:.1%}"
        cpv = "— (no validated items)" if np.isnan(self.cost_per_validated) else f"{self.cost_per_validated:,.2f}"
        return (
            f"{self.n_decisions} decisions on {self.n_items} items by "
            f"{len(self.per_reviewer)} reviewer(s) in {self.active_hours:.1f} active hours; "
            f"mean Cohen's kappa on overlap items {kappa}; accuracy on hidden gold {gold}; "
            f"cost per validated sample {cpv} ({self.n_validated} validated items)."
            + (
                f" Implausibly fast (median display time under the limit): {', '.join(self.too_fast)}."
                if self.too_fast
                else ""
            )
        )


def review_kpis(
    source: ReviewStore | pd.DataFrame,
    *,
    gold: pd.DataFrame | None = None,
    cost_per_hour: float = 30.0,
    idle: str = "10min",
    freq: str = "1D",
    keep: Sequence[str] = ("Acceptable",),
    label_map: Mapping[str, str] | None = None,
    fast_ms: float = 1000.0,
) -> ReviewKPIs:
    """All review KPIs at once from a store (or its ``events()`` frame).

    Parameters
    ----------
    source
        The store, or the frame ``ReviewStore.events()`` returns.
    gold
        Gold labels (``item_id``, ``label``) in the decision vocabulary (or via ``label_map``).
    cost_per_hour
        What an hour of reviewing costs; the cost is active hours times this.
    idle
        Gaps longer than this are breaks, not work (see :func:`throughput`).
    freq
        Period of the trends table.
    keep
        Decisions that mean "the item is fine" (the others count as flagged).
    fast_ms
        A reviewer whose median display time (how long an item was on screen before the
        decision) is below this is reported in ``too_fast`` (see :func:`display_times`).

    Notes
    -----
    A validated sample is a non-gold item with at least one decision in effect; cost per
    validated sample = total cost / number of validated items.
    """
    if isinstance(source, ReviewStore):
        events = source.events()
    else:
        events = _check(source, ["item_id", "reviewer", "kind", "created_at", "event_id"], "events")
    if cost_per_hour < 0:
        raise WorkbenchError(f"cost_per_hour={cost_per_hour} must not be negative.")
    decisions = decisions_in_effect(events)
    tp = throughput(events, idle=idle)
    per = tp.copy()
    counts = decisions.groupby("reviewer").size().rename("n_decisions")
    per = per.merge(counts.reset_index(), on="reviewer", how="left")
    per["n_decisions"] = per["n_decisions"].fillna(0).astype(int)
    per["cost"] = per["active_hours"] * cost_per_hour
    shown = display_times(decisions, fast_ms=fast_ms)
    per = per.merge(shown[["reviewer", "median_display_ms", "too_fast"]], on="reviewer", how="left")
    per["too_fast"] = per["too_fast"].astype("boolean").fillna(False).astype(bool)
    gold_acc = float("nan")
    gold_ids: set[str] = set()
    if gold is not None:
        ga = gold_accuracy(decisions, gold, label_map=label_map)
        per = per.merge(ga, on="reviewer", how="left")
        if ga["n_gold"].sum() > 0:
            gold_acc = float(ga["n_correct"].sum() / ga["n_gold"].sum())
        gold_ids = set(gold["item_id"].astype(str))
    agree = reviewer_agreement(decisions)
    mean_kappa = (
        float(np.average(agree["kappa"].dropna(), weights=agree.loc[agree["kappa"].notna(), "n_items"]))
        if agree["kappa"].notna().any()
        else float("nan")
    )
    validated = set(decisions["item_id"]) - gold_ids
    hours = float(tp["active_hours"].sum())
    cost = hours * cost_per_hour
    return ReviewKPIs(
        per_reviewer=per,
        agreement=agree,
        trends=trends(decisions, gold=gold, freq=freq, keep=keep) if len(decisions) else pd.DataFrame(),
        n_decisions=len(decisions),
        n_items=int(decisions["item_id"].nunique()),
        n_validated=len(validated),
        active_hours=hours,
        cost=cost,
        cost_per_validated=cost / len(validated) if validated else float("nan"),
        mean_kappa=mean_kappa,
        gold_accuracy=gold_acc,
        display=shown,
        too_fast=tuple(shown.loc[shown["too_fast"].astype(bool), "reviewer"].astype(str)),
    )

