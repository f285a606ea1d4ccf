"""Figures for the data overview: missing values, labels, annotator volume, timeline."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from workbench.overview import TableProfile
from workbench.plots._layout import rows_height, short_labels, tick_step

__all__ = ["annotator_volume", "label_distribution", "missing_values", "timeline"]


def missing_values(profile: TableProfile) -> go.Figure:
    """Share of missing values per column."""
    fig = px.bar(profile.columns, x="column", y="missing_share", hover_data=["missing", "dtype"],
                 title="Missing values per column", labels={"missing_share": "share missing", "column": "column"})
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def label_distribution(profile: TableProfile) -> go.Figure:
    """Counts of each label (or choice, or source)."""
    col = profile.labels.columns[0]
    fig = px.bar(profile.labels, x=col, y="count", text=profile.labels["share"].map("{:.1%}".format),
                 title=f"Distribution of {col}")
    return fig


def annotator_volume(profile: TableProfile) -> go.Figure:
    """Judgments per annotator, largest first (horizontal bars past 30 annotators)."""
    a = profile.annotators
    if len(a) <= 30:
        fig = px.bar(a, x="annotator_id", y="judgments", hover_data=["items", "share"],
                     title="Judgments per annotator", labels={"annotator_id": "annotator"})
        fig.update_xaxes(type="category")
        return fig
    full = a["annotator_id"].astype(str).tolist()
    shown = short_labels(full)
    height, each = rows_height(len(a), per_row=20.0)
    fig = go.Figure(go.Bar(x=a["judgments"], y=shown, orientation="h", customdata=full,
                           hovertemplate="%{customdata}: %{x} judgments<extra></extra>"))
    step = tick_step(each)
    yaxis: dict[str, object] = {"type": "category", "autorange": "reversed", "title": "annotator"}
    if step > 1:
        yaxis.update(tickmode="array", tickvals=shown[::step])
    fig.update_layout(title=f"Judgments per annotator ({len(a):,} annotators)", height=height, yaxis=yaxis,
                      xaxis_title="judgments")
    return fig


def timeline(profile: TableProfile) -> go.Figure:
    """Judgments per time bin, stacked by annotator where known (up to 12 annotators)."""
    t = profile.timeline
    many = "annotator_id" in t.columns and t["annotator_id"].nunique() > 12
    if many:
        t = t.groupby("day", as_index=False)["judgments"].sum()
    color = "annotator_id" if "annotator_id" in t.columns else None
    steps = pd.Series(sorted(pd.to_datetime(t["day"]).unique())).diff().dropna()
    step = steps.min() if len(steps) else pd.Timedelta("1D")
    unit = "day" if step >= pd.Timedelta("1D") else "hour" if step >= pd.Timedelta("1h") else "minute"
    fig = px.bar(t, x="day", y="judgments", color=color, title=f"Judgments per {unit}"
                 + (" (all annotators)" if many else ""))
    fig.update_layout(barmode="stack", xaxis_title=f"{unit} (start)")
    return fig
