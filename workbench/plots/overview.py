"""Figures for the data overview: missing values, labels, annotator volume, timeline."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go

from workbench.overview import TableProfile

__all__ = ["annotator_volume", "label_distribution", "missing_values", "timeline"]


def missing_values(profile: TableProfile) -> go.Figure:
    """Share of missing values per column."""
    fig = px.bar(profile.columns, x="column", y="missing_share", hover_data=["missing", "dtype"],
                 title="Missing values per column")
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def label_distribution(profile: TableProfile) -> go.Figure:
    """Counts of each label (or choice, or source)."""
    col = profile.labels.columns[0]
    fig = px.bar(profile.labels, x=col, y="count", text=profile.labels["share"].map("{:.1%}".format),
                 title=f"Distribution of {col}")
    return fig


def annotator_volume(profile: TableProfile) -> go.Figure:
    """Judgments per annotator, largest first."""
    fig = px.bar(profile.annotators, x="annotator_id", y="judgments", hover_data=["items", "share"],
                 title="Judgments per annotator")
    fig.update_xaxes(type="category")
    return fig


def timeline(profile: TableProfile) -> go.Figure:
    """Judgments per day, stacked by annotator where known."""
    color = "annotator_id" if "annotator_id" in profile.timeline.columns else None
    fig = px.bar(profile.timeline, x="day", y="judgments", color=color, title="Judgments per day")
    fig.update_layout(barmode="stack")
    return fig
