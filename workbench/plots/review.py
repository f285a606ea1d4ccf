"""Figures of the spot-check review: queue composition, decisions, KPIs, calibration."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

if TYPE_CHECKING:
    from workbench.calibration import CalibrationResult

__all__ = ["calibration_figure", "decisions_figure", "queue_composition_figure", "trends_figure"]


def queue_composition_figure(composition: pd.DataFrame, *, title: str = "Queue composition") -> go.Figure:
    """Horizontal bars of ``ReviewQueue.composition()`` (group, n, share).

    Examples
    --------
    >>> comp = pd.DataFrame({"group": ["random sample", "hidden gold"], "n": [90, 10], "share": [0.9, 0.1]})
    >>> queue_composition_figure(comp).data[0].x.tolist()
    [90, 10]
    """
    fig = go.Figure(
        go.Bar(
            x=composition["n"],
            y=composition["group"].astype(str),
            orientation="h",
            text=[f"{s:.0%}" for s in composition["share"]],
            textposition="auto",
        )
    )
    fig.update_layout(title=title, xaxis_title="items", height=160 + 30 * len(composition),
                      yaxis={"autorange": "reversed"})
    return fig


def decisions_figure(decisions: pd.DataFrame, *, title: str = "Decisions so far") -> go.Figure:
    """Stacked bars: decisions per reviewer (from ``ReviewStore.decisions()``)."""
    counts = decisions.groupby(["reviewer", "decision"]).size().unstack(fill_value=0)
    fig = go.Figure([go.Bar(name=str(c), x=counts.index.astype(str), y=counts[c]) for c in counts.columns])
    fig.update_layout(barmode="stack", title=title, xaxis_title="reviewer", yaxis_title="items", height=360)
    return fig


def calibration_figure(result: CalibrationResult, *, title: str | None = None) -> go.Figure:
    """Precision, recall and F-beta of the filter over thresholds, with the chosen one and its CI."""
    curve = result.curve[result.curve["n_flagged"] > 0]
    fig = go.Figure()
    for col in ("precision", "recall", "fbeta"):
        name = "F1" if col == "fbeta" and result.beta == 1 else ("F-beta" if col == "fbeta" else col)
        fig.add_trace(go.Scatter(x=curve["threshold"], y=curve[col], mode="lines", name=name))
    fig.add_vrect(x0=result.ci_low, x1=result.ci_high, fillcolor="grey", opacity=0.2, line_width=0)
    fig.add_vline(x=result.threshold, line_dash="dash", line_color="black")
    op = ">" if result.direction == "max" else "<"
    fig.update_layout(
        title=title or f"{result.metric}: flag {op} {result.threshold:,.4g} "
        f"(CI {result.ci_low:,.4g}–{result.ci_high:,.4g})",
        xaxis_title=f"{result.metric} threshold",
        yaxis_title="agreement with reviewers",
        yaxis_range=[0, 1.05],
        height=380,
    )
    return fig


def trends_figure(trends: pd.DataFrame, *, title: str = "Review trends") -> go.Figure:
    """Decisions per period (bars) and share flagged / gold accuracy (lines, right axis)."""
    fig = go.Figure(go.Bar(x=trends["period"], y=trends["n_decisions"], name="decisions", opacity=0.5))
    for col, name in (("flagged_share", "share flagged"), ("gold_accuracy", "gold accuracy")):
        if col in trends.columns:
            fig.add_trace(go.Scatter(x=trends["period"], y=trends[col], name=name, mode="lines+markers", yaxis="y2"))
    fig.update_layout(
        title=title,
        yaxis={"title": "decisions"},
        # a second axis gets its own ticks (issue 28: auto-aligned ticks read 0.204, 0.407, 0.611)
        yaxis2={"title": "share", "overlaying": "y", "side": "right", "range": [0, 1.05], "tickmode": "linear",
                "tick0": 0, "dtick": 0.2, "tickformat": ".0%", "showgrid": False},
        height=360,
    )
    return fig
