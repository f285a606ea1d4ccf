"""Figures for the acceptance-sampling report: the OC curve and the sequential test's lines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["oc_figure", "sequential_figure"]


def oc_figure(curve: pd.DataFrame, *, title: str, marks: Sequence[tuple[float, float, str]] = ()) -> go.Figure:
    """Probability of accepting the lot against its error rate (``curve``: ``error_percent``,
    ``accept_probability``), with the plan's design points marked (error %, probability, label)."""
    fig = go.Figure(go.Scatter(
        x=curve["error_percent"], y=curve["accept_probability"], mode="lines", name="OC curve",
        hovertemplate="lot error rate %{x:.3g}%: accepted with probability %{y:.3f}<extra></extra>",
    ))
    if marks:
        fig.add_trace(go.Scatter(
            x=[m[0] for m in marks], y=[m[1] for m in marks], mode="markers+text", name="design points",
            text=[m[2] for m in marks], textposition="top right", marker={"size": 10, "symbol": "diamond"},
            hovertemplate="%{text}<extra></extra>",
        ))
    top = float(curve["error_percent"].max()) if len(curve) else 1.0
    fig.update_layout(title=title, height=430, showlegend=False, margin={"r": 140})
    fig.update_xaxes(title_text="lot error rate (% of items wrong)", range=[0, top * 1.02], ticksuffix="%")
    fig.update_yaxes(title_text="probability of accepting the lot", range=[0, 1.05], tickformat=".0%")
    return fig


def sequential_figure(m: np.ndarray, accept: np.ndarray, reject: np.ndarray, *,
                      path: np.ndarray | None = None, title: str) -> go.Figure:
    """The sequential test's accept and reject limits (errors against items reviewed) and, when
    given, the reviewer's path (cumulative errors after each item)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=m, y=reject, mode="lines", name="reject at or above", line={"color": "#b3261e"},
                             hovertemplate="after %{x} items: reject at %{y} errors<extra></extra>"))
    fig.add_trace(go.Scatter(x=m, y=accept, mode="lines", name="accept at or below", line={"color": "#1e7b34"},
                             hovertemplate="after %{x} items: accept at %{y} errors<extra></extra>"))
    if path is not None and len(path):
        fig.add_trace(go.Scatter(x=np.arange(1, len(path) + 1), y=path, mode="lines", name="reviewed so far",
                                 line={"color": "#1f2933", "shape": "hv"},
                                 hovertemplate="after %{x} items: %{y} errors<extra></extra>"))
    upper = float(np.nanmax(reject)) if len(reject) else 1.0
    if path is not None and len(path):
        upper = max(upper, float(np.max(path)))
    fig.update_layout(title=title, height=430, legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(title_text="items reviewed", range=[0, float(m.max()) if len(m) else 1.0])
    fig.update_yaxes(title_text="errors found", range=[0, upper * 1.05 + 0.5])
    return fig
