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

from workbench.drift import DriftResult
from workbench.errors import WorkbenchError
from workbench.plots import forest_plot

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
                hovertemplate="%{x|%Y-%m-%d}: %{y:.1%} (n=%{customdata[0]})",
            )
        )
    fig.update_layout(
        title=title or f"{_TITLES.get(metric, metric)} per {group}, by window",
        yaxis={"title": _TITLES.get(metric, metric), "tickformat": ".0%"},
        xaxis={"title": "window start"}, height=420,
    )
    return fig


def control_charts_figure(
    result: DriftResult,
    *,
    level: str = "annotator_id",
    metric: str = "consensus_agreement",
    groups: list[str] | None = None,
    columns: int = 2,
) -> go.Figure:
    """EWMA control charts, one panel per group, with limits, signals and alerts marked.

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
    rows_n = max(1, math.ceil(len(names) / columns))
    fig = make_subplots(rows=rows_n, cols=columns, subplot_titles=[str(g) for g in names],
                        shared_xaxes=True, vertical_spacing=0.25 / rows_n + 0.03)
    alerts = result.alerts
    for i, g in enumerate(names):
        r, c = i // columns + 1, i % columns + 1
        sub = ch[ch["group"] == g]
        legend = i == 0
        fig.add_trace(go.Scatter(x=sub["window_start"], y=sub["value"], mode="markers",
                                 marker={"size": 4, "color": "lightgrey"}, name="window rate",
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
        sig = sub[sub["signal"]]
        fig.add_trace(go.Scatter(x=sig["window_start"], y=sig["ewma"], mode="markers",
                                 marker={"color": "#d62728", "size": 8, "symbol": "x"},
                                 name="signal", showlegend=legend, legendgroup="s"), row=r, col=c)
        al = alerts[
            (alerts["level"] == level) & (alerts["group"] == g) & (alerts["metric"] == metric)
        ]
        for a in al.itertuples(index=False):
            fig.add_vline(x=pd.Timestamp(a.changed_at).value / 1e6, line_color="#d62728",
                          line_dash="dot", row=r, col=c)
            fig.add_annotation(x=pd.Timestamp(a.changed_at), y=float(np.nanmax(sub["ucl"])),
                               text=f"change {a.before:.0%}→{a.after:.0%}", showarrow=False,
                               font={"color": "#d62728", "size": 10}, row=r, col=c)
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(height=220 * rows_n + 80,
                      title=f"EWMA control charts: {_TITLES.get(metric, metric)} per {level} "
                            "(dotted red line: estimated change of an alert)")
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
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(), x=[d.strftime("%Y-%m-%d") for d in grid.columns],
            y=[str(i) for i in grid.index], colorscale="RdYlGn",
            zmin=max(0.0, float(np.nanmin(grid.to_numpy())) - 0.02), zmax=1.0,
            customdata=counts.reindex_like(grid).to_numpy(),
            hovertemplate="%{y}, %{x}: %{z:.1%} (n=%{customdata})<extra></extra>",
            colorbar={"tickformat": ".0%"},
        )
    )
    fig.update_layout(title=f"{_TITLES.get(metric, metric)}: {group} × window",
                      xaxis={"title": "window start"}, height=120 + 28 * len(grid))
    return fig


def confusion_figure(confusion: pd.DataFrame, *, by: str = "cohort") -> go.Figure:
    """One confusion matrix (share of each reference label) per group, side by side.

    Examples
    --------
    >>> cm = pd.DataFrame({"cohort": ["day", "day"], "reference": ["x", "x"],
    ...                    "label": ["x", "y"], "n": [9, 1], "share": [0.9, 0.1]})
    >>> confusion_figure(cm).data[0].z.tolist()
    [[0.9, 0.1]]
    """
    groups = sorted(confusion[by].unique(), key=str)
    fig = make_subplots(rows=1, cols=len(groups), subplot_titles=[f"{by} = {g}" for g in groups])
    for i, g in enumerate(groups):
        sub = confusion[confusion[by] == g]
        share = sub.pivot_table(index="reference", columns="label", values="share", fill_value=0.0)
        n = sub.pivot_table(index="reference", columns="label", values="n", fill_value=0)
        fig.add_trace(
            go.Heatmap(z=share.to_numpy(), x=[str(c) for c in share.columns],
                       y=[str(r) for r in share.index], zmin=0, zmax=1, colorscale="Blues",
                       showscale=i == 0, text=n.reindex_like(share).to_numpy(),
                       texttemplate="%{z:.0%}<br>n=%{text}",
                       hovertemplate="reference %{y} → label %{x}: %{z:.1%}<extra></extra>"),
            row=1, col=i + 1,
        )
        fig.update_xaxes(title_text="label given", row=1, col=i + 1)
    fig.update_yaxes(title_text="reference label", col=1)
    fig.update_layout(title=f"Confusion by {by}", height=380)
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
