"""Annotator drift over time and across cohorts, and the root causes of errors.

Every judgment gets two correctness signals:

* ``gold_accuracy`` — 1 if the label equals the gold label of the item, 0 if not, missing
  where the item has no gold label;
* ``consensus_agreement`` — 1 if the label equals the *leave-one-out* majority label of the
  item (the majority of the *other* annotators' labels), 0 if not, missing where the other
  annotators are tied or there are none (ties are not broken at random: a judgment whose
  reference is a tie is left out of the agreement metric).

On these signals the module offers:

* :func:`windowed_quality` — accuracy and agreement per time window and group, with Wilson
  confidence intervals (the timelines);
* :func:`detect_drift` — per-group change-point tests with family-wise false-alarm control,
  the change-point estimate, and EWMA control-chart data against a baseline period;
* :func:`segment_errors` — the ranked root-cause table: error rate per segment (combinations
  of annotator, cohort, category, guideline version, period), excess over the overall rate
  with confidence intervals and multiplicity-corrected tests;
* :func:`confusion_by` — confusion counts per cohort (or any column);
* :func:`recommend_actions` — recommended actions written from the alerts and root causes.

Input policy (documented here once, enforced by every function):

* the ``timestamp`` column must be present and every value must parse as a date; missing or
  unparseable values raise :class:`~workbench.errors.SchemaError` naming the rows (drop or
  fix them first). Numbers are not accepted as dates (convert epoch seconds with
  ``pd.to_datetime(df[col], unit="s")``). Time zones: offsets are converted to UTC. Dates in
  more than one format (ISO beside ``dd/mm/yyyy``, or day/month beside month/day) are an error
  with examples of each; read such a table with ``io.load_table(..., date_format="%d/%m/%Y")``.
* gold items that no annotation mentions raise an error by default, because the usual
  cause is mismatched ids (``7`` vs ``"007"``); pass ``unknown_gold="ignore"`` when the gold
  set is deliberately larger than the batch. Annotated items without gold are normal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from workbench._internal.coding import align_gold, loo_consensus
from workbench._internal.dates import parse_dates
from workbench._internal.segments import (
    DEFAULT_CORRECTION,
    Correction,
    adjust,
    check_correction,
    echoes_parent,
    excess_p_values,
    segment_combinations,
)
from workbench._internal.stats import wilson_interval
from workbench._validation import (
    check_choice,
    format_rows,
    require_columns,
    require_frame,
    validate_table,
)
from workbench.errors import SchemaError, WorkbenchError

__all__ = [
    "DriftFinding",
    "DriftResult",
    "METRICS",
    "TimeScales",
    "changepoint_tests",
    "confusion_by",
    "consensus_agreement",
    "detect_drift",
    "drift_findings",
    "recommend_actions",
    "segment_errors",
    "suggest_time_scales",
    "time_format",
    "windowed_quality",
]

Metric = Literal["gold_accuracy", "consensus_agreement"]
METRICS: tuple[str, ...] = ("gold_accuracy", "consensus_agreement")
Direction = Literal["decrease", "increase", "both"]
UnknownGold = Literal["raise", "ignore"]


# --------------------------------------------------------------------------------------
# input preparation
# --------------------------------------------------------------------------------------


def _parse_timestamps(col: pd.Series, *, table: str, column: str) -> pd.Series:
    """Parse a timestamp column, raising on missing and unparseable values."""
    missing = col.isna().to_numpy()
    if missing.any():
        bad = col.index[missing]
        raise SchemaError(
            f"table '{table}', column '{column}': {int(missing.sum())} missing timestamp(s) at "
            f"{format_rows(bad)}. Drift needs a time for every judgment: drop those rows "
            f"(df.dropna(subset=['{column}'])) or fill them."
        )
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = col
    elif pd.api.types.is_numeric_dtype(col):
        raise SchemaError(
            f"table '{table}', column '{column}' holds numbers ({col.iloc[0]!r}, ...), not dates. "
            f"Convert them first, e.g. df['{column}'] = pd.to_datetime(df['{column}'], unit='s') "
            "for epoch seconds."
        )
    else:  # one format per column, or an error with examples of each (never two readings)
        parsed = parse_dates(col, table=table, column=column)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _window(window: str | pd.Timedelta, *, name: str = "window") -> pd.Timedelta:
    try:
        td = pd.Timedelta(window)
    except (ValueError, TypeError):
        raise WorkbenchError(
            f"{name}={window!r} is not a fixed length of time; use e.g. '7D', '1D', '12h' "
            "(calendar units such as months vary in length and are not supported)."
        ) from None
    if td <= pd.Timedelta(0):
        raise WorkbenchError(f"{name}={window!r} must be a positive length of time, e.g. '7D'.")
    return td


# "nice" window lengths, shortest first; suggest_time_scales picks from these
_LADDER: tuple[str, ...] = (
    "1min", "2min", "5min", "10min", "15min", "30min", "1h", "2h", "3h", "6h", "12h",
    "1D", "2D", "7D", "14D", "28D", "56D", "91D", "182D", "364D",
)


def time_format(step: str | pd.Timedelta) -> str:
    """The ``strftime`` format that shows a time bin of length ``step`` without losing it.

    Whole days show the date, whole minutes the date and minutes, anything finer the seconds.

    Examples
    --------
    >>> time_format("7D"), time_format("10min"), time_format("90s")
    ('%Y-%m-%d', '%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S')
    """
    td = pd.Timedelta(step)
    if td % pd.Timedelta("1D") == pd.Timedelta(0):
        return "%Y-%m-%d"
    if td % pd.Timedelta("1min") == pd.Timedelta(0):
        return "%Y-%m-%d %H:%M"
    return "%Y-%m-%d %H:%M:%S"


def _nice(td: pd.Timedelta) -> pd.Timedelta:
    """The shortest ladder length at least ``td`` (the longest one beyond the ladder)."""
    for step in _LADDER:
        if pd.Timedelta(step) >= td:
            return pd.Timedelta(step)
    return pd.Timedelta(_LADDER[-1])


def _text(td: pd.Timedelta) -> str:
    """A Timedelta as the short string the options take ('7D', '10min', '2h')."""
    secs = int(td.total_seconds())
    for unit, size in (("D", 86400), ("h", 3600), ("min", 60)):
        if secs % size == 0:
            return f"{secs // size}{unit}"
    return f"{secs}s"


def _span_text(span: pd.Timedelta) -> str:
    secs = span.total_seconds()
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if secs >= 2 * size:
            return f"{secs / size:.1f} {unit}"
    return f"{secs:.0f} seconds"


@dataclass(frozen=True)
class TimeScales:
    """Window, baseline and period lengths chosen from the data (see :func:`suggest_time_scales`).

    Attributes
    ----------
    window, baseline, period
        Option strings for :func:`windowed_quality` / :func:`detect_drift` (``window``,
        ``baseline``) and :func:`segment_errors` (``period``), e.g. ``"5min"``.
    span
        Time from the first to the last judgment.
    n
        Judgments.
    n_windows
        Windows the span is cut into.
    """

    window: str
    baseline: str
    period: str
    span: pd.Timedelta
    n: int
    n_windows: int

    def summary(self) -> str:
        """One sentence: the span, the volume and the lengths chosen."""
        return (f"The data span {_span_text(self.span)} with {self.n:,} judgments: windows of {self.window} "
                f"({self.n_windows} of them), a baseline of {self.baseline} and root-cause periods of "
                f"{self.period}.")


def suggest_time_scales(
    annotations: pd.DataFrame,
    *,
    timestamp: str = "timestamp",
    target_windows: int = 16,
    min_per_window: int = 30,
    window: str = "auto",
    baseline: str = "auto",
    period: str = "auto",
) -> TimeScales:
    """Window, baseline and period lengths that suit the data's time span and volume.

    The window is the shortest "nice" length (1 min … 7 days … 1 year) that cuts the span
    into at most ``target_windows`` windows and gives each window, on average, at least
    ``min_per_window`` judgments (fewer windows when the data are few); the baseline is three
    windows and a root-cause period two, as in the defaults 7D / 21D / 14D. A value other than
    ``"auto"`` is kept as given.

    Parameters
    ----------
    annotations
        Long table with a ``timestamp`` column.
    timestamp
        Column name.
    target_windows
        Most windows wanted over the span.
    min_per_window
        Fewest judgments wanted per window on average.
    window, baseline, period
        ``"auto"`` or a fixed length kept as given.

    Returns
    -------
    TimeScales

    Examples
    --------
    >>> t = pd.date_range("2024-01-01 09:00", periods=3000, freq="800ms")
    >>> s = suggest_time_scales(pd.DataFrame({"timestamp": t}))
    >>> s.window, s.baseline, s.period
    ('5min', '15min', '10min')
    >>> t = pd.date_range("2021-01-01", "2023-12-31", periods=5000)
    >>> suggest_time_scales(pd.DataFrame({"timestamp": t})).window
    '91D'
    """
    require_frame(annotations, table="annotations")
    require_columns(annotations, [timestamp], table="annotations")
    t = _parse_timestamps(annotations[timestamp], table="annotations", column=timestamp)
    n = len(t)
    real = (t.max() - t.min()) if n else pd.Timedelta(0)
    span = max(real, pd.Timedelta("1min"))
    by_span = span / max(target_windows, 1)
    by_volume = span * min_per_window / max(n, 1)
    td = _window(window) if window != "auto" else _nice(max(by_span, by_volume))
    base = _window(baseline, name="baseline") if baseline != "auto" else 3 * td
    per = _window(period, name="period") if period != "auto" else 2 * td
    n_windows = int(real // td) + 1
    return TimeScales(_text(td), _text(base), _text(per), real, n, n_windows)


@dataclass(frozen=True, eq=False)
class _Judgments:
    frame: pd.DataFrame  # original columns needed + "_t", "gold_accuracy", "consensus_agreement"
    label_codes: np.ndarray
    labels: pd.Index
    gold_codes: np.ndarray  # per judgment: code of the gold label, -1 none, -2 unknown label
    has_gold: bool


def consensus_agreement(
    annotations: pd.DataFrame,
    *,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
) -> pd.Series:
    """Agreement of each judgment with the leave-one-out majority of the item's other labels.

    Parameters
    ----------
    annotations
        Long table, one row per judgment.
    item, annotator, label
        Column names.

    Returns
    -------
    pandas.Series
        Float, aligned with ``annotations``: 1.0 when the label equals the majority label of
        the other annotators of the item, 0.0 when not, NaN when the others are tied or the
        item has no other annotator (ties are excluded, never broken at random).

    Notes
    -----
    Vectorized: counts ``c[i, l]`` of every label per item, then for a judgment of label
    ``l`` on item ``i`` the others' counts are ``c[i, :] - e_l``.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": ["q", "q", "q", "r", "r"],
    ...                    "annotator_id": ["a", "b", "c", "a", "b"],
    ...                    "label": ["x", "x", "y", "x", "y"]})
    >>> consensus_agreement(df).tolist()
    [nan, nan, 0.0, 0.0, 0.0]
    """
    frame = require_frame(annotations, table="annotations")
    validate_table(
        frame, "annotations", columns={"item_id": item, "annotator_id": annotator, "label": label}
    )
    item_codes, _ = pd.factorize(frame[item])
    label_codes, labels = pd.factorize(frame[label])
    out = _loo_agreement(item_codes, label_codes, len(labels))
    return pd.Series(out, index=frame.index, name="consensus_agreement")


def _loo_agreement(item_codes: np.ndarray, label_codes: np.ndarray, n_labels: int) -> np.ndarray:
    """1/0: the judgment equals the leave-one-out consensus; nan where it is undefined.

    The consensus (and its tie rule) is :func:`workbench._internal.coding.loo_consensus`, the one
    ``annotator_agreement`` uses.
    """
    item_codes = np.asarray(item_codes, dtype=np.int64)
    label_codes = np.asarray(label_codes, dtype=np.int64)
    n_items = int(item_codes.max()) + 1 if len(item_codes) else 0
    counts = np.bincount(item_codes * n_labels + label_codes, minlength=n_items * n_labels).reshape(
        n_items, n_labels
    )
    ref = loo_consensus(item_codes, label_codes, counts)
    return np.where(ref >= 0, (ref == label_codes).astype(float), np.nan)


def _prepare(
    annotations: object,
    gold: object,
    *,
    item: str,
    annotator: str,
    label: str,
    timestamp: str | None,
    extra: Sequence[str],
    unknown_gold: UnknownGold,
) -> _Judgments:
    frame = require_frame(annotations, table="annotations")
    validate_table(
        frame, "annotations", columns={"item_id": item, "annotator_id": annotator, "label": label}
    )
    check_choice(unknown_gold, name="unknown_gold", choices=("raise", "ignore"))
    needed = [c for c in (timestamp, *extra) if c is not None]
    require_columns(frame, list(dict.fromkeys(needed)), table="annotations")
    keep = list(dict.fromkeys([item, annotator, label, *needed]))
    df = frame[keep].copy()
    if timestamp is not None:
        df["_t"] = _parse_timestamps(frame[timestamp], table="annotations", column=timestamp)
    for c in extra:
        if c not in (item, annotator, label, timestamp):
            missing = df[c].isna().to_numpy()
            if missing.any():
                raise SchemaError(
                    f"table 'annotations', column '{c}': {int(missing.sum())} missing value(s) at "
                    f"{format_rows(df.index[missing])}. Fill them "
                    f"(e.g. df['{c}'].fillna('unknown')) "
                    "so that those judgments form their own group."
                )
    item_codes, items = pd.factorize(df[item])
    label_codes, labels = pd.factorize(df[label])
    df["consensus_agreement"] = _loo_agreement(item_codes, label_codes, len(labels))
    gold_codes = np.full(len(df), -1, dtype=np.int64)
    has_gold = gold is not None
    if gold is not None:
        per_item = align_gold(
            gold, pd.Index(items), labels, item=item, label=label, ids=df[item],
            unknown_items=unknown_gold, unknown_labels="wrong",
        )
        gold_codes = per_item[item_codes]
        known = gold_codes != -1
        df["gold_accuracy"] = np.where(known, (gold_codes == label_codes).astype(float), np.nan)
    else:
        df["gold_accuracy"] = np.nan
    return _Judgments(df, label_codes, labels, gold_codes, has_gold)


def _metrics(metrics: Sequence[str] | None, has_gold: bool) -> tuple[str, ...]:
    if metrics is None:
        return METRICS if has_gold else ("consensus_agreement",)
    if isinstance(metrics, str):
        metrics = (metrics,)
    for m in metrics:
        check_choice(m, name="metrics", choices=METRICS)
    if "gold_accuracy" in metrics and not has_gold:
        raise WorkbenchError(
            "metrics includes 'gold_accuracy' but gold=None; pass gold=<gold table> or "
            "metrics=('consensus_agreement',)."
        )
    return tuple(metrics)


def _as_tuple(by: str | Sequence[str] | None, annotator: str = "annotator_id") -> tuple[str, ...]:
    """Normalise a column list; the default name ``annotator_id`` follows ``annotator=``."""
    if by is None:
        return ()
    cols = (by,) if isinstance(by, str) else tuple(by)
    return tuple(annotator if c == "annotator_id" else c for c in cols)


# --------------------------------------------------------------------------------------
# windowed quality
# --------------------------------------------------------------------------------------


def windowed_quality(
    annotations: pd.DataFrame,
    *,
    gold: pd.DataFrame | None = None,
    window: str = "7D",
    by: str | Sequence[str] | None = ("annotator_id",),
    metrics: Sequence[Metric] | None = None,
    confidence: float = 0.95,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    timestamp: str = "timestamp",
    unknown_gold: UnknownGold = "raise",
) -> pd.DataFrame:
    """Accuracy against gold and agreement with leave-one-out consensus per window and group.

    Parameters
    ----------
    annotations
        Long table, one row per judgment, with a ``timestamp`` column.
    gold
        Gold table (``item_id``, ``label``); without it only agreement is computed.
    window
        Fixed window length (``"7D"``, ``"1D"``, ``"12h"``); windows start at midnight of the
        first day in the data.
    by
        Columns that define the groups (``("annotator_id",)``, ``("cohort",)``, ``()`` for all).
    metrics
        Subset of ``("gold_accuracy", "consensus_agreement")``; default all available.
    confidence
        Level of the Wilson intervals.
    item, annotator, label, timestamp
        Column names.
    unknown_gold
        ``"raise"`` (default) or ``"ignore"`` gold items that no annotation mentions.

    Returns
    -------
    pandas.DataFrame
        One row per group, metric and window (windows without judgments are absent):
        the ``by`` columns, ``metric``, ``window_start``, ``n``, ``successes``, ``value``
        (a proportion in [0, 1], higher is better), ``ci_low``, ``ci_high``.

    Raises
    ------
    SchemaError
        Missing columns, missing or unparseable timestamps, duplicate judgments, gold items
        unknown to the annotations (unless ``unknown_gold="ignore"``).

    Examples
    --------
    >>> ann = pd.DataFrame({
    ...     "item_id": ["q1", "q1", "q2", "q2"], "annotator_id": ["a", "b", "a", "b"],
    ...     "label": ["x", "x", "x", "y"],
    ...     "timestamp": ["2024-01-01", "2024-01-02", "2024-01-09", "2024-01-09"]})
    >>> gold = pd.DataFrame({"item_id": ["q1", "q2"], "label": ["x", "y"]})
    >>> w = windowed_quality(ann, gold=gold, metrics=["gold_accuracy"])
    >>> print(w[["annotator_id", "window_start", "n", "value"]].to_string(index=False))
    annotator_id window_start  n  value
               a   2024-01-01  1    1.0
               a   2024-01-08  1    0.0
               b   2024-01-01  1    1.0
               b   2024-01-08  1    1.0
    """
    by_cols = _as_tuple(by, annotator)
    td = _window(window)
    j = _prepare(
        annotations, gold, item=item, annotator=annotator, label=label, timestamp=timestamp,
        extra=by_cols, unknown_gold=unknown_gold,
    )
    mets = _metrics(metrics, j.has_gold)
    df = j.frame
    origin = df["_t"].min().normalize()
    widx = ((df["_t"] - origin) // td).to_numpy()
    parts = []
    for m in mets:
        v = df[m].to_numpy()
        ok = ~np.isnan(v)
        sub = pd.DataFrame({c: df[c].to_numpy()[ok] for c in by_cols})
        sub["_w"] = widx[ok]
        sub["_v"] = v[ok]
        agg = sub.groupby([*by_cols, "_w"], observed=True, sort=True)["_v"].agg(["size", "sum"])
        agg = agg.reset_index()
        agg.insert(len(by_cols), "metric", m)
        parts.append(agg)
    out = pd.concat(parts, ignore_index=True)
    out["window_start"] = origin + out["_w"].astype(np.int64) * td
    out = out.rename(columns={"size": "n", "sum": "successes"})
    out["successes"] = out["successes"].astype(np.int64)
    out["value"] = out["successes"] / out["n"]
    out["ci_low"], out["ci_high"] = wilson_interval(
        out["successes"].to_numpy(), out["n"].to_numpy(), confidence
    )
    cols = [*by_cols, "metric", "window_start", "n", "successes", "value", "ci_low", "ci_high"]
    return out[cols].sort_values([*by_cols, "metric", "window_start"], ignore_index=True)


# --------------------------------------------------------------------------------------
# change-point tests and control charts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DriftResult:
    """Result of :func:`detect_drift`.

    Attributes
    ----------
    alerts
        One row per detected change: ``level`` (the grouping column, e.g. ``annotator_id``),
        ``group`` (its value), one column per level holding the group where it applies
        (``annotator_id`` for annotator alerts, ``cohort`` for cohort alerts; annotator rows
        also carry the annotator's most frequent value of the other levels), ``metric``,
        ``changed_at`` (time of the first judgment after the estimated change point),
        ``before``, ``after`` (rates on either side), ``n_before``, ``n_after``,
        ``statistic``, ``p_value`` (raw), ``p_adjusted`` (Holm), ``first_signal_at`` (first
        window whose EWMA crossed its control limit after the baseline, or NaT).
    tests
        The same columns for every (level, group, metric) sequence tested, plus ``n``,
        ``rate`` and ``alert``.
    charts
        Tidy control-chart data per window: ``level``, ``group``, ``metric``,
        ``window_start``, ``n``, ``value``, ``ewma``, ``center`` (baseline rate), ``lcl``,
        ``ucl``, ``in_baseline``, ``signal``.
    alpha
        Family-wise error rate of the alerts.
    direction
        Which changes were tested (``decrease``, ``increase`` or ``both``).
    window, baseline
        Chart window and baseline length.
    """

    alerts: pd.DataFrame
    tests: pd.DataFrame
    charts: pd.DataFrame
    alpha: float
    direction: str
    window: pd.Timedelta
    baseline: pd.Timedelta
    levels: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """Every tested sequence with its statistic, p-values and alert flag."""
        return self.tests.copy()

    def summary(self) -> str:
        """One paragraph: how many sequences were tested and what changed."""
        n_tests = int(self.tests["p_value"].notna().sum())
        if n_tests == 0:
            return (
                f"Nothing testable: no ({', '.join(self.levels)} × metric) sequence has enough "
                "judgments with a quality value. Drift needs gold labels or items "
                "labelled by more than one annotator, and at least min_judgments judgments "
                "per sequence."
            )
        head = (
            f"Tested {n_tests} sequences ({', '.join(self.levels)} × metric) for a "
            f"{self.direction} in quality with a CUSUM change-point test, Holm-corrected to a "
            f"family-wise false-alarm rate of {self.alpha:g}: "
        )
        if self.alerts.empty:
            return head + "no change detected."
        parts = []
        for r in self.alerts.itertuples(index=False):
            parts.append(
                f"{r.level} {r.group} {r.metric.replace('_', ' ')} "
                f"{r.before:.0%} → {r.after:.0%} "
                f"around {pd.Timestamp(r.changed_at).strftime(time_format(self.window))} "
                f"(p_adj={r.p_adjusted:.1g})"
            )
        return head + f"{len(parts)} alert(s): " + "; ".join(parts) + "."


def _segments(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    lengths = np.diff(np.r_[starts, len(codes)])
    return starts, lengths


def _xlogx(s: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Bernoulli log-likelihood at the MLE: s log(s/n) + (n-s) log(1-s/n), 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = n - s
        a = np.where(s > 0, s * np.log(s / n), 0.0)
        b = np.where(f > 0, f * np.log(f / n), 0.0)
    return a + b


def changepoint_tests(
    x: np.ndarray,
    gcodes: np.ndarray,
    times: np.ndarray,
    *,
    direction: str,
    min_segment: float,
) -> pd.DataFrame:
    """CUSUM test and ML change point for each group's Bernoulli sequence (sorted by group).

    The array kernel of :func:`detect_drift` (public for benchmarks and tests): ``x`` holds
    0/1 outcomes sorted by group code ``gcodes`` and, within a group, by ``times``. Returns
    one row per group: ``_g``, ``n``, ``rate``, ``statistic``, ``p_value``, ``changed_at``,
    ``before``, ``after``, ``n_before``, ``n_after``.
    """
    starts, lengths = _segments(gcodes)
    n_groups = len(starts)
    gid = np.repeat(np.arange(n_groups), lengths)
    cs = np.cumsum(x)
    offset = np.r_[0.0, cs][starts]
    s_k = cs - offset[gid]  # successes among the first k judgments of the group
    k = np.arange(len(x)) - starts[gid] + 1
    n = lengths[gid].astype(float)
    total = s_k[starts + lengths - 1]
    p_hat = total / lengths
    d = s_k - k * p_hat[gid]  # CUSUM of deviations; positive = better before
    if direction == "decrease":
        dd = d
    elif direction == "increase":
        dd = -d
    else:
        dd = np.abs(d)
    sd = np.sqrt(lengths * p_hat * (1 - p_hat))
    sup = np.maximum.reduceat(dd, starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(sd > 0, sup / sd, 0.0)
    if direction == "both":
        p = stats.kstwobign.sf(statistic)
    else:
        p = np.exp(-2.0 * np.maximum(statistic, 0.0) ** 2)
    p = np.where(sd > 0, p, 1.0)

    # maximum-likelihood single change point, restricted to segments of min_segment judgments
    m = np.maximum(np.ceil(min_segment * lengths), 1.0)[gid]
    s_rest = total[gid] - s_k
    ll = _xlogx(s_k, k) + _xlogx(s_rest, n - k)
    valid = (k >= m) & (n - k >= m)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = s_k / k
        p2 = np.where(n - k > 0, s_rest / (n - k), np.nan)
    if direction == "decrease":
        valid &= p1 > p2
    elif direction == "increase":
        valid &= p1 < p2
    ll = np.where(valid, ll, -np.inf)
    best = np.maximum.reduceat(ll, starts)
    hit = np.flatnonzero((ll == best[gid]) & np.isfinite(ll))
    first_gid, first_pos = np.unique(gid[hit], return_index=True)
    kpos = np.full(n_groups, -1, dtype=np.int64)
    kpos[first_gid] = hit[first_pos]
    has = kpos >= 0
    kk = np.where(has, k[np.maximum(kpos, 0)], 0).astype(float)
    sk = np.where(has, s_k[np.maximum(kpos, 0)], np.nan)
    after_idx = np.minimum(np.maximum(kpos, 0) + 1, len(x) - 1)
    changed_at = np.where(has, times[after_idx], np.datetime64("NaT"))
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(has, sk / kk, np.nan)
        after = np.where(has, (total - sk) / (lengths - kk), np.nan)
    return pd.DataFrame(
        {
            "_g": gcodes[starts],
            "n": lengths,
            "rate": p_hat,
            "statistic": statistic,
            "p_value": p,
            "changed_at": pd.to_datetime(changed_at),
            "before": before,
            "after": after,
            "n_before": np.where(has, kk, 0).astype(np.int64),
            "n_after": np.where(has, lengths - kk, 0).astype(np.int64),
        }
    )


def _ewma_chart(
    sub: pd.DataFrame,
    *,
    td: pd.Timedelta,
    origin: pd.Timestamp,
    baseline: pd.Timedelta,
    lam: float,
    L: float,
    direction: str,
) -> pd.DataFrame:
    """EWMA chart of window proportions per group, limits from each group's baseline period."""
    first = sub.groupby("_g", sort=True)["_t"].transform("min")
    in_base = (sub["_t"] - first) < baseline
    base = sub[in_base.to_numpy()].groupby("_g", sort=True)["_v"].mean()
    sub = sub.assign(_w=((sub["_t"] - origin) // td).to_numpy())
    win = sub.groupby(["_g", "_w"], sort=True)["_v"].agg(["size", "sum"])
    n = win["size"].unstack(fill_value=0)
    s = win["sum"].unstack(fill_value=0.0)
    first_w = ((first.groupby(sub["_g"]).first() - origin) // td).reindex(n.index)
    base_end_w = ((first.groupby(sub["_g"]).first() + baseline - origin) / td).reindex(n.index)
    p0 = base.reindex(n.index).to_numpy()
    nn = n.to_numpy(dtype=float)
    ss = s.to_numpy(dtype=float)
    z = np.empty_like(nn)
    var = np.empty_like(nn)
    z_prev = p0.copy()
    v_prev = np.zeros(len(p0))
    started = np.zeros(len(p0), dtype=bool)
    for t in range(nn.shape[1]):
        has = nn[:, t] > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            pt = np.where(has, ss[:, t] / nn[:, t], np.nan)
            vt = np.where(has, lam**2 * p0 * (1 - p0) / nn[:, t], 0.0)
        z_prev = np.where(has, lam * pt + (1 - lam) * z_prev, z_prev)
        v_prev = np.where(has, vt + (1 - lam) ** 2 * v_prev, v_prev)
        started |= has
        z[:, t] = z_prev
        var[:, t] = v_prev
    cols = n.columns.to_numpy()
    g_idx = np.repeat(n.index.to_numpy(), len(cols))
    w_idx = np.tile(cols, len(n.index))
    chart = pd.DataFrame(
        {
            "_g": g_idx,
            "window_start": origin + pd.to_timedelta(w_idx.astype(np.int64) * td.value, unit="ns"),
            "n": nn.ravel().astype(np.int64),
            "value": np.where(
                nn.ravel() > 0, ss.ravel() / np.where(nn.ravel() > 0, nn.ravel(), 1), np.nan
            ),
            "ewma": z.ravel(),
            "center": np.repeat(p0, len(cols)),
            "lcl": np.repeat(p0, len(cols)) - L * np.sqrt(var.ravel()),
            "ucl": np.repeat(p0, len(cols)) + L * np.sqrt(var.ravel()),
            "in_baseline": (w_idx + 1) <= np.repeat(base_end_w.to_numpy(), len(cols)),
        }
    )
    chart = chart[(w_idx >= np.repeat(first_w.to_numpy(), len(cols))) & (chart["n"].to_numpy() > 0)]
    low = chart["ewma"] < chart["lcl"]
    high = chart["ewma"] > chart["ucl"]
    sig = {"decrease": low, "increase": high, "both": low | high}[direction]
    chart = chart.assign(signal=sig & ~chart["in_baseline"])
    return chart.reset_index(drop=True)


_TEST_DTYPES = {
    "level": object, "group": object, "metric": object, "_g": np.int64, "n": np.int64,
    "rate": float, "statistic": float, "p_value": float, "changed_at": "datetime64[ns]",
    "before": float, "after": float, "n_before": np.int64, "n_after": np.int64,
}
_CHART_DTYPES = {
    "level": object, "group": object, "metric": object, "_g": np.int64,
    "window_start": "datetime64[ns]", "n": np.int64, "value": float, "ewma": float,
    "center": float, "lcl": float, "ucl": float, "in_baseline": bool, "signal": bool,
}


def _empty_frame(dtypes: dict[str, Any]) -> pd.DataFrame:
    """A frame with no rows and the given columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})


def detect_drift(
    annotations: pd.DataFrame,
    *,
    gold: pd.DataFrame | None = None,
    window: str = "7D",
    levels: str | Sequence[str] = ("annotator_id",),
    metrics: Sequence[Metric] | None = None,
    direction: Direction = "decrease",
    alpha: float = 0.01,
    baseline: str = "21D",
    min_judgments: int = 30,
    min_segment: float = 0.05,
    ewma_lambda: float = 0.3,
    control_limit: float = 3.0,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    timestamp: str = "timestamp",
    unknown_gold: UnknownGold = "raise",
) -> DriftResult:
    """Detect changes in annotator (or cohort) quality over time, with false alarms controlled.

    For every group of every level (each annotator; each cohort if ``levels`` includes
    ``"cohort"``) and every metric, the judgments' correctness (0/1 against gold, or against
    the leave-one-out consensus) is ordered by time and tested for a single change.

    Parameters
    ----------
    annotations
        Long table, one row per judgment, with a ``timestamp``.
    gold
        Gold labels (``item_id``, ``label``); without it only consensus agreement is tested.
    window
        Window of the control-chart data (``"7D"``).
    levels
        Grouping columns tested separately, e.g. ``("annotator_id", "cohort")``.
    metrics
        Subset of ``("gold_accuracy", "consensus_agreement")``; default all available.
    direction
        ``"decrease"`` (default: quality got worse), ``"increase"`` or ``"both"``.
    alpha
        Family-wise false-alarm rate over all sequences tested in this call (1 % by
        default, so that a clean batch stays free of alerts in 99 runs of 100).
    baseline
        Length of each group's baseline period (from its first judgment) that sets the
        control chart's centre line.
    min_judgments
        Sequences with fewer judgments are not tested (``p_value`` NaN).
    min_segment
        The change-point estimate leaves at least this fraction of the sequence on each side.
    ewma_lambda, control_limit
        EWMA smoothing weight and the width of the control limits in standard errors.
    item, annotator, label, timestamp
        Column names.
    unknown_gold
        ``"raise"`` (default) or ``"ignore"`` gold items that no annotation mentions.

    Returns
    -------
    DriftResult
        ``.alerts``, ``.tests`` (``to_frame()``), ``.charts``, ``summary()``.

    Raises
    ------
    SchemaError
        Missing columns, missing or unparseable timestamps, duplicate judgments, gold items
        unknown to the annotations (unless ``unknown_gold="ignore"``).
    WorkbenchError
        Invalid options.

    Notes
    -----
    **Test.** For a 0/1 sequence :math:`x_1..x_n` with mean :math:`\\hat p`, the CUSUM of
    deviations is :math:`D_k = \\sum_{i\\le k} x_i - k\\hat p`. Under no change (an
    exchangeable sequence) :math:`D_{\\lfloor tn \\rfloor}/\\sqrt{n\\hat p(1-\\hat p)}`
    converges to a Brownian bridge :math:`B(t)` (Ploberger & Krämer 1992; the OLS-CUSUM
    test, statsmodels ``breaks_cusumolsresid``). A decrease is tested with
    :math:`T=\\max_k D_k/\\sqrt{n\\hat p(1-\\hat p)}` and
    :math:`P(\\sup B > T) = e^{-2T^2}`; an increase with :math:`-D_k`; both directions
    with :math:`\\max|D_k|` and the Kolmogorov distribution (``scipy.stats.kstwobign``).
    The maximum over a discrete sequence is below the continuous supremum, so the p-value
    is conservative.

    **False-alarm control.** The p-values of all (level, group, metric) sequences tested in
    one call are adjusted with Holm's step-down method (valid under any dependence, e.g.
    between the two metrics of one annotator), and an alert is raised where the adjusted
    p-value is at most ``alpha``: the probability of any alert on data without change is
    at most ``alpha`` (1 % by default; ``benchmarks/drift.py`` measures it on 100 null data
    sets).

    **Change point.** The time of change is the maximum-likelihood single change point of a
    Bernoulli sequence: the split :math:`k` maximising
    :math:`\\ell(x_{1..k}) + \\ell(x_{k+1..n})` with
    :math:`\\ell = s\\log(s/m) + (m-s)\\log(1-s/m)`, restricted to a change in ``direction``
    and to at least ``min_segment`` of the judgments on each side. ``changed_at`` is the
    time of the first judgment after the split.

    **Control chart.** An EWMA of window proportions :math:`z_t = \\lambda p_t +
    (1-\\lambda) z_{t-1}`, started at the baseline rate :math:`p_0` of the group's first
    ``baseline`` days, with limits :math:`p_0 \\pm L\\sqrt{V_t}`,
    :math:`V_t = \\lambda^2 p_0(1-p_0)/n_t + (1-\\lambda)^2 V_{t-1}` (exact for
    variable window sizes). Chart signals show *when* a change became visible; they are
    not alerts on their own (many windows × many annotators would give false alarms).

    References
    ----------
    Ploberger, W. & Krämer, W. (1992). The CUSUM test with OLS residuals. Econometrica
    60(2), 271-285. https://doi.org/10.2307/2951597

    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics 6(2), 65-70.

    Lucas, J. M. & Saccucci, M. S. (1990). Exponentially weighted moving average control
    schemes. Technometrics 32(1), 1-12. https://doi.org/10.1080/00401706.1990.10484583

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = pd.date_range("2024-01-01", periods=400, freq="6h")
    >>> correct = np.r_[rng.random(200) < 0.95, rng.random(200) < 0.6]
    >>> ann = pd.DataFrame({"item_id": [f"q{i}" for i in range(400)], "annotator_id": "a1",
    ...                     "label": np.where(correct, "pos", "neg"), "timestamp": t})
    >>> gold = pd.DataFrame({"item_id": ann["item_id"], "label": "pos"})
    >>> res = detect_drift(ann, gold=gold)
    >>> a = res.alerts.iloc[0]
    >>> a["annotator_id"], a["metric"], str(a["changed_at"].date())
    ('a1', 'gold_accuracy', '2024-02-18')
    """
    lv = _as_tuple(levels, annotator)
    if not lv:
        raise WorkbenchError("levels=() tests nothing; pass e.g. levels=('annotator_id',).")
    check_choice(direction, name="direction", choices=("decrease", "increase", "both"))
    if not 0 < alpha < 1:
        raise WorkbenchError(f"alpha={alpha!r} must lie strictly between 0 and 1, e.g. 0.05.")
    if not 0 < ewma_lambda <= 1:
        raise WorkbenchError(f"ewma_lambda={ewma_lambda!r} must lie in (0, 1], e.g. 0.3.")
    if not 0 <= min_segment < 0.5:
        raise WorkbenchError(f"min_segment={min_segment!r} must lie in [0, 0.5), e.g. 0.05.")
    td = _window(window)
    base_td = _window(baseline, name="baseline")
    j = _prepare(
        annotations, gold, item=item, annotator=annotator, label=label, timestamp=timestamp,
        extra=lv, unknown_gold=unknown_gold,
    )
    mets = _metrics(metrics, j.has_gold)
    df = j.frame
    t_ns = df["_t"].to_numpy()
    origin = df["_t"].min().normalize()
    tests, charts = [], []
    for level in lv:
        gcodes_all, gvalues = pd.factorize(df[level], sort=True)
        for m in mets:
            v = df[m].to_numpy()
            ok = np.flatnonzero(~np.isnan(v))
            if len(ok) == 0:
                continue
            order = ok[np.lexsort((t_ns[ok], gcodes_all[ok]))]
            g = gcodes_all[order]
            x = v[order]
            tt = t_ns[order]
            res = changepoint_tests(x, g, tt, direction=direction, min_segment=min_segment)
            res.loc[res["n"] < min_judgments, ["p_value"]] = np.nan
            res.insert(0, "group", np.asarray(gvalues, dtype=object)[res["_g"].to_numpy()])
            res.insert(0, "metric", m)
            res.insert(0, "level", level)
            tests.append(res)
            sub = pd.DataFrame({"_g": g, "_t": pd.to_datetime(tt), "_v": x})
            ch = _ewma_chart(
                sub, td=td, origin=origin, baseline=base_td, lam=ewma_lambda,
                L=control_limit, direction=direction,
            )
            ch.insert(0, "group", np.asarray(gvalues, dtype=object)[ch["_g"].to_numpy()])
            ch.insert(0, "metric", m)
            ch.insert(0, "level", level)
            charts.append(ch)
    # degenerate data (no gold and no shared items, or too few rows) gives no sequence to
    # test: empty frames that keep their columns, so the result still reads "nothing testable"
    test_df = pd.concat(tests, ignore_index=True) if tests else _empty_frame(_TEST_DTYPES)
    chart_df = pd.concat(charts, ignore_index=True) if charts else _empty_frame(_CHART_DTYPES)
    tested = test_df["p_value"].notna().to_numpy()
    p_adj = np.full(len(test_df), np.nan)
    if tested.any():
        p_adj[tested] = multipletests(test_df["p_value"].to_numpy()[tested], method="holm")[1]
    test_df["p_adjusted"] = p_adj
    test_df["alert"] = (p_adj <= alpha) & test_df["changed_at"].notna().to_numpy()
    # first EWMA signal after the change point (or anywhere after the baseline)
    sig = chart_df[chart_df["signal"]].groupby(["level", "group", "metric"])["window_start"].min()
    key = pd.MultiIndex.from_frame(test_df[["level", "group", "metric"]])
    test_df["first_signal_at"] = sig.reindex(key).to_numpy()
    # per-level columns: the group where it applies, otherwise the modal value for annotators
    for level in lv:
        test_df[level] = pd.Series(pd.NA, index=test_df.index, dtype=object)
        here = test_df["level"] == level
        test_df.loc[here, level] = test_df.loc[here, "group"]
    if annotator in lv:
        others = [c for c in lv if c != annotator]
        if others:
            modal = df.groupby(annotator, sort=False)[others].agg(lambda s: s.mode().iat[0])
            here = (test_df["level"] == annotator).to_numpy()
            for c in others:
                test_df.loc[here, c] = modal[c].reindex(test_df.loc[here, "group"]).to_numpy()
    cols = [
        "level", "group", *lv, "metric", "n", "rate", "changed_at", "before", "after",
        "n_before", "n_after", "statistic", "p_value", "p_adjusted", "alert", "first_signal_at",
    ]
    test_df = test_df[cols]
    alerts = (
        test_df[test_df["alert"]]
        .drop(columns=["alert", "n", "rate"])
        .sort_values(["p_adjusted", "level", "group"], ignore_index=True)
    )
    chart_df = chart_df.drop(columns="_g")[
        ["level", "group", "metric", "window_start", "n", "value", "ewma", "center", "lcl", "ucl",
         "in_baseline", "signal"]
    ]
    return DriftResult(
        alerts=alerts,
        tests=test_df.sort_values(["level", "group", "metric"], ignore_index=True),
        charts=chart_df,
        alpha=alpha,
        direction=direction,
        window=td,
        baseline=base_td,
        levels=lv,
    )


# --------------------------------------------------------------------------------------
# root causes
# --------------------------------------------------------------------------------------


def segment_errors(
    annotations: pd.DataFrame,
    *,
    gold: pd.DataFrame | None,
    by: Sequence[str] = ("annotator_id", "cohort", "category", "guideline_version", "period"),
    period: str = "14D",
    max_depth: int = 3,
    min_n: int = 20,
    alpha: float = 0.05,
    correction: Correction = DEFAULT_CORRECTION,
    max_causes: int = 5,
    confidence: float = 0.95,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    timestamp: str = "timestamp",
    unknown_gold: UnknownGold = "raise",
    if_empty: Literal["raise", "return"] = "raise",
) -> pd.DataFrame:
    """The ranked root-cause table: where errors concentrate, with CIs and corrected tests.

    Every combination of up to ``max_depth`` of the ``by`` columns defines segments (e.g.
    ``cohort=night, category=books, guideline_version=v2``). For each segment with at least
    ``min_n`` judgments the error rate is compared with the rest of the judgments.

    Parameters
    ----------
    annotations
        Long table, one row per judgment.
    gold
        Gold labels; errors are judgments that differ from gold. ``None`` uses disagreement
        with the leave-one-out consensus instead (ties left out).
    by
        Columns to combine. The name ``"period"`` is special: the timestamp floored to
        ``period``-long bins from the first day (needs the ``timestamp`` column).
    period
        Length of a period (``"14D"``).
    max_depth
        Largest number of columns combined in one segment.
    min_n
        Segments with fewer judgments are left out (too small to test).
    alpha
        Significance level after correction.
    correction
        Multiple-testing correction over all segments tested: ``"holm"`` (family-wise error
        rate, the default of every segment search, shared with
        :func:`workbench.acceptance.check_batch`; see :mod:`workbench._internal.segments`)
        or ``"fdr_bh"`` (Benjamini–Hochberg false discovery rate: more power for exploratory
        ranking).
    max_causes
        Rounds of the greedy explanation (see ``cause`` below).
    confidence
        Level of the confidence intervals.
    item, annotator, label, timestamp
        Column names.
    unknown_gold
        ``"raise"`` (default) or ``"ignore"`` gold items that no annotation mentions.
    if_empty
        ``"raise"`` (default) when no segment can be tested (no reference labels, or no
        segment with ``min_n`` judgments); ``"return"`` gives the table with no rows instead,
        for reports that state the fact and go on.

    Returns
    -------
    pandas.DataFrame
        Ranked, one row per segment: ``rank``, ``segment`` (readable), one column per ``by``
        column (NA where the segment does not fix it), ``depth``, ``n``, ``errors``,
        ``error_rate``, ``ci_low``, ``ci_high`` (Wilson), ``overall_rate``, ``excess``
        (error rate minus overall rate), ``excess_low``, ``excess_high``, ``z`` (the
        two-proportion z statistic, segment vs rest), ``log_p``, ``p_value`` (one-sided
        Fisher exact test for an excess), ``p_adjusted``, ``significant``, ``cause``.
        Significant excesses come first, ordered by ``log_p`` (strength of evidence). When
        the excess errors sit in one cell, the evidence is strongest for that cell: a
        broader segment dilutes the excess with clean judgments, a narrower one has fewer
        judgments, so the purest segment ranks first. ``attrs["confidence"]`` holds the
        level of the intervals.
        ``cause`` (1, 2, … or NA) marks the segments of a greedy explanation: the top
        segment, then the top segment once its judgments are removed, and so on while
        one is significant. A segment that only echoes an earlier cause (a single night
        annotator when the night cohort is to blame) loses its excess once that cause's
        judgments are removed, so ``cause`` lists distinct root causes.

    Notes
    -----
    The test compares the segment with the rest in a 2×2 table (errors / correct ×
    segment / rest): the one-sided Fisher exact test, i.e. the hypergeometric tail
    :math:`P(X \\ge e)`, :math:`X \\sim \\mathrm{Hypergeom}(N, E, n)` (``scipy.stats.fisher_exact``
    with ``alternative="greater"``), exact for the small segments where the z-test
    (also reported, equal to statsmodels ``proportions_ztest``) overstates significance.
    Only excesses are tested: a segment with fewer errors than the rest is no root cause.
    The overall rate is a mix of segment and rest,
    so ``excess = (1 - n/N) (r_segment - r_rest)``; its CI is Newcombe's hybrid score
    interval of ``r_segment - r_rest`` scaled by ``1 - n/N``. p-values are corrected over
    all segments tested (``correction``).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions. Statistics in Medicine 17(8), 873-890.
    https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I

    Examples
    --------
    >>> ann = pd.DataFrame({
    ...     "item_id": [f"q{i}" for i in range(200)], "annotator_id": "a",
    ...     "cohort": ["night"] * 100 + ["day"] * 100,
    ...     "label": ["neg"] * 60 + ["pos"] * 140})
    >>> gold = pd.DataFrame({"item_id": ann["item_id"], "label": "pos"})
    >>> t = segment_errors(ann, gold=gold, by=["cohort"])
    >>> r = t.iloc[0]
    >>> print(r["segment"], r["n"], r["error_rate"], bool(r["significant"]))
    cohort=night 100 0.6 True
    """
    by_cols = _as_tuple(by, annotator)
    if not by_cols:
        raise WorkbenchError(
            "by=() gives no segments; pass columns, e.g. by=['cohort', 'category']."
        )
    if not 1 <= max_depth:
        raise WorkbenchError(f"max_depth={max_depth!r} must be at least 1.")
    check_correction(correction)
    check_choice(if_empty, name="if_empty", choices=("raise", "return"))
    use_period = "period" in by_cols
    real_cols = [c for c in by_cols if c != "period"]
    j = _prepare(
        annotations, gold, item=item, annotator=annotator, label=label,
        timestamp=timestamp if use_period else None, extra=real_cols, unknown_gold=unknown_gold,
    )
    df = j.frame
    metric = "gold_accuracy" if gold is not None else "consensus_agreement"
    ok = df[metric].notna().to_numpy()
    data = pd.DataFrame({c: df[c].to_numpy()[ok] for c in real_cols})
    if use_period:
        td = _window(period, name="period")
        origin = df["_t"].min().normalize()
        t = df["_t"].to_numpy()[ok]
        data["period"] = (origin + ((pd.to_datetime(t) - origin) // td) * td).strftime(time_format(td))
    data["_e"] = 1.0 - df[metric].to_numpy()[ok]
    total_n = len(data)
    empty = pd.DataFrame(columns=[
        "rank", "segment", *by_cols, "depth", "n", "errors", "error_rate", "ci_low", "ci_high",
        "overall_rate", "excess", "excess_low", "excess_high", "z", "log_p", "p_value", "p_adjusted",
        "significant", "cause"])
    empty.attrs["confidence"] = confidence
    if total_n == 0 and if_empty == "return":
        return empty
    if total_n == 0:
        raise WorkbenchError(
            "no judgment has a reference label (no gold item annotated, or every consensus tied); "
            "nothing to segment."
        )
    table = _segment_table(
        data, by_cols, max_depth=max_depth, min_n=min_n, alpha=alpha, correction=correction,
        confidence=confidence,
    )
    if table.empty and if_empty == "return":
        return empty
    if table.empty:
        raise WorkbenchError(
            f"no segment has at least min_n={min_n} judgments and less than all of them; "
            "lower min_n or pass fewer/other by= columns."
        )
    # greedy explanation: take the top significant segment, remove its judgments, repeat
    cause = pd.Series(pd.NA, index=table["segment"].to_numpy(), dtype="Int64")
    rest = data
    for i in range(1, max_causes + 1):
        t = _segment_table(
            rest, by_cols, max_depth=max_depth, min_n=min_n, alpha=alpha, correction=correction,
            confidence=confidence,
        )
        if t.empty or not t["significant"].iloc[0]:
            break
        top = t.iloc[0]
        if top["segment"] in cause.index:
            cause[top["segment"]] = i
        mask = np.ones(len(rest), dtype=bool)
        for c in by_cols:
            if pd.notna(top[c]):
                mask &= (rest[c] == top[c]).to_numpy()
        rest = rest[~mask]
    table["cause"] = cause.reindex(table["segment"].to_numpy()).to_numpy()
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table.attrs["confidence"] = confidence
    return table


def _segment_table(
    data: pd.DataFrame,
    by_cols: tuple[str, ...],
    *,
    max_depth: int,
    min_n: int,
    alpha: float,
    correction: str,
    confidence: float,
) -> pd.DataFrame:
    """Segment statistics of ``data`` (by columns + ``_e`` 0/1 error), ranked by z."""
    total_n = len(data)
    total_e = float(data["_e"].sum())
    counts: dict[tuple[str, ...], pd.DataFrame] = {}
    for combo in segment_combinations(by_cols, max_depth):
        agg = data.groupby(list(combo), observed=True, sort=False)["_e"].agg(["size", "sum"])
        counts[combo] = agg.reset_index()
    # a segment with the same rows as its parent (one column fewer) is the parent said again:
    # one row, under the shorter name (issue 27)
    echoes = echoes_parent(counts, n_column="size")
    parts = []
    for combo, agg in counts.items():
        agg = agg[~echoes[combo]].copy()
        agg["depth"] = len(combo)
        agg["segment"] = [
            ", ".join(f"{c}={v}" for c, v in zip(combo, row, strict=True))
            for row in agg[list(combo)].itertuples(index=False, name=None)
        ]
        parts.append(agg)
    seg = pd.concat(parts, ignore_index=True)
    seg = seg.rename(columns={"size": "n", "sum": "errors"})
    seg = seg[(seg["n"] >= min_n) & (seg["n"] < total_n)].reset_index(drop=True)
    if seg.empty:
        return seg
    n = seg["n"].to_numpy(dtype=float)
    e = seg["errors"].to_numpy(dtype=float)
    n_r = total_n - n
    e_r = total_e - e
    r = e / n
    r_r = e_r / n_r
    overall = total_e / total_n
    pooled = total_e / total_n
    se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n_r))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (r - r_r) / se, 0.0)
    # one-sided Fisher exact test for an excess: P(X >= e), X ~ Hypergeom(N, E, n)
    log_p = excess_p_values(e, n, e_r, n_r, log=True)
    p = np.exp(log_p)
    p_adj = adjust(p, correction)  # type: ignore[arg-type]
    d_low, d_high = confint_proportions_2indep(
        e, n, e_r, n_r, method="newcomb", compare="diff", alpha=1 - confidence
    )
    scale = n_r / total_n
    lo, hi = wilson_interval(e, n, confidence)
    out = pd.DataFrame({c: seg[c] if c in seg.columns else pd.NA for c in by_cols})
    for c in by_cols:
        out[c] = out[c].astype(object).where(out[c].notna(), pd.NA)
    out.insert(0, "segment", seg["segment"])
    out["depth"] = seg["depth"].to_numpy()
    out["n"] = seg["n"].to_numpy().astype(np.int64)
    out["errors"] = e.astype(np.int64)
    out["error_rate"] = r
    out["ci_low"] = lo
    out["ci_high"] = hi
    out["overall_rate"] = overall
    out["excess"] = r - overall
    out["excess_low"] = np.asarray(d_low) * scale
    out["excess_high"] = np.asarray(d_high) * scale
    out["z"] = z
    out["log_p"] = log_p
    out["p_value"] = p
    out["p_adjusted"] = p_adj
    out["significant"] = (p_adj <= alpha) & (out["excess"].to_numpy() > 0)
    out = out.sort_values(
        ["significant", "log_p", "n"], ascending=[False, True, False], ignore_index=True
    )
    return out


def confusion_by(
    annotations: pd.DataFrame,
    *,
    gold: pd.DataFrame | None = None,
    by: str | Sequence[str] = ("cohort",),
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    unknown_gold: UnknownGold = "raise",
) -> pd.DataFrame:
    """Confusion counts of labels against gold (or the leave-one-out consensus) per group.

    Returns
    -------
    pandas.DataFrame
        Columns: the ``by`` columns, ``reference`` (gold or consensus label), ``label``,
        ``n``, ``share`` (of the reference row within the group, in [0, 1]).

    Examples
    --------
    >>> ann = pd.DataFrame({"item_id": ["q1", "q2", "q3"], "annotator_id": "a",
    ...                     "cohort": "day", "label": ["x", "y", "y"]})
    >>> gold = pd.DataFrame({"item_id": ["q1", "q2", "q3"], "label": ["x", "x", "y"]})
    >>> confusion_by(ann, gold=gold)[["reference", "label", "n"]].values.tolist()
    [['x', 'x', 1], ['x', 'y', 1], ['y', 'y', 1]]
    """
    by_cols = _as_tuple(by, annotator)
    j = _prepare(
        annotations, gold, item=item, annotator=annotator, label=label, timestamp=None,
        extra=by_cols, unknown_gold=unknown_gold,
    )
    df = j.frame
    if gold is not None:
        ref_codes = j.gold_codes
        ok = ref_codes >= 0
    else:
        item_codes, _ = pd.factorize(df[item])
        n_labels = len(j.labels)
        counts = np.bincount(
            item_codes.astype(np.int64) * n_labels + j.label_codes,
            minlength=(int(item_codes.max()) + 1) * n_labels,
        ).reshape(-1, n_labels)
        others = counts[item_codes]
        others[np.arange(len(df)), j.label_codes] -= 1
        ref_codes = others.argmax(axis=1)
        ok = df["consensus_agreement"].notna().to_numpy() | (
            (others.max(axis=1) > 0) & ((others == others.max(axis=1)[:, None]).sum(axis=1) == 1)
        )
    sub = pd.DataFrame({c: df[c].to_numpy()[ok] for c in by_cols})
    sub["reference"] = np.asarray(j.labels)[ref_codes[ok]]
    sub["label"] = df[label].to_numpy()[ok]
    keys = [*by_cols, "reference", "label"]
    out = sub.groupby(keys, observed=True).size().rename("n").reset_index()
    total = out.groupby([*by_cols, "reference"], observed=True)["n"].transform("sum")
    out["share"] = out["n"] / total
    return out


# --------------------------------------------------------------------------------------
# recommended actions
# --------------------------------------------------------------------------------------

_PHRASES = {
    "annotator_id": "annotator {v}",
    "cohort": "the {v} cohort",
    "category": "category '{v}'",
    "guideline_version": "guideline version {v}",
    "period": "the period from {v}",
    "vendor": "vendor {v}",
}
_WHO = ("annotator_id", "cohort", "vendor")


_NUMBERS = ("n", "errors", "error_rate", "ci_low", "ci_high", "overall_rate", "excess", "excess_low", "excess_high",
            "z", "log_p", "p_value", "p_adjusted", "significant", "depth")


def _phrase(column: str, value: object) -> str:
    return _PHRASES.get(column, column + " {v}").format(v=value)


def _related(a: dict[str, object], b: dict[str, object]) -> bool:
    """Two segments describe the same finding: they share a column and agree on all shared."""
    shared = set(a) & set(b)
    return bool(shared) and all(a[c] == b[c] for c in shared)


@dataclass(frozen=True)
class DriftFinding:
    """One finding behind a recommended action, without words.

    ``source`` is ``"root_cause"`` (a row of :func:`segment_errors`) or ``"alert"`` (a group
    of :func:`detect_drift`'s alerts). ``code`` is what to do:

    * root causes: ``recalibrate_annotator``, ``clarify_guideline_retrain`` (a category and a
      group of people), ``clarify_guideline`` (a category), ``audit_retrain`` (a group of
      people), ``review_judgments`` (only a guideline version and/or period);
    * alerts: ``keep_improvement``, ``retrain_with_root_cause`` (a root cause explains it),
      ``check_reference`` (only agreement with the others fell, gold accuracy did not),
      ``recalibrate_annotator``, ``act_on_root_cause``, ``investigate``.

    ``segment`` maps columns to values (the scope), ``numbers`` holds the evidence (rates,
    intervals, counts, p-values, dates), ``rank`` orders actions (root causes 0, then 1-3).
    """

    source: Literal["root_cause", "alert"]
    code: str
    segment: Mapping[str, object]
    numbers: Mapping[str, Any]
    rank: int
    p_adjusted: float


def _root_cause_code(segment: Mapping[str, object]) -> str:
    who = any(c in segment for c in _WHO)
    if "annotator_id" in segment:
        return "recalibrate_annotator"
    if "category" in segment:
        return "clarify_guideline_retrain" if who else "clarify_guideline"
    return "audit_retrain" if who else "review_judgments"


def _root_cause_findings(root_causes: pd.DataFrame, max_root_causes: int) -> list[DriftFinding]:
    found: list[DriftFinding] = []
    cols = list(root_causes.columns)
    if "segment" in cols and "depth" in cols:  # segment_errors' layout: the by columns sit between the two
        seg_cols = cols[cols.index("segment") + 1: cols.index("depth")]
    else:  # a hand-made table: the known columns and any non-numeric other column
        seg_cols = [c for c in cols if c in _PHRASES or (c not in _NUMBERS and c not in ("segment", "rank", "cause")
                                                         and not pd.api.types.is_numeric_dtype(root_causes[c])
                                                         and not pd.api.types.is_bool_dtype(root_causes[c]))]
    sig = root_causes[root_causes["significant"].astype(bool)]
    greedy = "cause" in sig.columns
    if greedy:  # distinct by construction: no relatedness filter
        sig = sig[sig["cause"].notna()].sort_values("cause")
    for _, r in sig.iterrows():
        if len(found) >= max_root_causes:
            break
        fixed = {c: r[c] for c in seg_cols if pd.notna(r[c])}
        if not greedy and any(_related(fixed, dict(prev.segment)) for prev in found):
            continue
        numbers = {k: r[k] for k in ("error_rate", "ci_low", "ci_high", "n", "overall_rate", "p_adjusted")}
        found.append(DriftFinding("root_cause", _root_cause_code(fixed), fixed, numbers, 0, float(r["p_adjusted"])))
    return found


def _alert_findings(result: DriftResult, reported: list[dict[str, object]]) -> list[DriftFinding]:
    found: list[DriftFinding] = []
    tests = result.tests
    for (level, group), grp in result.alerts.groupby(["level", "group"], sort=False):
        first = grp.sort_values("p_adjusted").iloc[0]
        # the member's other attributes (e.g. an annotator's cohort) link it to a root cause
        attrs = {c: first[c] for c in result.levels if c in first.index and pd.notna(first[c])}
        own = any(prev.get(str(level)) == group for prev in reported)
        explained = not own and any(_related(attrs, prev) for prev in reported)
        gold_test = tests[(tests["level"] == level) & (tests["group"] == group)
                          & (tests["metric"] == "gold_accuracy")]
        only_consensus = set(grp["metric"]) == {"consensus_agreement"}
        gold_clean = only_consensus and not gold_test.empty and gold_test["p_value"].notna().all()
        if first["after"] >= first["before"]:
            code, rank = "keep_improvement", 3
        elif explained:
            code, rank = "retrain_with_root_cause", 2
        elif gold_clean:
            code, rank = "check_reference", 2
        elif level == "annotator_id":
            code, rank = "recalibrate_annotator", 1
        elif own:
            code, rank = "act_on_root_cause", 2
        else:
            code, rank = "investigate", 1
        numbers = {
            "changed_at": pd.Timestamp(first["changed_at"]),
            "p_adjusted": float(first["p_adjusted"]),
            "changes": tuple((r.metric, float(r.before), float(r.after)) for r in grp.itertuples(index=False)),
            "own_root_cause": own,
            "root_causes_reported": bool(reported),
        }
        found.append(DriftFinding("alert", code, {str(level): group}, numbers, rank, float(first["p_adjusted"])))
    return found


def drift_findings(
    result: DriftResult | None,
    root_causes: pd.DataFrame | None,
    *,
    max_root_causes: int = 3,
) -> list[DriftFinding]:
    """The findings behind :func:`recommend_actions`, as data, in priority order.

    Parameters and ordering as in :func:`recommend_actions`, which only words them.
    """
    found: list[DriftFinding] = []
    if root_causes is not None and not root_causes.empty:
        found = _root_cause_findings(root_causes, max_root_causes)
    reported = [dict(f.segment) for f in found]
    if result is not None and not result.alerts.empty:
        found += _alert_findings(result, reported)
    order = sorted(range(len(found)), key=lambda i: (found[i].rank, found[i].p_adjusted))
    return [found[i] for i in order]


def _root_cause_words(f: DriftFinding) -> tuple[str, str, str]:
    """(target, action, evidence) of a root-cause finding."""
    d = {c: _phrase(c, v) for c, v in f.segment.items()}
    who_col = next((c for c in _WHO if c in d), None)
    who = d[who_col] if who_col else None
    what = d.get("category")
    when = " and ".join(x for x in (d.get("guideline_version"), d.get("period")) if x)
    used = {"guideline_version"}  # worded in every sentence (below, or the recalibration's "under")
    if f.code == "recalibrate_annotator":
        used |= {"annotator_id", "category", "period"}
        action = f"Recalibrate {d['annotator_id']}" + (f" on {what}" if what else "")
        action += " and re-review their judgments" + (f" under {when}" if when else "") + "."
    elif f.code == "clarify_guideline_retrain":
        used |= {"category", str(who_col)}
        action = f"Clarify the guideline for {what} and retrain {who} on it."
    elif f.code == "clarify_guideline":
        used.add("category")
        action = f"Clarify the guideline for {what} and add gold examples of it."
    elif f.code == "audit_retrain":
        used |= {str(who_col), "period"}
        action = f"Audit and retrain {who}" + (f" for {when}" if when else "") + "."
    elif when:
        used.add("period")
        action = f"Review the judgments made under {when}."
    else:
        used |= set(d)
        action = f"Review the judgments of {' and '.join(d.values())}."
    # every column that fixes the segment is named in the action: two segments that differ only by a
    # column the sentence's template does not word (a second group, a custom column) still read
    # differently (issue 27)
    rest = [d[c] for c in d if c not in used]
    if rest:
        action = action[:-1] + f" (the judgments of {' and '.join(rest)})."
    if "guideline_version" in d and "annotator_id" not in d:
        action = action[:-1] + f"; check what {d['guideline_version']} changed."
    scope = ", ".join(d.values())
    n = f.numbers
    evidence = (
        f"{scope}: error rate {n['error_rate']:.0%} (95% CI {n['ci_low']:.0%}–"
        f"{n['ci_high']:.0%}, n={int(n['n'])}) against {n['overall_rate']:.0%} overall; "
        f"adjusted p={n['p_adjusted']:.1g}."
    )
    return scope, action, evidence


def _alert_words(f: DriftFinding) -> tuple[str, str, str]:
    """(target, action, evidence) of an alert finding."""
    (level, group), = f.segment.items()
    name = _phrase(level, group)
    n = f.numbers
    when = pd.Timestamp(n["changed_at"]).strftime("%Y-%m-%d")
    changes = "; ".join(
        f"{metric.replace('_', ' ')} {'fell' if after < before else 'rose'} from {before:.0%} to {after:.0%}"
        for metric, before, after in n["changes"]
    )
    evidence = f"{name}: {changes} around {when} (Holm-adjusted p={n['p_adjusted']:.1g})."
    actions = {
        "keep_improvement": f"Find out what improved for {name} around {when} and keep it.",
        "retrain_with_root_cause": (
            f"Retrain {name} together with the segment found above, then re-review their "
            f"judgments since {when}."
        ),
        "check_reference": (
            f"Check the other annotators before acting on {name}: agreement with them fell "
            f"but gold accuracy did not change significantly, so the reference may have "
            f"moved ({'see the root causes above' if n['root_causes_reported'] else 'see their alerts'})."
        ),
        "recalibrate_annotator": (
            f"Recalibrate {name} (feedback session on gold examples) and re-review their "
            f"judgments since {when}"
            + (" (the root cause above points at them too)." if n["own_root_cause"] else ".")
        ),
        "act_on_root_cause": (
            f"Act on the root cause above for {name}, then re-review their judgments since {when}."
        ),
        "investigate": f"Investigate what changed for {name} around {when}.",
    }
    return name, actions[f.code], evidence


def recommend_actions(
    result: DriftResult | None,
    root_causes: pd.DataFrame | None,
    *,
    max_root_causes: int = 3,
) -> pd.DataFrame:
    """Turn drift alerts and root-cause rows into recommended actions, with their evidence.

    Parameters
    ----------
    result
        Output of :func:`detect_drift` (or ``None``).
    root_causes
        Output of :func:`segment_errors` (or ``None``). Its greedy causes (column
        ``cause``) are used, at most ``max_root_causes`` of them; without that column the
        significant rows, skipping a segment related to one already reported (sharing a
        column with the same value).

    Returns
    -------
    pandas.DataFrame
        One row per action: ``priority`` (1 = first), ``target``, ``action`` (a sentence),
        ``evidence`` (a sentence with the numbers). Order: root causes, then annotators whose
        change no root cause explains (recalibrate), then changes a root cause explains or
        that only consensus shows (gold accuracy unchanged: the others may have moved),
        then improvements.

    Examples
    --------
    >>> rc = pd.DataFrame({"cohort": ["night"], "category": ["books"], "n": [120],
    ...     "error_rate": [0.7], "ci_low": [0.61], "ci_high": [0.78], "overall_rate": [0.12],
    ...     "p_adjusted": [1e-20], "significant": [True], "excess": [0.58]})
    >>> recommend_actions(None, rc)["action"].iloc[0]
    "Clarify the guideline for category 'books' and retrain the night cohort on it."
    """
    findings = drift_findings(result, root_causes, max_root_causes=max_root_causes)
    rows = [_root_cause_words(f) if f.source == "root_cause" else _alert_words(f) for f in findings]
    out = pd.DataFrame(rows, columns=["target", "action", "evidence"])
    out.insert(0, "priority", np.arange(1, len(out) + 1))
    return out
