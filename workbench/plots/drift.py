"""Figures of the drift analysis: timelines, control charts, heatmaps, confusion, root causes.

Every builder takes the tidy frames or the :class:`~workbench.drift.DriftResult` that
:mod:`workbench.drift` returns and computes nothing new.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.drift import DriftResult, time_format
from workbench.errors import WorkbenchError
from workbench.plots import forest_plot
from workbench.plots._layout import MIN_HEIGHT, rows_height, short_labels, show_cell_text, tick_step

__all__ = [
    "confusion_figure",
    "control_charts_figure",
    "quality_heatmap",
    "root_cause_figure",
    "timeline_figure",
]

_TITLES = {
    "gold_accuracy": "accuracy against gold",
    "consensus_agreement": "agreement with consensus",
}


def _step(starts: pd.Series) -> pd.Timedelta:
    """The bin length of a column of window starts (the smallest gap; 1 day if only one)."""
    u = np.sort(pd.to_datetime(starts).unique())
    if len(u) < 2:
        return pd.Timedelta("1D")
    return pd.Timedelta(np.diff(u).min())


def _metric_rows(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = frame[frame["metric"] == metric]
    if rows.empty:
        have = ", ".join(repr(m) for m in frame["metric"].unique())
        raise WorkbenchError(f"metric={metric!r} is not in the data; it has {have}.")
    return rows


def timeline_figure(
    windowed: pd.DataFrame,
    *,
    group: str = "annotator_id",
    metric: str = "gold_accuracy",
    highlight: list[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """One line per group over time with Wilson-interval error bars.

    Parameters
    ----------
    windowed
        Output of :func:`workbench.drift.windowed_quality`.
    group
        The grouping column of ``windowed``.
    metric
        ``"gold_accuracy"`` or ``"consensus_agreement"``.
    highlight
        Groups drawn thick; the others thin.

    Examples
    --------
    >>> w = pd.DataFrame({"annotator_id": ["a", "a"], "metric": "gold_accuracy",
    ...     "window_start": pd.to_datetime(["2024-01-01", "2024-01-08"]), "n": [10, 10],
    ...     "successes": [9, 7], "value": [0.9, 0.7], "ci_low": [0.6, 0.4], "ci_high": [0.98, 0.9]})
    >>> len(timeline_figure(w).data)
    1
    """
    rows = _metric_rows(windowed, metric)
    fmt = time_format(_step(rows["window_start"]))
    fig = go.Figure()
    for g, sub in rows.groupby(group, sort=True):
        thick = highlight is None or g in highlight
        fig.add_trace(
            go.Scatter(
                x=sub["window_start"], y=sub["value"], name=str(g), mode="lines+markers",
                line={"width": 3 if thick and highlight else 1.5},
                opacity=1.0 if thick else 0.35,
                error_y={"type": "data", "symmetric": False,
                         "array": (sub["ci_high"] - sub["value"]).to_numpy(),
                         "arrayminus": (sub["value"] - sub["ci_low"]).to_numpy(),
                         "thickness": 1, "width": 2},
                customdata=sub[["n"]].to_numpy(),
                hovertemplate="%{x|" + fmt + "}: %{y:.1%} (n=%{customdata[0]})",
            )
        )
    fig.update_layout(
        title=title or f"{_TITLES.get(metric, metric)} per {group}, by window",
        yaxis={"title": _TITLES.get(metric, metric), "tickformat": ".0%"},
        xaxis={"title": "window start"}, height=420 if rows[group].nunique() <= 20 else 560,
        showlegend=rows[group].nunique() <= 40,
    )
    return fig


def control_charts_figure(
    result: DriftResult,
    *,
    level: str = "annotator_id",
    metric: str = "consensus_agreement",
    groups: list[str] | None = None,
    columns: int = 2,
    max_panels: int = 24,
) -> go.Figure:
    """EWMA control charts, one panel per group, with limits, signals and alerts marked.

    Each panel row is 190 px tall whatever the number of groups; beyond ``max_panels``
    groups the alerted ones are shown first and the title says how many are left out.

    Examples
    --------
    >>> from workbench.drift import detect_drift
    >>> rng = np.random.default_rng(0)
    >>> ann = pd.DataFrame({"item_id": [f"q{i}" for i in range(300)], "annotator_id": "a",
    ...     "label": np.where(rng.random(300) < 0.9, "x", "y"),
    ...     "timestamp": pd.date_range("2024-01-01", periods=300, freq="8h")})
    >>> res = detect_drift(ann, gold=pd.DataFrame({"item_id": ann["item_id"], "label": "x"}))
    >>> len(control_charts_figure(res, metric="gold_accuracy").data) >= 4
    True
    """
    ch = result.charts
    ch = ch[(ch["level"] == level)]
    ch = _metric_rows(ch, metric)
    names = sorted(ch["group"].unique(), key=str) if groups is None else list(groups)
    if len(names) > max_panels:  # alerted groups first, then the rest in order, up to max_panels
        alerted = [g for g in names if g in set(result.alerts.loc[result.alerts["level"] == level, "group"])]
        names = (alerted + [g for g in names if g not in alerted])[:max_panels]
    columns = max(1, min(columns, len(names)))
    rows_n = max(1, math.ceil(len(names) / columns))
    panel, gap = 190, 85  # px per panel row and between rows (room for the time ticks and the next title)
    total = rows_n * panel + (rows_n - 1) * gap + 110
    fig = make_subplots(rows=rows_n, cols=columns, subplot_titles=short_labels(names),
                        shared_xaxes=True, vertical_spacing=gap / total if rows_n > 1 else 0.0)
    alerts = result.alerts
    shown_alert = False
    for i, g in enumerate(names):
        r, c = i // columns + 1, i % columns + 1
        sub = ch[ch["group"] == g]
        legend = i == 0
        fig.add_trace(go.Scatter(x=sub["window_start"], y=sub["value"], mode="markers",
                                 marker={"size": 6, "color": "#8c8c8c"}, name="window rate",
                                 showlegend=legend, legendgroup="v"), row=r, col=c)
        fig.add_trace(go.Scatter(x=sub["window_start"], y=sub["ewma"], mode="lines",
                                 line={"color": "#1f77b4"}, name="EWMA", showlegend=legend,
                                 legendgroup="e"), row=r, col=c)
        for col, dash, nm in (("center", "solid", "baseline"), ("lcl", "dash", "control limits"),
                              ("ucl", "dash", "control limits")):
            fig.add_trace(go.Scatter(x=sub["window_start"], y=sub[col], mode="lines",
                                     line={"color": "grey", "dash": dash, "width": 1}, name=nm,
                                     showlegend=legend and col != "ucl", legendgroup=nm),
                          row=r, col=c)
        al = alerts[
            (alerts["level"] == level) & (alerts["group"] == g) & (alerts["metric"] == metric)
        ]
        # a window outside the limits is an alert only where the group's change test survived the
        # family-wise correction; elsewhere it is drawn hollow and grey (issue 28: red marks on groups
        # that are not in the alert table said the opposite of the table)
        sig = sub[sub["signal"]]
        has_alert = not al.empty
        fig.add_trace(go.Scatter(x=sig["window_start"], y=sig["ewma"], mode="markers",
                                 marker={"color": "#d62728" if has_alert else "#8c8c8c", "size": 8,
                                         "symbol": "x" if has_alert else "circle-open"},
                                 name="outside the limits, alerted" if has_alert else "outside the limits, no alert",
                                 showlegend=True if i == 0 or (has_alert and not shown_alert) else legend,
                                 legendgroup="s" if has_alert else "s0"), row=r, col=c)
        shown_alert = shown_alert or has_alert
        for a in al.itertuples(index=False):
            fig.add_vline(x=pd.Timestamp(a.changed_at).value / 1e6, line_color="#d62728",
                          line_dash="dot", row=r, col=c)
            fig.add_annotation(x=pd.Timestamp(a.changed_at), y=float(np.nanmax(sub["ucl"])),
                               text=f"change {a.before:.0%}→{a.after:.0%}", showarrow=False,
                               font={"color": "#d62728", "size": 10}, row=r, col=c)
    # one y-range for every panel: the panels are compared with each other
    ys = pd.concat([ch["value"], ch["ewma"], ch["lcl"], ch["ucl"]]).to_numpy(dtype=float)
    ys = ys[np.isfinite(ys)]
    if len(ys):
        lo, hi = float(ys.min()), float(ys.max())
        pad = max(hi - lo, 0.02) * 0.06
        fig.update_yaxes(range=[max(lo - pad, 0.0) if lo >= 0 else lo - pad, min(hi + pad, 1.0) if hi <= 1 else hi + pad])
    fig.update_yaxes(tickformat=".0%", nticks=4)
    fig.update_xaxes(nticks=6, showticklabels=True)
    n_all = ch["group"].nunique()
    more = f"; {n_all - len(names)} of {n_all} groups not shown" if n_all > len(names) else ""
    fig.update_layout(height=total,
                      title=f"EWMA control charts: {_TITLES.get(metric, metric)} per {level} "
                            f"(dotted red line: estimated change of an alert{more})")
    return fig


def quality_heatmap(
    windowed: pd.DataFrame,
    *,
    group: str = "annotator_id",
    metric: str = "consensus_agreement",
) -> go.Figure:
    """Group × window heatmap of a quality metric (e.g. annotator × week).

    Examples
    --------
    >>> w = pd.DataFrame({"annotator_id": ["a", "b"], "metric": "gold_accuracy",
    ...     "window_start": pd.to_datetime(["2024-01-01", "2024-01-01"]), "n": [10, 10],
    ...     "value": [0.9, 0.7]})
    >>> quality_heatmap(w, metric="gold_accuracy").data[0].z.shape
    (2, 1)
    """
    rows = _metric_rows(windowed, metric)
    grid = rows.pivot_table(index=group, columns="window_start", values="value", aggfunc="mean")
    counts = rows.pivot_table(index=group, columns="window_start", values="n", aggfunc="sum")
    fmt = time_format(_step(rows["window_start"]))
    full = [str(i) for i in grid.index]
    ylab = short_labels(full)
    height, each = rows_height(len(grid), per_row=24.0)
    z = grid.to_numpy(dtype=float)
    finite = z[np.isfinite(z)]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=[d.strftime(fmt) for d in grid.columns],
            y=ylab, colorscale="RdYlGn",
            zmin=max(0.0, float(finite.min()) - 0.02) if len(finite) else 0.0, zmax=1.0,
            customdata=np.dstack([counts.reindex_like(grid).to_numpy(),
                                  np.repeat(np.array(full, dtype=object)[:, None], grid.shape[1], axis=1)]),
            hovertemplate="%{customdata[1]}, %{x}: %{z:.1%} (n=%{customdata[0]})<extra></extra>",
            colorbar={"tickformat": ".0%"},
            xgap=1, ygap=1,
        )
    )
    step = tick_step(each)
    yaxis: dict[str, object] = {"type": "category", "autorange": "reversed"}
    if step > 1:
        yaxis.update(tickmode="array", tickvals=ylab[::step])
    fig.update_layout(title=f"{_TITLES.get(metric, metric)}: {group} × window",
                      xaxis={"title": "window start", "type": "category"}, yaxis=yaxis,
                      height=max(height, MIN_HEIGHT))
    return fig


def confusion_figure(
    confusion: pd.DataFrame, *, by: str = "cohort", columns: int = 4, max_groups: int = 12,
) -> go.Figure:
    """One confusion matrix (share of each reference label) per group, in a grid.

    The groups with the highest error share come first, at most ``max_groups`` of them (the
    title says how many are left out); cell text is dropped when the matrices get too many cells.

    Examples
    --------
    >>> cm = pd.DataFrame({"cohort": ["day", "day"], "reference": ["x", "x"],
    ...                    "label": ["x", "y"], "n": [9, 1], "share": [0.9, 0.1]})
    >>> confusion_figure(cm).data[0].z.tolist()
    [[0.9, 0.1]]
    """
    volume = confusion.groupby(by)["n"].sum()
    wrong = confusion[confusion["reference"].astype(str) != confusion["label"].astype(str)].groupby(by)["n"].sum()
    error_rate = (wrong.reindex(volume.index, fill_value=0) / volume.replace(0, np.nan)).fillna(0.0)
    order = error_rate.sort_values(ascending=False, kind="stable")  # the groups with most errors first
    groups = list(order.index[:max_groups])
    cols = max(1, min(columns, len(groups)))
    rows_n = max(1, math.ceil(len(groups) / cols))
    n_labels = max(confusion["reference"].nunique(), confusion["label"].nunique())
    text = show_cell_text(n_labels * n_labels * len(groups))
    fig = make_subplots(rows=rows_n, cols=cols, subplot_titles=[f"{by} = {g}" for g in short_labels(groups)],
                        vertical_spacing=min(0.3, 70 / (300 * rows_n)))
    for i, g in enumerate(groups):
        sub = confusion[confusion[by] == g]
        share = sub.pivot_table(index="reference", columns="label", values="share", fill_value=0.0)
        n = sub.pivot_table(index="reference", columns="label", values="n", fill_value=0)
        fig.add_trace(
            go.Heatmap(z=share.to_numpy(), x=[str(c) for c in share.columns],
                       y=[str(r) for r in share.index], zmin=0, zmax=1, colorscale="Blues",
                       showscale=i == 0, text=n.reindex_like(share).to_numpy(),
                       texttemplate="%{z:.0%}<br>n=%{text}" if text else None,
                       hovertemplate="reference %{y} → label %{x}: %{z:.1%} (n=%{text})<extra></extra>"),
            row=i // cols + 1, col=i % cols + 1,
        )
    fig.update_xaxes(title_text="label given", row=rows_n)
    fig.update_yaxes(title_text="reference label", col=1)
    fig.update_yaxes(autorange="reversed")  # the diagonal runs from the top left
    more = (f" (most errors first; {len(volume) - len(groups)} of {len(volume)} groups not shown)"
            if len(volume) > len(groups) else "")
    fig.update_layout(title=f"Confusion by {by}{more}", height=max(MIN_HEIGHT, 90 + 300 * rows_n))
    return fig


def root_cause_figure(table: pd.DataFrame, *, top: int = 10) -> go.Figure:
    """Excess error rate with its CI for the top segments of the root-cause table.

    Examples
    --------
    >>> t = pd.DataFrame({"segment": ["cohort=night"], "excess": [0.2], "excess_low": [0.1],
    ...                   "excess_high": [0.3]})
    >>> root_cause_figure(t).data[0].y.tolist()
    ['cohort=night']
    """
    head = pd.DataFrame({
        "label": table["segment"].head(top).to_numpy(),
        "estimate": table["excess"].head(top).to_numpy(),
        "ci_low": table["excess_low"].head(top).to_numpy(),
        "ci_high": table["excess_high"].head(top).to_numpy(),
    })
    fig = forest_plot(head, title="Excess error rate over the overall rate (95% CI), top segments")
    fig.update_xaxes(tickformat=".0%")
    return fig
